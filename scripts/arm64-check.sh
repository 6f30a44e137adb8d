#!/usr/bin/env bash
# Proves the linux-arm64 CPU build under user-mode emulation: installs QEMU and Debian's arm64 C libraries, publishes
# the self-contained arm64 build, runs `emmanet doctor` and `emmanet analyze` on a 1 s clip of the face sample with the
# arm64 program (the host's x64 ffmpeg as its child), and compares its Parquet outputs, read by DuckDB, with the x64
# build's on the same clip. Exits 0 only when all of that holds; the last line gives the figures. Needs root (apt-get,
# and a private mount namespace for the cpuinfo below) and a machine where scripts/setup.sh has run. Not part of CI:
# about 2 minutes here (the publish is precompiled, ReadyToRun).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
fail() { echo "arm64-check: FAILED: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (apt-get, and mount --bind in a private namespace)"
[ -f models/fusion/emmanet-default.onnx ] || fail "run scripts/setup.sh first (models and the default fusion model)"

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
fi
packages=(qemu-user-static libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 libssl3:arm64 zlib1g:arm64)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "arm64-check: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "arm64-check: publishing the self-contained linux-arm64 build"
dotnet publish src/EmmaNet.Batch.Cli -c Release -r linux-arm64 --self-contained true -o "$work/arm64" -nologo -v quiet
file -b "$work/arm64/libonnxruntime.so" | grep -q "ARM aarch64" || fail "the published ONNX Runtime is not an arm64 library"
[ ! -e "$work/arm64/libOpenCvSharpExtern.so" ] || fail "an OpenCvSharpExtern came with the arm64 build; the check would not test the managed path"

ffmpeg -loglevel error -y -i samples/media/faces.mp4 -t 1 -c:v libx264 -c:a aac "$work/clip.mp4"

# QEMU 7.2 shows the host's x86 /proc/cpuinfo, on which ONNX Runtime's arm64 CPU detection crashes; inside a private
# mount namespace an arm64 one (two Cortex-A78AE cores, as on a Jetson Orin) is laid over it for the emulated program.
for core in 0 1; do
  printf 'processor\t: %s\nBogoMIPS\t: 62.50\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd42\nCPU revision\t: 1\n\n' "$core"
done > "$work/cpuinfo"
emulated() {
  unshare -m sh -c 'mount --bind "$1" /proc/cpuinfo && shift && exec qemu-aarch64-static "$@"' sh "$work/cpuinfo" "$work/arm64/emmanet" "$@"
}

echo "arm64-check: emmanet doctor (arm64, emulated)"
emulated doctor --models models | tee "$work/doctor.txt"
grep -q "^OK    onnxruntime" "$work/doctor.txt" || fail "doctor: ONNX Runtime did not load"
grep -q "image operations run in managed code" "$work/doctor.txt" || fail "doctor: the managed image operations were not chosen"

echo "arm64-check: emmanet analyze (arm64, emulated; about 1.5 minutes)"
arm_started=$(date +%s)
# One retry: .NET under QEMU's user-mode emulation has been seen to abort once (signal 6) early in a run.
if ! emulated analyze "$work/clip.mp4" -o "$work/out-arm64" --models models 2> "$work/arm64.log"; then
  echo "arm64-check: the emulated analyze failed (see below); retrying once"
  tail -5 "$work/arm64.log"
  rm -rf "$work/out-arm64"
  emulated analyze "$work/clip.mp4" -o "$work/out-arm64" --models models 2> "$work/arm64.log" || { tail -20 "$work/arm64.log"; fail "analyze under emulation"; }
fi
arm_seconds=$(( $(date +%s) - arm_started ))
grep -E "image operations|CPU build|done," "$work/arm64.log" || true

echo "arm64-check: emmanet analyze (x64, OpenCV image operations)"
x64_started=$(date +%s)
scripts/emmanet analyze "$work/clip.mp4" -o "$work/out-x64" --models models --image-ops opencv 2> "$work/x64.log" || { tail -20 "$work/x64.log"; fail "analyze on x64"; }
x64_seconds=$(( $(date +%s) - x64_started ))

query() { node tests/tools/duckdb-query.mjs "$1"; }
a="$work/out-arm64/clip"; x="$work/out-x64/clip"
faces=$(query "SELECT
    (SELECT count(*) FROM '$x.faces.parquet') AS x64,
    (SELECT count(*) FROM '$a.faces.parquet') AS arm64,
    count(*) AS matched,
    max(greatest(abs(x.x1 - a.x1), abs(x.y1 - a.y1), abs(x.x2 - a.x2), abs(x.y2 - a.y2))) AS box_px,
    max(abs(x.score - a.score)) AS score
  FROM '$x.faces.parquet' x JOIN '$a.faces.parquet' a USING (frame_index, face_index)")
predictions=$(query "SELECT
    (SELECT count(*) FROM '$x.predictions.parquet') AS x64,
    count(*) AS matched,
    sum(CASE WHEN x.label = a.label THEN 1 ELSE 0 END) AS same_label,
    max(greatest(abs(x.prob_neutral - a.prob_neutral), abs(x.prob_anger - a.prob_anger), abs(x.prob_disgust - a.prob_disgust),
        abs(x.prob_fear - a.prob_fear), abs(x.prob_happiness - a.prob_happiness), abs(x.prob_sadness - a.prob_sadness),
        abs(x.prob_surprise - a.prob_surprise), abs(x.prob_other - a.prob_other))) AS prob
  FROM '$x.predictions.parquet' x JOIN '$a.predictions.parquet' a USING (subject, frame_index)")
echo "arm64-check: faces $faces"
echo "arm64-check: predictions $predictions"

# Same faces (every face matched, boxes within half a pixel), same labels, probabilities within 0.01: the arm64 and
# x64 ONNX Runtime kernels sum in different orders, nothing more may differ.
verdict=$(node -e '
  const [f] = JSON.parse(process.argv[1]); const [p] = JSON.parse(process.argv[2]);
  const n = k => Number(f[k]); const m = k => Number(p[k]);
  const problems = [];
  if (n("x64") === 0) problems.push("no faces on x64");
  if (n("x64") !== n("arm64") || n("matched") !== n("x64")) problems.push(`faces ${n("arm64")} on arm64, ${n("x64")} on x64, ${n("matched")} matched`);
  if (n("box_px") > 0.5) problems.push(`a box differs by ${n("box_px")} px`);
  if (m("matched") !== m("x64") || m("x64") === 0) problems.push(`prediction rows: ${m("matched")} matched of ${m("x64")}`);
  if (m("same_label") !== m("matched")) problems.push(`labels differ on ${m("matched") - m("same_label")} rows`);
  if (m("prob") > 0.01) problems.push(`a probability differs by ${m("prob")}`);
  console.log(problems.length ? "FAILED: " + problems.join("; ") :
    `OK: ${n("matched")} faces and ${m("matched")} prediction rows equal to x64 (boxes within ${n("box_px").toPrecision(2)} px, probabilities within ${m("prob").toPrecision(2)}, labels all equal)`);
' "$faces" "$predictions")
total=$(( $(date +%s) - started ))
echo "arm64-check: $verdict; doctor ok; analyze of 1 s of 720p video: ${arm_seconds} s emulated against ${x64_seconds} s on x64; check took ${total} s"
[[ "$verdict" == OK:* ]]
