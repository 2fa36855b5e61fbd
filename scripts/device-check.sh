#!/usr/bin/env bash
# The first GPU run in one shot: prove exacheck's whole GPU side on a borrowed GPU node in one command.
#
# On the build machine (Debian, with the CUDA toolkit):
#   scripts/device-check.sh --prepare [DIR]     (DIR default: dist/device-check)
# builds exacheck, the gpu test programs and the torch comparison for sm_90a only (in build-device/, or the CUDA
# build given with --build), strips them, and puts them with configs/, this script, the torch comparison script
# and the runtime-only offline bundle (scripts/bundle-offline.sh) into DIR, which must stay under 40 MiB.
#
# On the GPU node (CUDA toolkit, driver, Python with PyTorch; none of Debian's libraries; no network):
#   DIR/device-check.sh [OUTDIR]                 (or scripts/device-check.sh --from DIR [OUTDIR])
# installs the bundle into a scratch prefix, runs the gpu-labelled test programs, exacheck's GEMM against
# torch.matmul and the one-GPU plan (configs/plans/one-gpu.yaml). Each step has its own time cap inside a total
# budget (--budget, default 510 s): a step that hangs is killed at its cap, and steps that no longer fit are
# skipped, so what was measured before is never lost. OUTDIR (default $OUT, else ./device-check-out) receives at
# most 8 files, none over 16 MiB:
#   summary.txt        one line per step: PASS, FAIL, TIMEOUT or SKIPPED, its time and what it found
#   environment.txt    GPU, driver, clocks, OS, glibc, Python/PyTorch/CUDA/NCCL, the bundled libraries, and
#                      which tensor-core instructions the binaries hold (from --prepare)
#   gemm-vs-torch.txt  exacheck's cuda GEMM against torch.matmul on the same GPU (scripts/bench/gemm_vs_torch.py)
#   report.html, run.json   of the one-GPU plan
#   logs.tar.gz        every step's log and the run's other files (report.md, junit.xml, worker logs)
# Without a GPU (a dry run, e.g. on the build machine) it runs the host steps (environment, install, libraries),
# says "no GPU" and exits 0. Exit status: 0 when every step that ran passed (or there is no GPU), 1 when a step
# failed or timed out, 2 on a usage error or a prepared folder that is missing or incomplete.
set -euo pipefail

self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
max_prepared_mib=40

usage() {
  sed -n '2,27p' "$self" | sed 's/^# \{0,1\}//'
  cat <<'EOF'

options:
  --prepare [DIR]      build and assemble the prepared folder (build machine)
  --build BUILD_DIR    with --prepare: use this configured CUDA build instead of build-device/ (its
                       architectures are kept; the targets are built there)
  --allow-cpu-build    with --prepare: accept a build without CUDA (for testing this script only)
  --from DIR           the prepared folder to run from (default: the folder holding this script when it has
                       bin/exacheck, else dist/device-check)
  --budget SECONDS     total time for the run (default 510)
  -h, --help           this text
EOF
}
die() { echo "device-check: error: $*" >&2; exit 2; }
say() { echo "device-check: $*"; }

mode=run prepared="" build_dir="" allow_cpu=0 budget=510 out_dir=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --prepare)
      mode=prepare
      if [[ $# -ge 2 && "$2" != -* ]]; then prepared=$2; shift; fi
      shift ;;
    --build) [[ $# -ge 2 ]] || die "--build needs a directory"; build_dir=$2; shift 2 ;;
    --allow-cpu-build) allow_cpu=1; shift ;;
    --from) [[ $# -ge 2 ]] || die "--from needs a directory"; prepared=$2; shift 2 ;;
    --budget)
      [[ $# -ge 2 && "$2" =~ ^[0-9]+$ && "$2" -ge 60 ]] || die "--budget needs a whole number of seconds, at least 60"
      budget=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "device-check: error: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    *) [[ -z "$out_dir" ]] || die "one output folder only (got '$out_dir' and '$1')"; out_dir=$1; shift ;;
  esac
done

# Which GPU code bin/exacheck holds and which tensor-core instructions its machine code uses: wgmma is HGMMA in
# Hopper's SASS, mma.sync HMMA. Needs cuobjdump (the toolkit's; some installs, like this project's build
# machine, lack it: then the GPU node's run counts them).
tensor_core_census() {
  local objdump
  objdump=$(command -v cuobjdump || ls /usr/local/cuda/bin/cuobjdump 2>/dev/null || true)
  if [[ -z "$objdump" ]]; then
    echo "device code in $(basename "$1"): not counted (no cuobjdump on $(hostname))"
    return 0
  fi
  local sass
  sass=$("$objdump" --dump-sass "$1" 2>/dev/null || true)
  echo "device code in $(basename "$1"): $("$objdump" --list-elf "$1" 2>/dev/null | grep -o 'sm_[0-9a-z]*' | sort | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')"
  echo "tensor-core instructions in its SASS: wgmma (HGMMA) $(grep -c 'HGMMA' <<<"$sass" || true), mma.sync (HMMA) $(grep -c 'HMMA' <<<"$sass" || true), IMMA $(grep -c 'IMMA' <<<"$sass" || true), DMMA $(grep -c 'DMMA' <<<"$sass" || true)"
}

# ============================================ prepare =====================================================
prepare() {
  local repo_root
  repo_root=$(cd "$(dirname "$self")/.." && pwd)
  [[ -f "$repo_root/CMakeLists.txt" ]] || die "--prepare runs from the repository (scripts/device-check.sh)"
  [[ -n "$prepared" ]] || prepared="$repo_root/dist/device-check"
  mkdir -p "$prepared"
  prepared=$(cd "$prepared" && pwd)
  local start=$SECONDS

  if [[ -z "$build_dir" ]]; then
    build_dir="$repo_root/build-device"
    if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
      local launcher=()
      command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
      say "configuring $build_dir for sm_90a (Release)"
      cmake -S "$repo_root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEXACHECK_CUDA=ON \
        -DEXACHECK_CUDA_ARCHITECTURES=90a-real -DEXACHECK_BUILD_TESTS=ON -DEXACHECK_BUILD_PERF=ON \
        "${launcher[@]}" >/dev/null
    fi
  fi
  [[ -f "$build_dir/CMakeCache.txt" ]] || die "$build_dir is not a configured CMake build"
  build_dir=$(cd "$build_dir" && pwd)
  local gpu_tests=()
  for source in "$repo_root"/tests/gpu/test_*.cpp; do gpu_tests+=("gpu_$(basename "$source" .cpp)"); done
  say "building exacheck, ${#gpu_tests[@]} gpu test programs and perf_gemm_vs_torch in $build_dir"
  cmake --build "$build_dir" --target exacheck "${gpu_tests[@]}" perf_gemm_vs_torch -- -j"${JOBS:-2}"
  local cuda_built=no
  ldd "$build_dir/exacheck" | grep -q 'libcudart' && cuda_built=yes
  if [[ $cuda_built == no && $allow_cpu -eq 0 ]]; then
    die "$build_dir is built without CUDA; configure it with -DEXACHECK_CUDA=ON (or leave --build out)"
  fi

  rm -rf "${prepared:?}/bin" "${prepared:?}/configs" "${prepared:?}/scripts"
  mkdir -p "$prepared/bin" "$prepared/scripts"
  cp "$build_dir/exacheck" "$prepared/bin/"
  for t in "${gpu_tests[@]}"; do cp "$build_dir/tests/$t" "$prepared/bin/"; done
  cp "$build_dir/tests/perf/perf_gemm_vs_torch" "$prepared/bin/"
  strip --strip-unneeded "$prepared"/bin/*
  cp -R "$repo_root/configs" "$prepared/configs"
  cp "$repo_root/scripts/bench/gemm_vs_torch.py" "$repo_root/scripts/bench/device_targets.py" "$prepared/scripts/"
  cp "$self" "$prepared/device-check.sh"

  # The Debian packages of every library the binaries load that neither the node's base system (glibc, the
  # compiler's runtime) nor CUDA, NCCL or the driver provide: Open MPI, OpenBLAS, yaml-cpp, fmt, Google
  # Benchmark (perf_gemm_vs_torch). ssh and hwloc's plugins are left out (the check runs on one node:
  # OMPI_MCA_plm=isolated; hwloc's plugins pull in libxml2 and ICU, 10 MB).
  local includes=() packages
  packages=$(ldd "$prepared"/bin/* 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u |
    grep -v -E '/(libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so|/usr/local/|cuda|nccl|nvidia' |
    xargs -r -n1 readlink -f | xargs -r dpkg -S 2>/dev/null | cut -d: -f1 | sort -u || true)
  for p in $packages; do
    # A required package (libudev1, zlib1g, ...) is on every Debian-like base system: not bundled.
    [[ "$(dpkg-query -W -f='${Priority}' "$p" 2>/dev/null)" == required ]] || includes+=(--include "$p")
  done
  packages=$(printf '%s\n' "${includes[@]}" | grep -v -- --include | paste -sd ' ' -)
  say "bundling the runtime libraries ($packages) and what they depend on"
  "$(dirname "$self")/bundle-offline.sh" --runtime-only --out "$prepared/bundle" --no-tar \
    --exclude libhwloc-plugins --exclude openssh-client "${includes[@]}" >"$prepared/bundle.log" 2>&1 ||
    { tail -n 20 "$prepared/bundle.log" >&2; die "scripts/bundle-offline.sh failed (log: $prepared/bundle.log)"; }
  rm -f "$prepared/bundle.log"

  {
    echo "prepared: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release && echo "$PRETTY_NAME"), glibc $(ldd --version | head -n 1 | awk '{print $NF}')"
    echo "commit: $(git -C "$repo_root" rev-parse HEAD 2>/dev/null || echo unknown)$(git -C "$repo_root" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
    echo "build: $build_dir, CUDA $cuda_built, architectures $(sed -n 's/^EXACHECK_CUDA_ARCHITECTURES:STRING=//p' "$build_dir/CMakeCache.txt"), $(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build_dir/CMakeCache.txt")"
    echo "nvcc: $(command -v nvcc >/dev/null && nvcc --version | tail -n 1 || echo none)"
    tensor_core_census "$prepared/bin/exacheck"
    echo "files:"
    (cd "$prepared" && du -b bin/* | awk '{printf "  %-40s %6.1f MB\n", $2, $1 / 1e6}')
    echo "  bundle/ $(du -sb "$prepared/bundle" | awk '{printf "%.1f MB", $1 / 1e6}'), $(ls "$prepared/bundle"/*.deb | wc -l) packages"
  } >"$prepared/PREPARED.txt"

  local bytes
  bytes=$(du -sb "$prepared" | cut -f1)
  cat "$prepared/PREPARED.txt"
  say "prepared $prepared: $(awk -v b="$bytes" 'BEGIN {printf "%.1f MiB", b / 1048576}') in $((SECONDS - start)) s"
  local architectures
  architectures=$(sed -n 's/^EXACHECK_CUDA_ARCHITECTURES:STRING=//p' "$build_dir/CMakeCache.txt")
  if ((bytes > max_prepared_mib * 1048576)); then
    if [[ "$architectures" == 90a-real ]]; then
      echo "device-check: error: $prepared is over $max_prepared_mib MiB" >&2
      exit 1
    fi
    say "warning: over $max_prepared_mib MiB, the limit for an sm_90a-only build; $build_dir builds '$architectures'"
  fi
  say "next, on the GPU node: $prepared/device-check.sh OUTDIR   (or: scripts/device-check.sh --from DIR OUTDIR)"
}

if [[ $mode == prepare ]]; then
  prepare
  exit 0
fi

# ============================================== run =======================================================
if [[ -z "$prepared" ]]; then
  if [[ -x "$(dirname "$self")/bin/exacheck" ]]; then prepared=$(dirname "$self")
  else prepared="$(cd "$(dirname "$self")/.." && pwd)/dist/device-check"; fi
fi
[[ -d "$prepared" ]] || die "no prepared folder at $prepared: run scripts/device-check.sh --prepare on the build machine first"
prepared=$(cd "$prepared" && pwd)
for need in bin/exacheck bundle/install.sh configs/plans/one-gpu.yaml scripts/gemm_vs_torch.py scripts/device_targets.py \
  PREPARED.txt; do
  [[ -e "$prepared/$need" ]] || die "$prepared/$need is missing: prepare the folder again (--prepare)"
done
[[ -n "$out_dir" ]] || out_dir=${OUT:-./device-check-out}
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/exacheck-device-check.XXXXXX")
logs="$work/logs"
mkdir -p "$logs"
summary="$out_dir/summary.txt"
reserve=25  # seconds kept for packaging the results, whatever the steps did
started=$SECONDS
failed=0
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }
note "exacheck device check, $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname), budget ${budget} s; $(head -n 2 "$prepared/PREPARED.txt" | paste -sd ';' -)"

# step NAME CAP DESCRIPTION -- COMMAND...: runs COMMAND with its output in logs/NAME.log, killed at
# min(CAP, what the budget has left); one line in summary.txt. Returns the command's status (124: timed out).
step() {
  local name=$1 cap=$2 what=$3; shift 4
  local left=$((budget - reserve - (SECONDS - started)))
  ((cap > left)) && cap=$left
  if ((cap < 5)); then
    note "$(printf '%-22s SKIPPED  %4s s  %s: the budget is spent' "$name" 0 "$what")"
    failed=1
    return 125
  fi
  local t0=$SECONDS rc=0
  # Test hook (tests/scripts/test_device_check.sh): the named step hangs, to show the caps and the budget hold.
  [[ "${DEVICE_CHECK_TEST_HANG:-}" == "$name" ]] && set -- sleep 100000
  # Through bash, so that COMMAND may be one of this script's functions (exported below).
  timeout -k 5 "$cap" bash -c '"$@"' "$name" "$@" >"$logs/$name.log" 2>&1 </dev/null || rc=$?
  local verdict=PASS
  ((rc == 124 || rc == 137)) && verdict=TIMEOUT
  [[ $rc -ne 0 && $verdict == PASS ]] && verdict="FAIL($rc)"
  [[ $verdict == PASS ]] || failed=1
  local found=""
  [[ -n "${step_summary:-}" ]] && found=$("$step_summary" "$logs/$name.log" 2>/dev/null || true)
  # A step that did not pass says at least how its log ends (the error, usually).
  [[ -z "$found" && $verdict != PASS ]] && found=$(grep -v '^\s*$' "$logs/$name.log" | tail -n 1 | cut -c1-200)
  note "$(printf '%-22s %-8s %4s s  %s%s' "$name" "$verdict" $((SECONDS - t0)) "$what" "${found:+: $found}")"
  [[ $verdict == TIMEOUT ]] && note "$(printf '%-22s          cap was %s s; its log ends: %s' '' "$cap" "$(tail -n 1 "$logs/$name.log" | cut -c1-120)")"
  return "$rc"
}
gtest_summary() {  # "N passed, M skipped, K failed" from a GoogleTest log, and the first failure
  local passed skipped failures
  passed=$(grep -c '^\[       OK \]' "$1" || true)
  skipped=$(grep -c '^\[  SKIPPED \]' "$1" || true)
  failures=$(grep -c '^\[  FAILED  \] [A-Za-z_]*\.[A-Za-z_]* (' "$1" || true)
  echo -n "$passed passed, $skipped skipped, $failures failed"
  [[ $failures -gt 0 ]] && echo -n "; first: $(grep -m1 '^\[  FAILED  \]' "$1" | cut -c14-100)"
  grep -q '^device-check: ' "$1" && echo -n "; $(grep -m1 '^device-check: ' "$1" | cut -c15-120)"
  echo
}

package() {
  local t0=$SECONDS
  # logs.tar.gz: every log and the run's files, largest files dropped until it fits 16 MiB.
  mkdir -p "$work/logs/run"
  [[ -d "$work/run" ]] && find "$work/run" -maxdepth 2 -type f ! -name run.json ! -name report.html \
    -exec cp {} "$work/logs/run/" \; 2>/dev/null || true
  tar -C "$work" -czf "$out_dir/logs.tar.gz" logs 2>/dev/null || true
  while [[ -f "$out_dir/logs.tar.gz" ]] && (($(stat -c %s "$out_dir/logs.tar.gz") > 16 * 1048576)); do
    local largest
    largest=$(find "$work/logs" -type f -printf '%s %p\n' | sort -n | tail -n 1 | cut -d' ' -f2-)
    [[ -n "$largest" ]] || break
    echo "(dropped: too large)" >"$largest"
    tar -C "$work" -czf "$out_dir/logs.tar.gz" logs
  done
  for f in run.json report.html; do
    [[ -f "$work/run/$f" ]] || continue
    if (($(stat -c %s "$work/run/$f") <= 16 * 1048576)); then cp "$work/run/$f" "$out_dir/$f"
    else note "$f is over 16 MiB: not copied (it is in the node's $work/run)"; fi
  done
  note "$(printf '%-22s %-8s %4s s  %s' package PASS $((SECONDS - t0)) "$(cd "$out_dir" && ls | paste -sd ' ' -) in $out_dir")"
  note "total $((SECONDS - started)) s of ${budget} s; $([[ $failed -eq 0 ]] && echo 'every step that ran passed' || echo 'a step FAILED, timed out or was skipped: see above and logs.tar.gz')"
  [[ "${KEEP:-0}" == 1 ]] && say "kept $work" || rm -rf "$work"
}

# ---- 1. environment ----------------------------------------------------------------------------------------
environment() {
  echo "== prepared folder ($prepared/PREPARED.txt)"; cat "$prepared/PREPARED.txt"
  echo; echo "== GPU code in the binaries (counted here)"; tensor_core_census "$prepared/bin/exacheck"
  echo; echo "== host"; uname -a; (. /etc/os-release && echo "$PRETTY_NAME"); ldd --version | head -n 1
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores; memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo; echo "== GPU and driver"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi -L || true
    nvidia-smi --query-gpu=name,pci.bus_id,serial,uuid,driver_version,vbios_version,compute_cap,memory.total,ecc.mode.current,power.limit,temperature.gpu,clocks.sm,clocks.max.sm,clocks.mem,clocks.max.mem,clocks.applications.graphics,persistence_mode,compute_mode \
      --format=csv 2>&1 || true
    nvidia-smi -q -d CLOCK,PERFORMANCE 2>&1 | head -n 80 || true
  else
    echo "nvidia-smi: not found"
  fi
  echo; echo "== CUDA, Python, PyTorch, NCCL"
  echo "nvcc: $(command -v nvcc >/dev/null && nvcc --version | tail -n 1 || echo 'not on PATH')"
  ls -d /usr/local/cuda*/ 2>/dev/null | paste -sd ' ' - || true
  python3 - <<'PY' 2>&1 || true
import glob, os, sys
print("python", sys.version.split()[0], sys.executable)
try:
    import torch
    print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        print("torch device 0:", p.name, f"cc {p.major}.{p.minor}", p.multi_processor_count, "SMs",
              f"{p.total_memory / 2**30:.1f} GiB")
    print("torch nccl", ".".join(map(str, torch.cuda.nccl.version())) if torch.cuda.is_available() else "n/a")
except Exception as error:
    print("torch: not usable:", error)
try:
    import nvidia
    for root in nvidia.__path__:
        for lib in sorted(glob.glob(os.path.join(root, "*", "lib", "lib*.so*"))):
            print("wheel library", lib)
except ImportError:
    print("no nvidia-* wheels")
PY
  echo; echo "== bundled Debian packages ($prepared/bundle/MANIFEST.txt)"
  grep -v '^#' "$prepared/bundle/MANIFEST.txt" | awk '{print "  " $1, $2}'
}
export prepared
export -f environment tensor_core_census
step environment 30 "GPU, driver, clocks, OS, glibc, library versions" -- environment || true
cp "$logs/environment.log" "$out_dir/environment.txt"

# ---- 2. the offline bundle into a scratch prefix ----------------------------------------------------------
root="$work/root"
step install 90 "offline bundle into $root" -- "$prepared/bundle/install.sh" --prefix "$root" --force || true
if [[ ! -f "$root/exacheck-env.sh" ]]; then
  note "the bundle did not install: nothing else can run (logs.tar.gz has install.log)"
  failed=1
  package
  exit 1
fi
# shellcheck disable=SC1091
source "$root/exacheck-env.sh"
# exacheck's own processes: the bundle's libraries first, then CUDA's and the driver's, then NCCL and cuBLAS
# from PyTorch's wheels where the toolkit has none. Python and PyTorch never see this path (step 5 passes it
# to exacheck's program only): Debian's libraries must not replace theirs.
bundle_path=$LD_LIBRARY_PATH
unset LD_LIBRARY_PATH
cuda_path=""
for d in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/cuda/targets/x86_64-linux/lib /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  [[ -d "$d" ]] && cuda_path="$cuda_path:$d"
done
wheel_path=$(python3 -c 'import glob, os, nvidia; print(":".join(sorted(d for r in nvidia.__path__ for d in glob.glob(os.path.join(r, "*", "lib")))))' 2>/dev/null || true)
exacheck_path="$bundle_path$cuda_path${wheel_path:+:$wheel_path}"
export OMPI_MCA_plm=isolated  # one node: no ssh (not bundled), ranks started by mpirun itself
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
with_libs() { LD_LIBRARY_PATH="$exacheck_path" "$@"; }
export exacheck_path
export -f with_libs

# ---- 3. every binary finds every library ------------------------------------------------------------------
libraries() {
  local missing=0
  for b in "$prepared"/bin/*; do
    local lost
    lost=$(with_libs ldd "$b" | grep 'not found' || true)
    if [[ -n "$lost" ]]; then echo "$(basename "$b"): $lost"; missing=1; fi
  done
  with_libs ldd "$prepared/bin/exacheck"
  # The bundle's copies must be the ones loaded (a system copy would hide a bundle that does not work).
  local outside
  outside=$(with_libs ldd "$prepared/bin/exacheck" | awk '$1 ~ /^lib(mpi|open-pal|open-rte|yaml-cpp|fmt|openblas)\./ {print $1, $3}' |
    grep -v " $root/" || true)
  [[ -z "$outside" ]] || { echo "not from the bundle: $outside"; missing=1; }
  echo "mpirun: $(command -v mpirun)"; with_libs mpirun --version | head -n 1
  with_libs "$prepared/bin/exacheck" --version
  return $missing
}
export -f libraries
libraries_summary() { grep -E 'not found|not from the bundle' "$1" | head -n 3 | paste -sd ';' - | cut -c1-200; }
export root
step_summary=libraries_summary step libraries 20 "every binary's shared libraries resolve, Open MPI's from the bundle" -- libraries || true

# ---- 3b. Open MPI from the bundle launches ranks (cpu backend: no GPU needed) ------------------------------
cat >"$work/mpi-plan.yaml" <<'EOF_PLAN'
schema: exacheck/plan/v1
name: device-check-mpi
description: Two ranks of the cpu backend through the bundle's mpirun, to show Open MPI works from the prefix.
defaults: {backend: cpu, launcher: mpirun, timeout: 1m,
           measure: {warmup_iterations: 1, min_iterations: 3, max_iterations: 20, min_time: 10ms, max_time: 200ms}}
cases:
  - {name: allreduce, benchmark: allreduce, ranks: 2, params: {bytes: [8, 64KiB], dtype: fp32}}
EOF_PLAN
run_summary() { grep -m1 -E '^(PASS|FAIL|INCORRECT|ERROR|INCOMPLETE|OUTLIER)|verdict' "$1" | cut -c1-200; }
step_summary=run_summary step mpi 60 "2 ranks through the bundle's mpirun (cpu allreduce)" -- \
  with_libs "$prepared/bin/exacheck" run "$work/mpi-plan.yaml" --out "$work/mpi-run" || true

# ---- 4. is there a GPU? --------------------------------------------------------------------------------------
gpus=0
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then gpus=$(nvidia-smi -L | grep -c '^GPU' || true); fi
export gpus
# exacheck must see what nvidia-smi sees: a build or a library that hides the GPU is a failure, not a skip.
info() {
  local text
  text=$(with_libs "$prepared/bin/exacheck" info) || { echo "$text"; return 1; }
  echo "$text"
  ((gpus > 0)) || return 0
  if ! grep -q '^gpu 0:' <<<"$text" || grep -q 'no CUDA backend' <<<"$text"; then
    echo "device-check: nvidia-smi lists $gpus GPU(s) but exacheck info shows none, or a build without CUDA"
    return 3
  fi
}
export -f info
info_summary() { grep -i -m2 -E 'gpu|cuda|device-check' "$1" | paste -sd ';' - | cut -c1-200; }
step_summary=info_summary step info 30 "exacheck info (this node as exacheck sees it)" -- info || true
if ((gpus == 0)); then
  note "no GPU: nvidia-smi $(command -v nvidia-smi >/dev/null && echo 'lists no GPU' || echo 'is not here'); the GPU steps (gpu tests, GEMM against torch, the one-GPU plan) are skipped: a dry run"
  package
  exit $((failed == 0 ? 0 : 1))
fi

# ---- 5. the gpu-labelled test programs --------------------------------------------------------------------
export EXACHECK_BINARY="$prepared/bin/exacheck"
cd "$work"  # the test programs' scratch files stay in the work folder
# A test skipped for want of a CUDA device, on a node whose GPU nvidia-smi lists, hides a broken set-up: FAIL.
gpu_test() {
  local seen
  seen="$work/$(basename "$1").out"
  with_libs "$1" 2>&1 | tee "$seen"
  local rc=${PIPESTATUS[0]}
  if grep -q 'no CUDA device' "$seen"; then
    echo "device-check: tests skipped for want of a CUDA device, on a node whose GPU nvidia-smi lists"
    return 3
  fi
  return "$rc"
}
export work
export -f gpu_test
for program in "$prepared"/bin/gpu_test_*; do
  name=${program##*/gpu_test_}
  case "$name" in  # caps: the GEMM and flops programs sweep every dtype; the CLI test runs a whole plan
    cublaslt_gemm|cuda_flops) cap=90 ;;
    gpu_cli) cap=150 ;;
    gpu_preflight) cap=30 ;;
    *) cap=60 ;;
  esac
  step_summary=gtest_summary step "test_$name" "$cap" "gpu test program" -- gpu_test "$program" || true
done

# ---- 6. GEMM against torch.matmul --------------------------------------------------------------------------
torch_summary() { grep -E '^(bf16|fp8_e4m3) heuristic|^OK|^NOT MET|torch.matmul bf16' "$1" | paste -sd ';' - | tr -s ' ' | cut -c1-240; }
step_summary=torch_summary step gemm_vs_torch 150 "exacheck gemm vs torch.matmul, 8192^3" -- \
  env PYTHONUNBUFFERED=1 python3 "$prepared/scripts/gemm_vs_torch.py" --perf "$prepared/bin/perf_gemm_vs_torch" \
  --libs "$exacheck_path" || true
cp "$logs/gemm_vs_torch.log" "$out_dir/gemm-vs-torch.txt"

# ---- 7. the one-GPU plan ------------------------------------------------------------------------------------
plan_summary() { grep -E 'verdict|PASS|FAIL|INCORRECT|ERROR' "$1" | tail -n 3 | paste -sd ';' - | cut -c1-240; }
step_summary=plan_summary step one_gpu_plan 240 "exacheck run configs/plans/one-gpu.yaml" -- \
  with_libs "$prepared/bin/exacheck" run "$prepared/configs/plans/one-gpu.yaml" --out "$work/run" || true

# ---- 8. the targets, from the plan's run.json ---------------------------------------------------------------
targets_summary() { grep -E 'NOT MET|not measured|^targets:' "$1" | sed 's/  */ /g' | paste -sd ';' - | cut -c1-240; }
if [[ -f "$work/run/run.json" ]]; then
  step_summary=targets_summary step targets 20 "fp8 GEMM, triad vs d2d copy, FMA and tensor-core % of peak" -- \
    python3 "$prepared/scripts/device_targets.py" "$work/run/run.json" || true
else
  note "$(printf '%-22s SKIPPED  %4s s  %s' targets 0 'the one-GPU plan wrote no run.json')"
  failed=1
fi

package
exit $((failed == 0 ? 0 : 1))
