#!/usr/bin/env bash
# The speed target of `exacheck report` (parse run.json → analyse → render every report) at machine scale:
# simulated runs of the acceptance plan (exacheck simulate, system h100-sxm) at 100, 1,000, 2,100 (525 × 4) and
# 10,000 GPUs. Prints, per size, the run.json size, the wall time and peak RSS of `exacheck report` as a child
# process (GNU time: wait4's ru_maxrss), best wall time of REPEATS runs, and the CPU time per GPU (a constant
# column is linear growth), and the CPU time (user + sys: what the wall time would be on an idle machine;
# on a shared one the wall time includes waiting). Target: 2,100 GPUs in under 0.43x the CPU time of
# exacheck at 003087d (2.35 -> 1 s on the 2-core reference machine) and under 300 MB peak RSS. For the side by
# side, build the older revision in its own worktree and run this script with its build directory too.
#   scripts/bench/report_scale.sh [BUILD_DIR]          (default build-host)
#   SIZES="25x4 525x4" REPEATS=1 scripts/bench/report_scale.sh
# Where the time goes inside (parse, analysis, each renderer, writing run.json): tests/perf/perf_report_scale.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-host}
exacheck=$build/exacheck
sizes=${SIZES:-"25x4 250x4 525x4 2500x4"}
repeats=${REPEATS:-3}
[[ -x $exacheck ]] || { echo "report_scale: $exacheck not built (ninja -C $build exacheck)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "report_scale: needs GNU time (/usr/bin/time; apt-get install time)" >&2; exit 2; }
work=$(mktemp -d /tmp/exacheck-report-scale.XXXXXX)
trap 'rm -rf "$work"' EXIT

printf '%-10s %-7s %12s %11s %10s %10s %12s %12s\n' "nodes×gpus" GPUs "run.json MB" "simulate s" "report s" "CPU s" "peak RSS MB" "CPU ms/GPU"
for size in $sizes; do
  nodes=${size%x*}
  gpus_per_node=${size#*x}
  gpus=$((nodes * gpus_per_node))
  run_dir=$work/$size
  start=$(date +%s.%N)
  # Exit code 1 is expected: the planted slow GPUs are outliers.
  "$exacheck" simulate --nodes "$nodes" --gpus-per-node "$gpus_per_node" --system configs/systems/h100-sxm.yaml \
    --seed 1 --out "$run_dir" > "$work/simulate.log" || [[ $? -eq 1 ]] || { cat "$work/simulate.log" >&2; exit 1; }
  simulate_s=$(echo "$(date +%s.%N) - $start" | bc)
  rm -rf "$run_dir/cases"  # the report reads run.json alone
  best_s="" best_cpu_s="" max_rss_kb=0
  for ((i = 0; i < repeats; i++)); do
    # Exit code 1 again: report exits with the run's verdict.
    /usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" "$exacheck" report "$run_dir" > /dev/null || [[ $? -eq 1 ]]
    # The last line: GNU time writes "Command exited with non-zero status 1" before it.
    read -r wall_s user_s sys_s rss_kb < <(tail -n 1 "$work/time.txt")
    cpu_s=$(echo "$user_s + $sys_s" | bc)
    if [[ -z $best_s ]] || (($(echo "$wall_s < $best_s" | bc))); then best_s=$wall_s; fi
    if [[ -z $best_cpu_s ]] || (($(echo "$cpu_s < $best_cpu_s" | bc))); then best_cpu_s=$cpu_s; fi
    ((rss_kb > max_rss_kb)) && max_rss_kb=$rss_kb
  done
  run_mb=$(echo "scale=1; $(stat -c %s "$run_dir/run.json") / 1000000" | bc)
  printf '%-10s %-7s %12s %11.1f %10.2f %10.2f %12.0f %12.3f\n' "$size" "$gpus" "$run_mb" "$simulate_s" \
    "$best_s" "$best_cpu_s" "$(echo "$max_rss_kb / 1024" | bc)" "$(echo "scale=6; $best_cpu_s * 1000 / $gpus" | bc)"
  rm -rf "$run_dir"
done
