#!/usr/bin/env bash
# exacheck node-check inside a real Slurm job on the 4-node dev cluster (scripts/dev-cluster.sh; label
# cluster), as a Prolog meets it: the job's SLURM_* name all four nodes, and each node's check must still run
# on that node alone. One task per node runs `exacheck node-check` at once:
#   - the shipped plan: silent, exit 0, each node's run under ROOT/<node>/latest naming that node alone;
#   - a plan with a planted wrong answer: one NHC-style line per node, naming that node, and a non-zero exit
#     (what makes Slurm drain a node whose Prolog or Epilog fails).
# Skipped (exit 77) when not root, where network namespaces cannot be made, or without python3 (reads
# run.json). A cluster that was up before is left up; one this test brought up is taken down at the end.
set -euo pipefail
exacheck=$(realpath "$1")
# shellcheck source=cluster_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/cluster_common.sh"

skip_unless_cluster_possible
command -v python3 >/dev/null || { echo "SKIP: python3 reads run.json here"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/exacheck-cluster-node-check.XXXXXX")
chmod 755 "$tmp"
leave_cluster_as_found
[ "$was_up" -eq 1 ] || "$cluster" up 4 >/dev/null
nodes="node01 node02 node03 node04"

# json RUN_JSON PYTHON-EXPRESSION: the expression's value, with `r` the parsed run.json.
json() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"; }

# ---- a healthy node: nothing printed, exit 0, its run filed under its own name ----
rc=0
start=$SECONDS
login salloc --quiet -N 4 --ntasks-per-node=1 srun --ntasks-per-node=1 \
  "$exacheck" node-check --out-root "$tmp/root" >"$tmp/pass.txt" 2>&1 || rc=$?
echo "node-check, shipped plan, 4 nodes at once: $((SECONDS - start)) s"
[ "$rc" -eq 0 ] || cat "$tmp/pass.txt"
check "node-check on every node of a 4-node job: exit 0" test "$rc" -eq 0
check "node-check printed nothing" test ! -s "$tmp/pass.txt"
for node in $nodes; do
  own_run() {
    [ "$(json "$tmp/root/$1/latest/run.json" "(r['verdict'], r['plan']['name'], r['provenance']['hosts'],
         r['provenance'].get('slurm'))")" = "('PASS', 'node-check', ['$1'], None)" ]
  }
  check "$node: ROOT/$node/latest/run.json passed on $node alone, no Slurm job taken" own_run "$node"
done

# ---- a failing check: one line per node, naming it, and a non-zero exit ----
cat >"$tmp/failing.yaml" <<'PLAN'
schema: exacheck/plan/v1
name: node-check-failing
defaults: {launcher: mpirun, timeout: 60s, measure: {max_time: 100ms, min_time: 10ms}}
cases:
  - {name: wrong, benchmark: selftest, ranks: 2, params: {mode: wrong, rank: 1}}
PLAN
chmod 644 "$tmp/failing.yaml"
rc=0
login salloc --quiet -N 4 --ntasks-per-node=1 srun --ntasks-per-node=1 \
  "$exacheck" node-check --plan "$tmp/failing.yaml" --out-root "$tmp/failing" >"$tmp/fail.txt" \
  2>"$tmp/srun.txt" || rc=$?  # the tasks' stdout apart from srun's own "task 1: Exited with exit code 1"
cat "$tmp/fail.txt" "$tmp/srun.txt"
check "a failing check on every node: non-zero exit" test "$rc" -ne 0
one_line_per_node() {
  [ "$(grep -c '' "$tmp/fail.txt")" -eq 4 ] || return 1
  for node in $nodes; do
    [ "$(grep -c "^ERROR:  exacheck:  Health check failed:  $node CPU 1 INCORRECT selftest correctness .* (run $tmp/failing/$node/[0-9TZ-]*)\$" "$tmp/fail.txt")" -eq 1 ] || return 1
  done
}
check "exactly one NHC-style line per node, each naming its node and its run directory" one_line_per_node

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
