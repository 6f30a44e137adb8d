#!/usr/bin/env bash
# Throughput and memory figures (not tests), on the 720p sample and on a 1-minute and a 10-minute input made by
# looping it:
#  1. `emmanet bench --baseline`: decode-only, each stage alone (fitted and square inputs), the detection pipeline,
#     the full analyze and the full analyze as before the speed work, in one process per input;
#  2. `emmanet analyze --no-fusion` (detections) on each input in its own process under a hard limit on the managed
#     heap (192 MiB), then the full `analyze` (features and fusion) under 256 MiB: a run whose memory outgrew its
#     limit would fail; the peak resident memory of each run is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${TMPDIR:-/tmp}/emmanet-bench"
mkdir -p "$work"
inputs=(samples/media/faces.mp4)
for minutes in 1 10; do
  f="$work/faces-${minutes}min.mp4"
  [ -s "$f" ] || ffmpeg -v error -y -stream_loop -1 -i samples/media/faces.mp4 -t $((minutes * 60)) -c copy "$f"
  inputs+=("$f")
done
for f in "${inputs[@]}"; do
  echo "== bench $f"
  scripts/emmanet bench "$f" --baseline "$@" 2>/dev/null
done
for f in "${inputs[@]}"; do
  echo "== analyze --no-fusion $f with the managed heap capped at 192 MiB"
  DOTNET_GCHeapHardLimit=0xC000000 scripts/emmanet analyze "$f" -o "$work/out" --force --no-fusion "$@" 2>&1 | grep -E "Finished|failed:|Unhandled"
  echo "== analyze $f with the managed heap capped at 256 MiB"
  DOTNET_GCHeapHardLimit=0x10000000 scripts/emmanet analyze "$f" -o "$work/out" --force "$@" 2>&1 | grep -E "Finished|failed:|Unhandled"
done
