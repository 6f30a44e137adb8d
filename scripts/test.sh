#!/usr/bin/env bash
# Runs the whole test suite (after scripts/setup.sh) and ends with one summary line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
log="$(mktemp)"
dotnet test EmmaNet.Batch.sln -c Release --no-build -nologo --logger "console;verbosity=normal" > "$log" 2>&1
rc=$?
grep -vE '^\s+Passed ' "$log"
passed=$(grep -oP '^\s+Passed: \K[0-9]+' "$log" | tail -1)
failed=$(grep -oP '^\s+Failed: \K[0-9]+' "$log" | tail -1)
rm -f "$log"
echo "${passed:-0} passed, ${failed:-0} failed"
exit $rc
