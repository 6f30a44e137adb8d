#!/usr/bin/env bash
# BenchmarkDotNet micro-benchmarks of the hot kernels (preprocessing, NMS, log-mel, fusion). Not run by the tests.
# Pass BenchmarkDotNet options after the script, e.g. scripts/microbench.sh --job short.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet run -c Release --project tests/EmmaNet.Batch.Benchmarks -- --filter '*' "$@"
