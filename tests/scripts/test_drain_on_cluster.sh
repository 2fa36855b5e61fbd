#!/usr/bin/env bash
# Drain that is safe, on a real 4-node Slurm cluster (scripts/dev-cluster.sh; label cluster; docs/drain.md):
# a self-test whose rank 2 (node03) answers wrongly gets node03, and no other node, drained by `exacheck drain
# --apply` with a reason that starts with the owner tag and names the device, the check and the run; a run in
# which every node fails is over the cap and drains nothing (exit 4); `exacheck resume --apply` with a run in
# which every node passes returns node03 and never node04, drained by "someone else" (a reason without the
# tag). Every node this test drained is resumed on every exit, and the test ends once every node is idle
# again. About 20 s. Skipped (exit 77) as the other cluster tests are.
#   test_drain_on_cluster.sh EXACHECK_BINARY
set -euo pipefail
exacheck=$(realpath "${1:?usage: test_drain_on_cluster.sh EXACHECK_BINARY}")
# shellcheck source=cluster_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/cluster_common.sh"
skip_unless_cluster_possible

tmp=$(mktemp -d "${TMPDIR:-/tmp}/exacheck-drain.XXXXXX")
chmod 755 "$tmp"
planted_reason="planted by test_drain_on_cluster.sh: not exacheck's"
# Every node drained by exacheck or by this test's plant goes back to service, whatever happened.
resume_what_we_drained() {
  local nodes node state reason waited
  nodes=$(login sinfo -h -N -o '%N|%T|%E') || return 0
  while IFS='|' read -r node state reason; do
    case "$state" in *drain* | *drng*) ;; *) continue ;; esac
    case "$reason" in "exacheck:"* | "$planted_reason")
      login scontrol update nodename="$node" state=resume </dev/null || true ;;
    esac
  done <<<"$nodes"
  # A resumed node shows idle* until slurmctld's next ping, and `dev-cluster.sh status` calls that not up:
  # wait for it, so that the next cluster test finds the cluster up (and does not take it down as its own).
  for waited in $(seq 60); do "$cluster" status >/dev/null 2>&1 && break; sleep 1; done
}
leave_cluster_as_found resume_what_we_drained
[ "$was_up" -eq 1 ] || "$cluster" up 4 >/dev/null

plan() {  # plan NAME SELFTEST_PARAMS
  cat >"$tmp/$1.yaml" <<PLAN
schema: exacheck/plan/v1
name: drain-test
description: one self-test on every node of the allocation
defaults: {backend: cpu, ranks: all, timeout: 60s,
           measure: {warmup_iterations: 1, min_iterations: 3, max_iterations: 5, min_time: 1ms, max_time: 50ms}}
cases:
  - name: selftest
    benchmark: selftest
    params: {loop: 1000, $2}
outliers: {z_threshold: 1000, min_deviation_pct: 99}
PLAN
}
plan bad "mode: wrong, rank: 2"  # rank 2 of one task per node: node03
plan all_bad "mode: wrong"       # every rank: a broken reference would look like this
plan good "mode: ok"
for run in bad all_bad good; do
  status=0
  login salloc -N 4 --ntasks-per-node=1 "$exacheck" run "$tmp/$run.yaml" --launcher srun --out "$tmp/$run" \
    >"$tmp/$run.txt" 2>&1 || status=$?
  check "the run '$run' ends as its plan says (exit $([ "$run" = good ] && echo 0 || echo 1))" \
    [ "$status" -eq "$([ "$run" = good ] && echo 0 || echo 1)" ]
done
node_line() { login sinfo -h -N -n "$1" -o '%N|%T|%E' | head -1; }

# node03 drained, with the tag, its device, the check and the run; nothing else.
status=0
login "$exacheck" drain "$tmp/bad" --apply >"$tmp/drain.txt" 2>&1 || status=$?
cat "$tmp/drain.txt"
check "drain --apply exits 1 (a node failed)" [ "$status" -eq 1 ]
check "node03 is drained with the owner tag, device, check and run" \
  [ "$(node_line node03)" = "node03|drained|exacheck: cpu 0 selftest correctness INCORRECT run bad" ]
for node in node01 node02 node04; do
  check "$node stays in service" bash -c "[[ '$(node_line $node)' == $node\|idle\|* ]]"
done

# Someone else drains node04.
login scontrol update nodename=node04 state=drain reason="$planted_reason"

# Every node fails: over the cap (10 % of 4 nodes is one, held by node03 already), nothing more drained.
status=0
login "$exacheck" drain "$tmp/all_bad" --apply >"$tmp/cap.txt" 2>&1 || status=$?
cat "$tmp/cap.txt"
check "a run where every node fails exits 4 (cap exceeded)" [ "$status" -eq 4 ]
check "and says that nothing was drained" grep -q "NOTHING was drained" "$tmp/cap.txt"
for node in node01 node02; do
  check "$node is still in service after the capped drain" bash -c "[[ '$(node_line $node)' == $node\|idle\|* ]]"
done
check "node04 keeps the reason someone else gave it" [ "$(node_line node04)" = "node04|drained|$planted_reason" ]

# Fixed: every node passes; node03 comes back, node04 (not exacheck's) does not.
status=0
login "$exacheck" resume "$tmp/good" --apply >"$tmp/resume.txt" 2>&1 || status=$?
cat "$tmp/resume.txt"
check "resume --apply exits 0" [ "$status" -eq 0 ]
# Back in service: no longer drained (a resumed node may show idle* until slurmctld's next ping).
check "node03 is back in service" bash -c "[[ '$(node_line node03)' != *drain* ]]"
check "node04, drained by someone else, is never resumed" \
  [ "$(node_line node04)" = "node04|drained|$planted_reason" ]

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
