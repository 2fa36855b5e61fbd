#!/usr/bin/env bash
# Test of scripts/device-check.sh where there is no GPU (CI, the build machine): --prepare from the build given
# as $1 into a temporary folder (it builds the runtime-only offline bundle: about 15 MB from the Debian mirror),
# then the run half as a dry run: the host steps pass (the bundle installs into a prefix, every library resolves
# from it, its mpirun launches two ranks), it says "no GPU" and exits 0, with at most 8 files of at most 16 MiB.
# Then a step that hangs is killed at its cap and the steps after it are skipped once the budget is spent, with
# everything measured before it kept. Exits 0 when every check passes, 1 otherwise, 77 (skipped) without apt.
# Last, with a fake nvidia-smi that lists a GPU, the GPU steps' paths run: each reports, and tests skipped for want
# of a device are a FAIL there.
# Usage: tests/scripts/test_device_check.sh BUILD_DIR   (about 2 min; KEEP=1 keeps the temporary folder)
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
check_script="$repo_root/scripts/device-check.sh"
build=${1:?usage: test_device_check.sh BUILD_DIR}

for tool in apt-get apt-cache dpkg-deb sha256sum; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool not found (this test needs a Debian machine with apt)"
    exit 77
  fi
done
if ! grep -q 'perf_gemm_vs_torch' "$build/build.ninja" 2>/dev/null; then
  echo "SKIP: $build has no perf_gemm_vs_torch (configured with -DEXACHECK_BUILD_PERF=OFF, or not a Ninja build)"
  exit 77
fi
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
  echo "SKIP: a GPU is here: the dry run is for machines without one (run scripts/device-check.sh itself)"
  exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/exacheck-device-check-test.XXXXXX")
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi; }
trap cleanup EXIT
failures=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

# ---- usage ---------------------------------------------------------------------------------------------------
check "--help exits 0 and names both halves" bash -c '"$0" --help | grep -q -- "--prepare" && "$0" --help | grep -q "no GPU"' "$check_script"
set +e
"$check_script" --no-such-option >/dev/null 2>&1; rc_option=$?
"$check_script" --from "$tmp/nothing-here" "$tmp/out0" >"$tmp/missing.txt" 2>&1; rc_missing=$?
set -e
check "an unknown option is a usage error (exit 2, got $rc_option)" test "$rc_option" -eq 2
check "a missing prepared folder is exit 2 and says to prepare (got $rc_missing)" \
  bash -c '[ "$0" -eq 2 ] && grep -q -- "--prepare" "$1"' "$rc_missing" "$tmp/missing.txt"

# ---- prepare -------------------------------------------------------------------------------------------------
prepared="$tmp/prepared"
if ! JOBS=2 "$check_script" --prepare "$prepared" --build "$build" --allow-cpu-build >"$tmp/prepare.txt" 2>&1; then
  cat "$tmp/prepare.txt"
  fail "--prepare from $build"
  exit 1
fi
pass "--prepare from $build ($(tail -n 2 "$tmp/prepare.txt" | head -n 1 | sed 's/.*: //'))"
for f in device-check.sh bin/exacheck bin/gpu_test_cublaslt_gemm bin/gpu_test_cuda_flops bin/perf_gemm_vs_torch \
  configs/plans/one-gpu.yaml scripts/gemm_vs_torch.py scripts/device_targets.py bundle/install.sh bundle/MANIFEST.txt PREPARED.txt; do
  check "the prepared folder has $f" test -e "$prepared/$f"
done
check "the binaries are stripped" bash -c '! file -L "$0"/bin/exacheck | grep -q "not stripped"' "$prepared"
check "the bundle carries Open MPI's runtime and mpirun (libopenmpi3, openmpi-bin)" \
  bash -c 'grep -q "^libopenmpi3 " "$0" && grep -q "^openmpi-bin " "$0"' "$prepared/bundle/MANIFEST.txt"
check "the bundle leaves out ssh and hwloc's plugins (ICU)" \
  bash -c '! grep -q -E "^(openssh-client|libhwloc-plugins|libicu[0-9]*) " "$0"' "$prepared/bundle/MANIFEST.txt"

# ---- the dry run -----------------------------------------------------------------------------------------------
out="$tmp/out"
set +e
"$prepared/device-check.sh" "$out" >"$tmp/run.txt" 2>&1; rc_run=$?
set -e
check "the dry run exits 0 (got $rc_run)" test "$rc_run" -eq 0
check "it says there is no GPU" grep -q '^no GPU' "$out/summary.txt"
for s in environment install libraries mpi info package; do
  check "step $s passed" grep -q -E "^$s +PASS " "$out/summary.txt"
done
check "no GPU step ran" bash -c '! grep -q -E "^(test_|gemm_vs_torch|one_gpu_plan)" "$0"' "$out/summary.txt"
check "summary.txt, environment.txt and logs.tar.gz are written" \
  test -s "$out/summary.txt" -a -s "$out/environment.txt" -a -s "$out/logs.tar.gz"
check "at most 8 files, none over 16 MiB, no folders" bash -c \
  '[ "$(find "$0" -mindepth 1 | wc -l)" -le 8 ] && [ -z "$(find "$0" -mindepth 1 ! -type f)" ] && [ -z "$(find "$0" -type f -size +16M)" ]' "$out"
check "environment.txt names glibc, the OS and the bundled Open MPI" \
  bash -c 'grep -q GLIBC "$0" && grep -q "PRETTY_NAME\|Debian\|Ubuntu" "$0" && grep -q "libopenmpi3" "$0"' "$out/environment.txt"
check "logs.tar.gz holds every step's log" bash -c 'tar tzf "$0" | grep -q logs/install.log && tar tzf "$0" | grep -q logs/mpi.log' "$out/logs.tar.gz"

# ---- a step that hangs -----------------------------------------------------------------------------------------
hung="$tmp/hung"
set +e
DEVICE_CHECK_TEST_HANG=mpi "$prepared/device-check.sh" --budget 60 "$hung" >"$tmp/hung.txt" 2>&1; rc_hung=$?
set -e
check "a hung step makes the run exit 1 (got $rc_hung)" test "$rc_hung" -eq 1
check "the hung step is killed at its cap: TIMEOUT" grep -q -E '^mpi +TIMEOUT ' "$hung/summary.txt"
check "the step after it is skipped: the budget is spent" grep -q -E '^info +SKIPPED .*budget' "$hung/summary.txt"
check "what ran before it is kept (install PASS, logs.tar.gz)" \
  bash -c 'grep -q -E "^install +PASS " "$0/summary.txt" && test -s "$0/logs.tar.gz"' "$hung"
check "the whole run stayed inside its budget" bash -c 'total=$(sed -n "s/^total \([0-9]*\) s.*/\1/p" "$0"); [ -n "$total" ] && [ "$total" -le 60 ]' "$hung/summary.txt"

# ---- the GPU steps' paths, with a fake nvidia-smi that lists a GPU nobody can use ---------------------------------
# Every GPU step runs and reports; a test program whose tests skip for want of a CUDA device is a FAIL there,
# never a PASS, and so is an exacheck that shows no GPU.
mkdir -p "$tmp/fake-bin"
cat >"$tmp/fake-bin/nvidia-smi" <<'EOF_SMI'
#!/bin/sh
case "$1" in -L) echo "GPU 0: NVIDIA H200 (UUID: GPU-00000000-0000-0000-0000-000000000000)" ;; *) echo "fake nvidia-smi $*" ;; esac
EOF_SMI
chmod +x "$tmp/fake-bin/nvidia-smi"
fake="$tmp/fake"
set +e
PATH="$tmp/fake-bin:$PATH" "$prepared/device-check.sh" --budget 240 "$fake" >"$tmp/fake.txt" 2>&1; rc_fake=$?
set -e
check "with a GPU nobody can use the run exits 1 (got $rc_fake)" test "$rc_fake" -eq 1
check "exacheck info showing no GPU where nvidia-smi lists one is a FAIL" grep -q -E '^info +FAIL' "$fake/summary.txt"
for t in cublaslt_gemm cuda_flops cuda_stream cuda_copy nccl_collectives gpu_cli; do
  check "test_$t ran and its skips for want of a device are a FAIL" \
    grep -q -E "^test_$t +FAIL.*want of a CUDA device" "$fake/summary.txt"
done
check "gemm_vs_torch and one_gpu_plan each have their line" \
  bash -c 'grep -q -E "^gemm_vs_torch +(PASS|FAIL)" "$0" && grep -q -E "^one_gpu_plan +(PASS|FAIL)" "$0"' "$fake/summary.txt"
check "still at most 8 files, none over 16 MiB" bash -c \
  '[ "$(find "$0" -mindepth 1 | wc -l)" -le 8 ] && [ -z "$(find "$0" -type f -size +16M)" ]' "$fake"

if [ "$failures" -ne 0 ]; then
  echo "--- summary of the dry run"; cat "$out/summary.txt" 2>/dev/null || cat "$tmp/run.txt"
  echo "--- summary of the hung run"; cat "$hung/summary.txt" 2>/dev/null || cat "$tmp/hung.txt"
  echo "--- summary of the fake-GPU run"; cat "$fake/summary.txt" 2>/dev/null || cat "$tmp/fake.txt"
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
