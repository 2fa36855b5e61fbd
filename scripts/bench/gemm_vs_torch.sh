#!/usr/bin/env bash
# exacheck's cuda gemm (bf16, fp8_e4m3) against torch.matmul (bf16) at 8192^3 on the same GPU, back to back:
# the issue's speed target (exacheck bf16 >= 97% of torch; fp8 >= 1.3 PFLOP/s). Runs from a built tree.
#
#   scripts/bench/gemm_vs_torch.sh [--build DIR] [-- gemm_vs_torch.py options]
#
#   --build DIR      the CUDA build tree (default: build-cuda), holding tests/perf/perf_gemm_vs_torch
#   runs python3 scripts/bench/gemm_vs_torch.py --perf DIR/tests/perf/perf_gemm_vs_torch, on a machine with
#   Debian's libraries, CUDA and PyTorch. Exit status: 0 when every target is met, 1 when one is missed or an
#   answer is wrong, 2 when something could not run. On a GPU node without Debian's libraries it runs inside
#   scripts/device-check.sh, which carries them (copying what ldd lists is not enough for Open MPI).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build="$repo_root/build-cuda"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done

perf="$build/tests/perf/perf_gemm_vs_torch"
if [[ ! -x "$perf" ]]; then
  echo "gemm_vs_torch: $perf not found: build it first (ninja -C $build perf_gemm_vs_torch)" >&2
  exit 2
fi
exec python3 "$repo_root/scripts/bench/gemm_vs_torch.py" --perf "$perf" "$@"
