#!/usr/bin/env bash
# Runs the whole test suite (after scripts/setup.sh) and ends with one summary line: "N passed, N failed".
# A test host that crashes counts as a failure (dotnet test then reports no failed test, only an aborted run).
set -uo pipefail
cd "$(dirname "$0")/.."
log="$(mktemp)"
dotnet test EmmaNet.Batch.sln -c Release --no-build -nologo --logger "console;verbosity=normal" > "$log" 2>&1
rc=$?
grep -vE '^\s+Passed ' "$log"
passed=$(grep -oP '^\s+Passed: \K[0-9]+' "$log" | tail -1)
failed=$(grep -oP '^\s+Failed: \K[0-9]+' "$log" | tail -1)
if grep -q "Test Run Aborted" "$log"; then
  failed=$(( ${failed:-0} + 1 ))
  echo "test host crashed: the run was aborted (see above for the test that was running)"
fi
rm -f "$log"
echo "${passed:-0} passed, ${failed:-0} failed"
exit $rc
