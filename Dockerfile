# GPU image for EmmaNet.Batch: CUDA + cuDNN + TensorRT runtime, the GPU build of the analyzer, ffmpeg, and the models
# fetched at build time. Not built on the project's machines (no Docker engine there); see README "Deployment".
#
#   scripts/setup.sh          # on the host first: it trains the default fusion model, copied into the image below
#   docker build -t emmanet-batch .
#   docker run --gpus all -v /archive:/in:ro -v /results:/out emmanet-batch analyze /in -o /out --device auto
#
# ONNX Runtime 1.31's CUDA provider targets CUDA 12 with cuDNN 9, and TensorRT 10 for its TensorRT provider.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# EmmaNetGpu selects the GPU native ONNX Runtime package instead of the CPU one.
RUN dotnet publish src/EmmaNet.Batch.Cli -c Release -r linux-x64 --self-contained true -p:EmmaNetGpu=true -o /app
RUN mkdir -p /app/models && cp models/manifest.json /app/models/ && /app/emmanet models fetch --models /app/models
# The default fusion model is trained from the samples by scripts/setup.sh (README "The default fusion model"); its
# recorded extractors match the models fetched above because the manifest pins their checksums.
COPY models/fusion/emmanet-default.onnx /app/models/fusion/emmanet-default.onnx

FROM nvcr.io/nvidia/tensorrt:24.12-py3
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg libgtk-3-0 && rm -rf /var/lib/apt/lists/*
COPY --from=build /app /app
ENV EMMANET_MODELS=/app/models
ENTRYPOINT ["/app/emmanet"]
