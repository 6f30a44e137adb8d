#!/usr/bin/env bash
# Self-contained builds of the `emmanet` command line: dist/linux-x64/ and dist/linux-arm64/ (no .NET needed on the
# target). The arm64 build has no OpenCV native library (no arm64 OpenCvSharp runtime package): its image operations
# run in managed code; scripts/arm64-check.sh runs it under emulation. Add -p:EmmaNetGpu=true for the GPU ONNX
# Runtime (x64 only; CUDA 13, cuDNN 9, TensorRT 10 on the target: README "Deployment").
set -euo pipefail
cd "$(dirname "$0")/.."
for rid in linux-x64 linux-arm64; do
  echo "publish: $rid"
  dotnet publish src/EmmaNet.Batch.Cli -c Release -r "$rid" --self-contained true -o "dist/$rid" -nologo -v quiet "$@"
  mkdir -p "dist/$rid/models" && cp models/manifest.json "dist/$rid/models/"   # then: dist/$rid/emmanet models fetch
done
ls -1 dist
