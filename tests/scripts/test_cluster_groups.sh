#!/usr/bin/env bash
# Grouped collectives on the dev cluster (label cluster; scripts/dev-cluster.sh, docs/dev-cluster.md): under
# `salloc -N 4 --ntasks-per-node=2` with mpirun, an allreduce with `groups: per_node` gives one result per node,
# named node01 … node04, and `groups: node_pairs` two rounds of two pairs (node01+node02, node03+node04, then
# node02+node03, node01+node04). Then node03's link is slowed (a token-bucket rate limit on its port of the
# cluster's switch, removed again on any exit) and the pairs that hold node03 must be the two slowest, named by
# their hosts in run.json and first in report.md's "Node groups". Skipped (exit 77) when not root or where network
# namespaces cannot be made, like tests/scripts/test_dev_cluster.sh; a cluster that was up is reused and left up.
# Usage: test_cluster_groups.sh EXACHECK_BINARY
set -euo pipefail
exacheck=${1:?usage: test_cluster_groups.sh EXACHECK_BINARY}
# shellcheck source=cluster_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/cluster_common.sh"
skip_unless_cluster_possible
command -v python3 >/dev/null || { echo "SKIP: python3 reads run.json here"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/exacheck-cluster-groups.XXXXXX")
chmod 755 "$tmp" # the jobs read the plan and write the run directory from inside the cluster's namespaces
slowed=0
restore_link() {
  if [ "$slowed" -eq 1 ]; then
    ip netns exec exdc-switch tc qdisc del dev v-node03 root 2>/dev/null || true
    slowed=0
  fi
}
leave_cluster_as_found restore_link
"$cluster" up 4 >/dev/null

# plan NAME GROUPS: a plan of one 8-rank allreduce with `groups: GROUPS`, at 64 KiB and 1 MiB.
plan() {
  cat >"$tmp/$1.yaml" <<YAML
schema: exacheck/plan/v1
name: $1
defaults:
  backend: cpu
  launcher: mpirun
  timeout: 2m
  measure: {warmup_iterations: 1, min_iterations: 3, max_iterations: 30, min_time: 20ms, max_time: 300ms,
            target_cv: 0.2}
cases:
  - name: allreduce-$2
    benchmark: allreduce
    ranks: 8
    params: {bytes: [64KiB, 1MiB], dtype: fp32, groups: $2}
YAML
}
# run NAME: the plan NAME under salloc -N 4 --ntasks-per-node=2; its run directory is $tmp/NAME.
run() {
  "$cluster" login salloc -N 4 --ntasks-per-node=2 "$exacheck" run "$tmp/$1.yaml" -o "$tmp/$1" \
    >"$tmp/$1.log" 2>&1 || true
  [ -f "$tmp/$1/run.json" ] || { echo "no run.json for $1:"; tail -20 "$tmp/$1.log"; return 1; }
}
# py NAME EXPRESSION: EXPRESSION evaluated with `run` = NAME's run.json and `groups` = its first
# analysis.groups entry's groups; prints the result.
py() {
  python3 -c "import json, sys
run = json.load(open('$tmp/$1/run.json'))
entry = (run.get('analysis', {}).get('groups') or [{}])[0]
groups = entry.get('groups', [])
print($2)"
}

plan per_node per_node
run per_node
check "per_node: the case completed" test "$(py per_node "run['cases'][0]['status']")" = completed
check "per_node: one copy per node, named node01..node04" \
  test "$(py per_node "' '.join(sorted(g['id'] for g in groups))")" = "node01 node02 node03 node04"
check "per_node: each copy ran on its node's 2 ranks" \
  test "$(py per_node "sorted(set(tuple(sorted(r['host'] for r in p['ranks'])) for p in run['cases'][0]['results']))")" \
  = "[('node01', 'node01'), ('node02', 'node02'), ('node03', 'node03'), ('node04', 'node04')]"

plan pairs node_pairs
run pairs
check "node_pairs: the case completed" test "$(py pairs "run['cases'][0]['status']")" = completed
check "node_pairs: two rounds of disjoint pairs, the second closing the ring" \
  test "$(py pairs "' '.join(f\"{g['round']}:{g['id']}\" for g in sorted(groups, key=lambda g: (g['round'], g['id'])))")" \
  = "1:node01+node02 1:node03+node04 2:node01+node04 2:node02+node03"

# node03's port on the switch limited to 30 Mbit/s: every pair that holds node03 crosses it.
ip netns exec exdc-switch tc qdisc add dev v-node03 root tbf rate 30mbit burst 64kb latency 400ms
slowed=1
plan slow node_pairs
run slow
restore_link
check "the link is restored" test -z "$(ip netns exec exdc-switch tc qdisc show dev v-node03 | grep tbf || true)"
cat "$tmp/slow.log" | tail -3
check "slow link: the case completed" test "$(py slow "run['cases'][0]['status']")" = completed
check "slow link: the two slowest pairs are node03's, named by their hosts" \
  test "$(py slow "' '.join(sorted(g['id'] for g in sorted(groups, key=lambda g: g['value'])[:2]))")" \
  = "node02+node03 node03+node04"
check "slow link: the slowest pair holds node03" \
  test "$(py slow "'node03' in entry['slowest']['hosts']")" = True
first_rows=$(sed -n '/^## Node groups/,/^## /p' "$tmp/slow/report.md" | grep '^| node' | head -2 | cut -d'|' -f2 | tr -d ' ' | sort | tr '\n' ' ')
check "slow link: report.md lists node03's pairs first" test "$first_rows" = "node02↔node03 node03↔node04 "
sed -n '/^## Node groups/,/^## Results/p' "$tmp/slow/report.md" | sed -n '/node pairs/,$p'

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
