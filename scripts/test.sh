#!/usr/bin/env bash
# Runs the whole test suite (after scripts/setup.sh) and ends with one summary line: "N passed, N failed".
# A test host that crashes counts as a failure (dotnet test then reports no failed test, only an aborted run).
set -uo pipefail
cd "$(dirname "$0")/.."

# The GPU variant is compiled (not run: no GPU here) so that a change that breaks it fails CI. Its own obj/ and bin/
# (Directory.Build.props) leave the CPU build the tests run untouched.
echo "test: building the GPU variant (dotnet build -p:EmmaNetGpu=true)"
gpu_rc=0
dotnet build src/EmmaNet.Batch.Cli -c Release -nologo -v quiet -clp:ErrorsOnly -p:EmmaNetGpu=true || gpu_rc=$?
if [ $gpu_rc -eq 0 ]; then
  gpu_line=$(dotnet src/EmmaNet.Batch.Cli/bin/gpu/Release/net10.0/emmanet.dll doctor | grep -- '--device auto' || true)
  echo "test: GPU build doctor: ${gpu_line}"
  [[ "$gpu_line" == *"GPU build:"* ]] || gpu_rc=1
  # Without CUDA here, naming the GPU must be refused in one line (exit 2), not fall back or crash.
  gpu_out=$(mktemp -d)
  cuda_rc=0
  cuda_err=$(dotnet src/EmmaNet.Batch.Cli/bin/gpu/Release/net10.0/emmanet.dll analyze samples/media/Megamind.avi -o "$gpu_out/out" --device cuda 2>&1 >/dev/null) || cuda_rc=$?
  rm -rf "$gpu_out"
  echo "test: GPU build --device cuda: exit $cuda_rc: $cuda_err"
  if [ "$(nvidia-smi -L 2>/dev/null | wc -l)" -eq 0 ]; then
    [ $cuda_rc -eq 2 ] && [ "$(printf '%s\n' "$cuda_err" | wc -l)" -eq 1 ] || gpu_rc=1
  fi
fi
[ $gpu_rc -eq 0 ] && echo "test: GPU variant builds" || echo "test: GPU variant FAILED to build or start"

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
[ $gpu_rc -eq 0 ] || { failed=$(( ${failed:-0} + 1 )); [ $rc -ne 0 ] || rc=1; }
echo "${passed:-0} passed, ${failed:-0} failed"
exit $rc
