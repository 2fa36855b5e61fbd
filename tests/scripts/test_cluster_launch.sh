#!/usr/bin/env bash
# Launches that fit the allocation, on the real 4-node dev cluster (scripts/dev-cluster.sh; label cluster).
#   test_cluster_launch.sh EXACHECK launch   under `salloc -N 4 --ntasks-per-node=1` and nothing else, a small
#                                            plan with --ranks all over srun and over mpirun passes with ranks
#                                            on 4 distinct hosts in run.json, which names the job, its partition
#                                            and its 4 nodes; a case's recorded rerun line runs it again; and
#                                            `sbatch -N 4 scripts/slurm/nightly.sbatch` (the tiny plan through
#                                            EXACHECK_NIGHTLY_PLAN) completes and writes its report
#   test_cluster_launch.sh EXACHECK readme   the README's "Trying it under Slurm" command: no case ERRORs
# Skipped (exit 77) when not root, where network namespaces cannot be made, or without python3 (reads
# run.json). A cluster that was up before is left up; one this test brought up is taken down at the end.
set -euo pipefail
exacheck=$(realpath "$1")
mode=${2:-launch}
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cluster="$repo_root/scripts/dev-cluster.sh"
plan="$repo_root/tests/fixtures/plans/cluster-tiny.yaml"

[ "$(id -u)" -eq 0 ] || { echo "SKIP: the dev cluster needs root (network namespaces, slurmd)"; exit 77; }
unshare --net --uts --mount true 2>/dev/null ||
  { echo "SKIP: cannot create network namespaces here (unshare --net failed)"; exit 77; }
command -v slurmctld >/dev/null || command -v apt-get >/dev/null ||
  { echo "SKIP: no Slurm and no apt-get to install it"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 reads run.json here"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/exacheck-cluster-launch.XXXXXX")
chmod 755 "$tmp" # the job steps run as root too, but keep it readable on every node of the shared filesystem
was_up=0
"$cluster" status >/dev/null 2>&1 && was_up=1
finish() {
  local rc=$?
  [ "$was_up" -eq 1 ] || "$cluster" down >/dev/null 2>&1 || true
  rm -rf "$tmp"
  exit "$rc"
}
trap finish EXIT
[ "$was_up" -eq 1 ] || "$cluster" up 4 >/dev/null
failures=0
check() {
  local what=$1
  shift
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; failures=$((failures + 1)); fi
}
login() { "$cluster" login "$@"; }

# json RUN_JSON PYTHON-EXPRESSION: the expression's value, with `r` the parsed run.json.
json() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"; }
four_nodes="['node01', 'node02', 'node03', 'node04']"

# every_case_on_four_hosts RUN_JSON: every case completed, its ranks on node01..node04, one each.
every_case_on_four_hosts() {
  [ "$(json "$1" "all(c['status'] == 'completed' and c['hosts'] == $four_nodes and
       sorted(x['host'] for x in c['results'][0]['ranks']) == $four_nodes for c in r['cases'])")" = True ]
}
names_the_job() {
  [ "$(json "$1" "(r['provenance']['slurm']['job_id'] != '', r['provenance']['slurm']['partition'],
       r['provenance']['slurm']['nodes'])")" = "(True, 'debug', $four_nodes)" ]
}

if [ "$mode" = launch ]; then
  for launcher in srun mpirun; do
    out="$tmp/$launcher"
    rc=0
    start=$SECONDS
    login salloc -N 4 --ntasks-per-node=1 "$exacheck" run "$plan" --launcher "$launcher" --ranks all \
      --out "$out" >"$tmp/$launcher.txt" 2>&1 || rc=$?
    echo "$launcher: $((SECONDS - start)) s"
    [ "$rc" -eq 0 ] || cat "$tmp/$launcher.txt"
    check "$launcher under salloc -N 4 --ntasks-per-node=1, --ranks all: exit 0" test "$rc" -eq 0
    check "$launcher: every case ran one rank on each of node01..node04" every_case_on_four_hosts "$out/run.json"
    check "$launcher: run.json names the job, partition debug and its 4 nodes" names_the_job "$out/run.json"
  done

  # The recorded rerun line of the mpirun allreduce runs it again as it ran, in an allocation of the same shape.
  rerun=$(json "$tmp/mpirun/run.json" "r['cases'][0]['launch']['rerun']")
  result="$(json "$tmp/mpirun/run.json" "r['cases'][0]['launch']['argv'][-3]")"
  rm -f "$result"
  rc=0
  login salloc -N 4 --ntasks-per-node=1 bash -c "$rerun" >"$tmp/rerun.txt" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || cat "$tmp/rerun.txt"
  check "the rerun line runs the case again (exit 0)" test "$rc" -eq 0
  rerun_hosts() { [ "$(json "$result" "sorted(set(x['host'] for x in r['rank_results']))")" = "$four_nodes" ]; }
  check "the rerun's result has ranks on node01..node04" rerun_hosts

  # The nightly job as shipped, with the tiny plan.
  rc=0
  start=$SECONDS
  (cd "$tmp" && EXACHECK_HOME="$repo_root" EXACHECK_BIN="$exacheck" EXACHECK_NIGHTLY_PLAN="$plan" \
    EXACHECK_NIGHTLY_OUT="$tmp/nightly" login sbatch -N 4 --wait --output="$tmp/nightly-%j.txt" \
    "$repo_root/scripts/slurm/nightly.sbatch") >"$tmp/sbatch.txt" 2>&1 || rc=$?
  echo "sbatch nightly: $((SECONDS - start)) s"
  [ "$rc" -eq 0 ] || cat "$tmp/sbatch.txt" "$tmp"/nightly-*.txt
  check "sbatch -N 4 scripts/slurm/nightly.sbatch: the job exits 0" test "$rc" -eq 0
  check "nightly: report.md written" test -s "$tmp/nightly/report.md"
  check "nightly: every case on node01..node04" every_case_on_four_hosts "$tmp/nightly/run.json"
else
  # README, "Trying it under Slurm", as written there (with this build's binary): every case runs. (The plan's
  # within-a-node latency ceiling may FAIL across the dev cluster's veth links: exit 1 is not an ERROR.)
  rc=0
  (cd "$repo_root" && login salloc -N 4 --ntasks-per-node=1 "$exacheck" run configs/plans/quick.yaml \
    --launcher srun --out "$tmp/quick") >"$tmp/quick.txt" 2>&1 || rc=$?
  tail -5 "$tmp/quick.txt"
  check "README's salloc … --launcher srun: exit 0 or 1 (no usage error, no ERROR)" test "$rc" -le 1
  no_error() { [ "$(json "$tmp/quick/run.json" "sum(c['status'] != 'completed' for c in r['cases'])")" = 0 ]; }
  check "README's salloc … --launcher srun: every case completed" no_error
fi

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
