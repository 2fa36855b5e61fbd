#!/usr/bin/env bash
# What one case's launch costs across nodes: on the dev cluster (scripts/dev-cluster.sh, real Slurm over
# network namespaces), a tiny selftest case at 1, 2 and 4 nodes (one rank per node), launched by srun and by
# mpirun inside `salloc -N n --ntasks-per-node=1`, REPEATS launches each. Prints per launcher and node count
# the median and spread of each case's launch_s (run.json: the case's elapsed time less the worker's
# benchmark time: starting the ranks, MPI_Init, gathering results) and a least-squares line a + b·nodes,
# with what it predicts at 525 nodes. The nodes share this machine's cores, so the slope is an upper bound
# for a cluster whose nodes are separate machines; the intercept is the launcher's own fixed cost.
#   scripts/bench/launch_scale.sh [BUILD_DIR]            (default build-host)
#   NODES="1 2 4" REPEATS=7 scripts/bench/launch_scale.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-host}
exacheck=$(realpath "$build/exacheck")
nodes_list=${NODES:-"1 2 4"}
repeats=${REPEATS:-7}
[[ -x $exacheck ]] || { echo "launch_scale: $exacheck not built (ninja -C $build exacheck)" >&2; exit 2; }
scripts/dev-cluster.sh up 4 >/dev/null
work=$(mktemp -d /tmp/exacheck-launch-scale.XXXXXX)
trap 'rm -rf "$work"' EXIT

cat > "$work/plan.yaml" <<EOF
schema: exacheck/plan/v1
name: launch-scale
description: one tiny selftest case, repeated, to time launches
system: $(realpath configs/systems/generic-cpu.yaml)
defaults: {backend: cpu, ranks: all, timeout: 2m,
           measure: {warmup_iterations: 0, min_iterations: 1, max_iterations: 1, min_time: 0s, max_time: 1s}}
cases:
  - name: tiny
    benchmark: selftest
    repeats: $repeats
    params: {mode: ok, loop: 1000}
# The nodes share this machine's cores: a node's loop rate says nothing here; only the launch is measured.
outliers: {z_threshold: 1000, min_deviation_pct: 99}
EOF

printf '%-8s %6s %10s %10s %10s\n' launcher nodes "median s" "min s" "max s"
summary=$work/summary.txt
for launcher in srun mpirun; do
  for n in $nodes_list; do
    out=$work/$launcher-$n
    # Exit 0 or 1 (a check's verdict) both measured every launch; 2 and above did not run them all.
    status=0
    scripts/dev-cluster.sh login salloc -N "$n" --ntasks-per-node=1 \
      "$exacheck" run "$work/plan.yaml" --launcher "$launcher" --out "$out" > "$out.log" 2>&1 || status=$?
    [[ $status -le 1 && -f $out/run.json ]] ||
      { echo "launch_scale: $launcher on $n node(s) failed (exit $status):" >&2; tail -20 "$out.log" >&2; exit 1; }
    python3 - "$out/run.json" "$launcher" "$n" >> "$summary" <<'PY'
import json, statistics, sys
run = json.load(open(sys.argv[1]))
launch = [case["timing"]["launch_s"] for case in run["cases"]]
print(sys.argv[2], sys.argv[3], statistics.median(launch), min(launch), max(launch), len(launch))
PY
    tail -1 "$summary" | awk '{printf "%-8s %6d %10.3f %10.3f %10.3f\n", $1, $2, $3, $4, $5}'
  done
done
python3 - "$summary" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1])]
for launcher in ("srun", "mpirun"):
    pts = [(int(r[1]), float(r[2])) for r in rows if r[0] == launcher]
    n = len(pts)
    mx = sum(x for x, _ in pts) / n
    my = sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    b = sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else 0.0
    a = my - b * mx
    print(f"{launcher}: launch_s ≈ {a:.3f} + {b:.4f}·nodes → {a + b * 525:.2f} s per case at 525 nodes")
PY
