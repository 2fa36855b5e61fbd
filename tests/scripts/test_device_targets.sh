#!/usr/bin/env bash
# Test of scripts/bench/device_targets.py: each GPU target is met, NOT MET or "not measured" from a run.json, and
# only a run meeting every one exits 0. Needs python3 (exit 77 without it).
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
targets="$repo_root/scripts/bench/device_targets.py"
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/exacheck-targets-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0
check() { local what=$1; shift; if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; failures=$((failures + 1)); fi; }

# write_run FILE FP8 TRIAD COPY FP64 FP32 BF16 FP16: a run.json with those figures ("-" leaves the point out)
write_run() {
  python3 - "$@" <<'PY'
import json, sys
out, fp8, triad, copy, *pcts = sys.argv[1:]
def point(benchmark, params, values):
    return {"params": params, "ranks": [{"rank": 0, "skipped": None, "values": values}]}
cases = {"gemm": [], "membw": [], "copybw": [], "flops": []}
if fp8 != "-":  # fast accumulation first, and the default point without the parameter (left out at its default)
    cases["gemm"].append(point("gemm", {"dtype": "fp8_e4m3", "fast_accum": True}, {"tflops": 9999.0}))
    cases["gemm"].append(point("gemm", {"dtype": "fp8_e4m3"}, {"tflops": float(fp8)}))
if triad != "-":
    cases["membw"].append(point("membw", {}, {"triad_bandwidth": float(triad)}))
if copy != "-":
    cases["copybw"].append(point("copybw", {"direction": "d2d", "bytes": 268435456}, {"d2d_read_write_bandwidth": 1.0}))
    cases["copybw"].append(point("copybw", {"direction": "d2d", "bytes": 1073741824},
                                 {"d2d_read_write_bandwidth": float(copy)}))
for (dtype, engine), pct in zip((("fp64", "auto"), ("fp32", "auto"), ("bf16", "auto"), ("fp16", "auto")), pcts):
    if pct != "-":
        cases["flops"].append(point("flops", {"dtype": dtype, "engine": engine},
                                    {"pct_of_peak_at_clock": float(pct), "tflops": 1.0, "sm_clock_mhz": 1980.0}))
run = {"cases": [{"benchmark": b, "results": r} for b, r in cases.items()]}
json.dump(run, open(out, "w"))
PY
}
verdict() { python3 "$targets" "$1" >"$1.txt" 2>&1 && echo 0 || echo $?; }

write_run "$tmp/good.json" 1400 3900 4300 95 93 85 82
check "every target met: exit 0" test "$(verdict "$tmp/good.json")" = 0
check "it says so" grep -q '^targets: all met' "$tmp/good.json.txt"
check "triad is compared with the largest copy (90.7%)" grep -q '90.7% of 4300' "$tmp/good.json.txt"

write_run "$tmp/slow.json" 1200 3800 4300 89 93 85 79
check "a target missed: exit 1" test "$(verdict "$tmp/slow.json")" = 1
check "fp8 is judged on the default accumulation, not fast_accum's figure" grep -q -E '^fp8_e4m3.*1200.0 TFLOP/s.*NOT MET' "$tmp/slow.json.txt"
for t in fp8_e4m3 triad fp64 fp16; do
  check "$t below its target is NOT MET" grep -q -E "^$t.*NOT MET" "$tmp/slow.json.txt"
done
check "fp32 and bf16 above theirs are met" bash -c 'grep -q -E "^fp32.* met$" "$0" && grep -q -E "^bf16.* met$" "$0"' "$tmp/slow.json.txt"

write_run "$tmp/partial.json" 1400 - 4300 95 - 85 82
check "a figure the run lacks is not measured, never met: exit 1" test "$(verdict "$tmp/partial.json")" = 1
check "triad and fp32 are not measured" bash -c 'grep -q -E "^triad.*not measured" "$0" && grep -q -E "^fp32.*not measured" "$0"' "$tmp/partial.json.txt"

echo '{not json' >"$tmp/bad.json"
check "an unreadable run.json is exit 2" test "$(verdict "$tmp/bad.json")" = 2

[ "$failures" -eq 0 ] && echo "all checks passed" || { echo "$failures check(s) failed"; exit 1; }
