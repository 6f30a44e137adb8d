#!/usr/bin/env bash
# Peak memory of `analyze` over 1, 10 and 50 videos (10 s clips of the face sample, every one a distinct file), each
# run in its own process with a 256 MiB cap on the managed heap: if memory grew with the number of videos, the 50-video
# run would fail or its resident peak would stand out. Not a test; figures go to docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${TMPDIR:-/tmp}/emmanet-bench-memory"
mkdir -p "$work/clips"
for i in $(seq 1 50); do
  f="$work/clips/clip$(printf %02d "$i").mp4"
  [ -s "$f" ] || ffmpeg -v error -y -ss $(( (i % 3) * 10 )) -t 10 -i samples/media/faces.mp4 -c copy "$f"
done
for n in 1 10 50; do
  rm -rf "$work/in" "$work/out" && mkdir -p "$work/in"
  for f in $(ls "$work/clips" | head -n "$n"); do ln -s "$work/clips/$f" "$work/in/$f"; done
  echo "== $n video(s)"
  /usr/bin/time -f "resident peak %M KiB, wall %e s" env DOTNET_GCHeapHardLimit=0x10000000 scripts/emmanet analyze "$work/in" -o "$work/out" "$@" 2>&1 \
    | grep -E "Finished|resident peak|Unhandled"
done
