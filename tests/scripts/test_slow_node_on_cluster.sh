#!/usr/bin/env bash
# A slow node named by its host on a real 4-node Slurm cluster (scripts/dev-cluster.sh; label cluster): node03's
# slurmd, and so every task it starts, is held to a tenth of a CPU by a CPU-quota cgroup; a compute-bound
# self-test on every node under `salloc -N 4 --ntasks-per-node=1` (srun, --ranks all) makes node03, and no
# other node, a fleet OUTLIER by its host, in run.json, report.md and on the console. The quota is lifted and
# the cgroup removed on every exit. Skipped (exit 77) as the other cluster tests are, and where no cgroup CPU
# controller can be written (cgroup v1 cpu or v2 cpu.max).
#   test_slow_node_on_cluster.sh EXACHECK_BINARY
set -euo pipefail
exacheck=$(realpath "${1:?usage: test_slow_node_on_cluster.sh EXACHECK_BINARY}")
# shellcheck source=cluster_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/cluster_common.sh"
skip_unless_cluster_possible
command -v python3 >/dev/null || { echo "SKIP: python3 reads run.json here"; exit 77; }

# The quota: cgroup v1's cpu controller, else v2's cpu.max.
slow_cgroup=""
if [ -w /sys/fs/cgroup/cpu ] && [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
  slow_cgroup=/sys/fs/cgroup/cpu/exdc-slow-node
  mkdir -p "$slow_cgroup" && echo 100000 >"$slow_cgroup/cpu.cfs_period_us" &&
    echo 10000 >"$slow_cgroup/cpu.cfs_quota_us" || slow_cgroup=""
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers; then
  slow_cgroup=/sys/fs/cgroup/exdc-slow-node
  echo +cpu >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
  mkdir -p "$slow_cgroup" && echo "10000 100000" >"$slow_cgroup/cpu.max" || slow_cgroup=""
fi
[ -n "$slow_cgroup" ] || { echo "SKIP: no cgroup CPU controller to slow a node with"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/exacheck-slow-node.XXXXXX")
chmod 755 "$tmp"
lift_quota() {
  # Back to the root group: every process of the slow one, then the group itself.
  local root_procs
  root_procs=$(dirname "$slow_cgroup")/cgroup.procs
  if [ -f "$slow_cgroup/cgroup.procs" ]; then
    while read -r pid; do echo "$pid" >"$root_procs" 2>/dev/null || true; done <"$slow_cgroup/cgroup.procs"
  fi
  rmdir "$slow_cgroup" 2>/dev/null || true
}
leave_cluster_as_found lift_quota
[ "$was_up" -eq 1 ] || "$cluster" up 4 >/dev/null

state=${EXACHECK_DEV_CLUSTER_DIR:-/run/exacheck-dev-cluster}
slurmd_pid=$(cat "$state/nodes/node03/slurmd.pid")
echo "$slurmd_pid" >"$slow_cgroup/cgroup.procs"

cat >"$tmp/plan.yaml" <<PLAN
schema: exacheck/plan/v1
name: slow-node
description: a compute-bound self-test on every node; node03 runs under a tenth of a CPU
defaults: {backend: cpu, ranks: all, timeout: 90s,
           measure: {warmup_iterations: 1, min_iterations: 3, max_iterations: 5, min_time: 10ms, max_time: 5s}}
cases:
  - name: loop
    benchmark: selftest
    params: {loop: 20000000}  # about 0.1 s an iteration unthrottled: longer than the quota's 100 ms period
PLAN

status=0
login salloc -N 4 --ntasks-per-node=1 "$exacheck" run "$tmp/plan.yaml" --launcher srun --out "$tmp/run" \
  >"$tmp/console.txt" 2>&1 || status=$?
cat "$tmp/console.txt"

check "the run ends with a failed check (exit 1), not an error" [ "$status" -eq 1 ]
outlier_hosts() {
  python3 - "$tmp/run/run.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
hosts = set()
def walk(x):
    if isinstance(x, dict):
        if x.get("outcome") == "OUTLIER" or x.get("verdict") == "OUTLIER":
            for key in ("host", "worst_host"):
                if isinstance(x.get(key), str):
                    hosts.add(x[key])
        for v in x.values():
            walk(v)
    elif isinstance(x, list):
        for v in x:
            walk(v)
walk(run)
print(" ".join(sorted(hosts)))
PY
}
check "run.json names node03, and only node03, as the OUTLIER" [ "$(outlier_hosts)" = "node03" ]
check "report.md names node03 as an OUTLIER" grep -qE "OUTLIER.*node03" "$tmp/run/report.md"
check "the console names node03 as an OUTLIER" grep -qE "OUTLIER +node03" "$tmp/console.txt"
check "and counts its CPU ranks, not GPUs" grep -qF "node03 (1 CPU rank(s)): mean" "$tmp/console.txt"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
