#!/usr/bin/env bash
# exacheck's cuda gemm (bf16, fp8_e4m3) against torch.matmul (bf16) at 8192^3 on the same GPU, back to back:
# the issue's speed target (exacheck bf16 >= 97% of torch; fp8 >= 1.3 PFLOP/s). Runs from a built tree.
#
#   scripts/bench/gemm_vs_torch.sh [--build DIR] [--collect-libs] [-- gemm_vs_torch.py options]
#
#   --build DIR      the CUDA build tree (default: build-cuda), holding tests/perf/perf_gemm_vs_torch
#   --collect-libs   on the build machine: copy the shared libraries perf_gemm_vs_torch loads that a node with
#                    only CUDA, its driver and Python/PyTorch lacks (Debian's yaml-cpp, fmt, Open MPI, OpenBLAS,
#                    OpenMP, Google Benchmark, ...; about 40 MB) into DIR/bench-libs, then stop. Not copied:
#                    glibc's and the compiler's runtime (libstdc++, libgcc_s: any node with Python has them, at
#                    least as new), the CUDA toolkit's and driver's (libcudart, libcublasLt, libcuda), and
#                    NCCL, which the node has (NCCL from PyTorch's nvidia-nccl wheel where the toolkit lacks it).
#   otherwise        run python3 scripts/bench/gemm_vs_torch.py --perf DIR/tests/perf/perf_gemm_vs_torch
#                    --libs DIR/bench-libs (when present: first on LD_LIBRARY_PATH of that program only, never of
#                    Python and PyTorch). Exit status: 0 when every target is met, 1 when one is missed or an
#                    answer is wrong, 2 when something could not run.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build="$repo_root/build-cuda"
collect=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    --collect-libs) collect=true; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done

perf="$build/tests/perf/perf_gemm_vs_torch"
libs="$build/bench-libs"
if [[ ! -x "$perf" ]]; then
  echo "gemm_vs_torch: $perf not found: build it first (ninja -C $build perf_gemm_vs_torch)" >&2
  exit 2
fi

if $collect; then
  mkdir -p "$libs"
  # ldd prints "name => path (address)"; keep what is neither glibc nor CUDA/NCCL/driver.
  ldd "$perf" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | while read -r name path; do
    case "$name" in
      libc.so.*|libm.so.*|libdl.so.*|librt.so.*|libpthread.so.*|ld-linux*|libstdc++.so.*|libgcc_s.so.*|\
      libcuda.so.*|libcudart.so.*|libcublas*|libnccl.so.*|libnvidia-ml.so.*) continue ;;
    esac
    cp -L "$path" "$libs/$name"
  done
  echo "gemm_vs_torch: copied $(ls "$libs" | wc -l) libraries ($(du -sh "$libs" | cut -f1)) into $libs"
  exit 0
fi

libs_option=()
if [[ -d "$libs" ]]; then libs_option=(--libs "$libs"); fi
exec python3 "$repo_root/scripts/bench/gemm_vs_torch.py" --perf "$perf" "${libs_option[@]}" "$@"
