#!/usr/bin/env bash
# Makes the sample clips in samples/media/ from real media that Debian and npm ship (nothing binary is committed):
#   vtest.avi, Megamind.avi  - opencv-doc's example videos (people walking; an animated face talking)
#   faces.mp4                - the six face-api demo photos, 5 s each at 1280x720/30 fps, with an espeak-ng voice
#                              speaking over the first part of each photo and silence after it
#   faces.json               - for each photo: its time range, the number of faces a person counts in it, and
#                              where the speech is, measured with ffmpeg's silencedetect (so tests know the truth)
# Idempotent: existing outputs are kept.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
media="$here/media"
cache="$here/.cache"
opencv=/usr/share/doc/opencv-doc/examples/data
mkdir -p "$media" "$cache"

for clip in vtest.avi Megamind.avi; do
  [ -s "$media/$clip" ] || cp "$opencv/$clip" "$media/$clip"
done

# Bump when the clips change, so existing sample folders are made again.
version=2
[ -s "$media/faces.mp4" ] && [ -s "$media/faces.json" ] && [ "$(cat "$media/.version" 2>/dev/null)" = "$version" ] && exit 0

facepkg="$cache/face-api"
if [ ! -f "$facepkg/package/demo/sample6.jpg" ]; then
  (cd "$cache" && npm pack @vladmandic/face-api@1.7.15 --silent >/dev/null)
  mkdir -p "$facepkg"
  tar -xzf "$cache/vladmandic-face-api-1.7.15.tgz" -C "$facepkg" package/demo
fi

# Faces per photo, counted by a person looking at each photo (see samples/README.md).
counts=(3 3 3 4 5 4)
lines=(
  "Three friends at a party, smiling at the camera."
  "Three women sitting on a sofa, looking down."
  "Three friends in a bar, smiling at the camera."
  "Four friends posing together for a picture."
  "Five women sitting together on a staircase."
  "Four friends standing together by a window."
)
seg=5.0
lead=0.5
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
json="["
: > "$work/list.txt"
for i in 1 2 3 4 5 6; do
  espeak-ng -s 160 -w "$work/speech$i.wav" "${lines[$((i-1))]}"
  # Where the voice really is inside the wav: espeak pads it with silence (about 0.35 s at the end).
  read -r voice_start voice_end < <(ffmpeg -hide_banner -nostats -i "$work/speech$i.wav" -af silencedetect=n=-40dB:d=0.15 -f null - 2>&1 \
    | awk -v total="$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$work/speech$i.wav")" '
        /silence_start/ { s = $NF } /silence_end/ { split($0, a, "silence_end: "); split(a[2], b, " "); if (s + 0 < 0.01) first = b[1]; last_start = s; ended = b[1] }
        END { start = (first == "" ? 0 : first); stop = ((ended + 0 >= total - 0.01) ? last_start : total); print start, stop }')
  ffmpeg -v error -y -loop 1 -framerate 30 -i "$cache/face-api/package/demo/sample$i.jpg" -i "$work/speech$i.wav" \
    -filter_complex "[0:v]scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2,format=yuv420p[v];[1:a]aresample=16000,adelay=500:all=1,apad[a]" \
    -map "[v]" -map "[a]" -t "$seg" -r 30 -c:v libx264 -preset veryfast -crf 23 -g 30 -c:a aac -b:a 64k -ar 16000 -ac 1 "$work/seg$i.mp4"
  echo "file '$work/seg$i.mp4'" >> "$work/list.txt"
  start=$(awk "BEGIN{print ($i-1)*$seg}")
  json+=$(printf '%s{"photo":"sample%d.jpg","start_s":%s,"end_s":%s,"faces":%d,"speech_start_s":%s,"speech_end_s":%s}' \
    "$([ "$i" -gt 1 ] && echo ,)" "$i" "$start" "$(awk "BEGIN{print $start+$seg}")" "${counts[$((i-1))]}" \
    "$(awk "BEGIN{print $start+$lead+$voice_start}")" "$(awk "BEGIN{print $start+$lead+$voice_end}")")
done
json+="]"
ffmpeg -v error -y -f concat -safe 0 -i "$work/list.txt" -c copy "$work/faces.mp4"
mv "$work/faces.mp4" "$media/faces.mp4"
printf '%s\n' "$json" > "$media/faces.json"
echo "$version" > "$media/.version"
echo "samples ready in $media"
