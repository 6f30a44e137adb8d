#!/usr/bin/env bash
# Throughput and memory figures (not tests): decode-only vs detector vs analyze on the 720p sample, and on a 1-minute
# and a 10-minute input made by looping it. Each input runs in its own process so its peak memory is its own, and
# under the same hard limit on the managed heap (192 MiB): if memory grew with duration, the long input would fail.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${TMPDIR:-/tmp}/emmanet-bench"
mkdir -p "$work"
src=samples/media/faces.mp4
for minutes in 1 10; do
  f="$work/faces-${minutes}min.mp4"
  [ -s "$f" ] || ffmpeg -v error -y -stream_loop -1 -i "$src" -t $((minutes * 60)) -c copy "$f"
done
export DOTNET_GCHeapHardLimit=0xC000000
echo "== 720p sample (24 s)"
scripts/emmanet bench "$src" "$@"
for minutes in 1 10; do
  echo "== ${minutes}-minute input"
  scripts/emmanet bench "$work/faces-${minutes}min.mp4" "$@"
done
