#!/usr/bin/env bash
# Peak memory of `analyze`, each run in its own process. Not a test; figures go to docs/benchmarks.md.
#   scripts/bench-memory.sh            1, 10 and 50 videos (10 s clips of the face sample, every one a distinct file),
#                                      with a 256 MiB cap on the managed heap: if memory grew with the number of
#                                      videos, the 50-video run would fail or its resident peak would stand out.
#   scripts/bench-memory.sh --length   one video of 1, 10 and 30 minutes of the face sample looped (many faces, the
#                                      same people coming back), resident memory sampled every 10 s: if memory grew
#                                      with the length of a video or the faces it holds, the longer runs would show it.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${TMPDIR:-/tmp}/emmanet-bench-memory"
mkdir -p "$work/clips"
if [ "${1:-}" = "--length" ]; then
  shift
  for minutes in 1 10 30; do
    f="$work/clips/faces-${minutes}min.mp4"
    [ -s "$f" ] || ffmpeg -v error -y -stream_loop -1 -i samples/media/faces.mp4 -t $((minutes * 60)) -c copy "$f"
    rm -rf "$work/out"
    echo "== $minutes minute(s)"
    /usr/bin/time -f "resident peak %M KiB, wall %e s" scripts/emmanet analyze "$f" -o "$work/out" "$@" > "$work/run.log" 2>&1 &
    sleep 2
    # The dotnet process itself: /usr/bin/time's line holds the same words, and once it exits it stays a zombie
    # (kill -0 succeeds) until `wait` below.
    pid=$(pgrep -n -f "emmanet.dll analyze $f" || true)
    samples=""
    while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
      samples="$samples $(awk '/VmRSS/ {print int($2 / 1024)}' /proc/"$pid"/status 2>/dev/null)"
      sleep 10
    done
    wait
    grep -E "Finished|resident peak|Unhandled" "$work/run.log"
    echo "resident MiB every 10 s:$samples"
  done
  exit 0
fi
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
