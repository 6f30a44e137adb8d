# GPU image for EmmaNet.Batch: the GPU build of the analyzer (ONNX Runtime 1.31.0, Microsoft.ML.OnnxRuntime.Gpu.Linux)
# on the libraries it links against: CUDA 13, cuDNN 9 and TensorRT 10 (the names README "Deployment" lists, read from
# the package's provider libraries). Not built on the project's machines (no Docker engine, no GPU there).
#
#   scripts/setup.sh          # on the host first: it trains the default fusion model, copied into the image below
#   docker build -t emmanet-batch .
#   docker run --gpus all -v /archive:/in:ro -v /results:/out emmanet-batch analyze /in -o /out --device auto
#
# At start-up the program says in one line which provider it runs on and, if not the GPU, which library is missing.
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

# CUDA 13 runtime with cuDNN 9; TensorRT 10 (libnvinfer, its ONNX parser) from NVIDIA's apt repository, which this
# base image already lists.
FROM nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg libgtk-3-0 libnvinfer10 libnvonnxparsers10 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /app /app
ENV EMMANET_MODELS=/app/models
ENTRYPOINT ["/app/emmanet"]
