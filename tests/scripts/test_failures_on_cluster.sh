#!/usr/bin/env bash
# Failures named by node on a real 4-node Slurm cluster (scripts/dev-cluster.sh; label cluster). Under
# salloc -N 4 with srun: a rank killed by SIGSEGV on one node is named by its host and signal; a hang on one
# rank is a TIMEOUT naming rank and host; a node that fails mid-run (its link cut and Slurm told it is down)
# stops the run as INCOMPLETE with the cases after it listed once, under salloc and under sbatch (the nightly job
# as shipped, which Slurm ends with SIGTERM). Every node it breaks is restored (link up,
# state resume) before it ends, whatever happens. Skipped (exit 77) as the dev cluster's own test is: not root,
# or no network namespaces.
#   test_failures_on_cluster.sh EXACHECK_BINARY
set -euo pipefail
# shellcheck source=cluster_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/cluster_common.sh"
exacheck=${1:?usage: test_failures_on_cluster.sh EXACHECK_BINARY}

skip_unless_cluster_possible

# The run directories live where every node sees them (one filesystem, docs/dev-cluster.md).
tmp=$(mktemp -d "${TMPDIR:-/tmp}/exacheck-failures-cluster.XXXXXX")
broken=""
restore() {
  [ -n "$broken" ] || return 0
  ip -n exdc-switch link set "v-$broken" up 2>/dev/null || true
  login scontrol update nodename="$broken" state=resume 2>/dev/null || true
  local i
  for ((i = 0; i < 60; i++)); do
    [ "$(login sinfo -h -N -o '%N %t' | awk '$2 == "idle"' | wc -l)" -eq 4 ] && break
    sleep 1
  done
  broken=""
}
finish() {
  local rc=$?
  restore
  rm -rf "$tmp"
  exit "$rc"
}
trap finish EXIT
# Until every rank of case CASE of run RUN_DIR measures (at most 30 s).
wait_for_measuring() { # wait_for_measuring RUN_DIR CASE
  local i dir
  for ((i = 0; i < 300; i++)); do
    dir=$(ls -d "$1/cases/$2-"* 2>/dev/null || true)
    [ -n "$dir" ] && [ "$(grep -l '"phase":"measuring"' "$dir"/progress/rank-*.json 2>/dev/null | wc -l)" -eq 4 ] && return
    sleep 0.1
  done
}
# node02 fails: its link cut, and Slurm told so at once (rather than after SlurmdTimeout).
fail_node02() {
  broken=node02
  ip -n exdc-switch link set v-node02 down
  login scontrol update nodename=node02 state=down reason=exacheck-failures-test
}
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$@"; }
contains() { grep -qF -- "$2" <<<"$1"; }

"$cluster" up 4 >/dev/null

plan() { # plan NAME CASES…: a plan of selftest cases launched by srun
  local name=$1
  shift
  {
    echo "schema: exacheck/plan/v1"
    echo "name: $name"
    echo "defaults: {launcher: srun, timeout: 60s, measure: {max_time: 100ms, min_time: 5ms}}"
    echo "cases:"
    printf '  - %s\n' "$@"
  } >"$tmp/$name.yaml"
}
# Four ranks, two per node (the allocation's CPUs fit one thread per rank there).
run_in_allocation() { # run_in_allocation PLAN RUN_DIR
  login salloc -N 4 --ntasks-per-node=2 "$exacheck" run "$tmp/$1.yaml" --out "$2" >"$2.out" 2>&1 || true
}
progress_host() { json "$1/progress/rank-$2.json" 'd["host"]'; }

# 1. A rank killed by SIGSEGV: named by its host (as its own progress file says) and the signal.
plan segv "{name: crash, benchmark: selftest, ranks: 4, params: {mode: crash, rank: 2, loop: 1000}}"
run_in_allocation segv "$tmp/segv"
cat "$tmp/segv.out"
crash_dir=$(ls -d "$tmp/segv/cases/crash-"*)
host=$(progress_host "$crash_dir" 2)
message=$(json "$tmp/segv/run.json" 'd["cases"][0]["message"]')
check "SIGSEGV on rank 2: its host is a node of the cluster ($host)" contains " node01 node02 node03 node04 " " $host "
check "SIGSEGV on rank 2: 'rank 2 on $host killed by SIGSEGV' in run.json" \
  contains "$message" "rank 2 on $host killed by SIGSEGV (Segmentation fault)"
check "SIGSEGV on rank 2: failure.hosts is [$host]" test "$(json "$tmp/segv/run.json" 'd["cases"][0]["failure"]["hosts"]')" = "['$host']"
check "SIGSEGV on rank 2: named on the console" contains "$(cat "$tmp/segv.out")" "rank 2 on $host killed by SIGSEGV"
check "SIGSEGV on rank 2: $host among the devices that need attention in report.md" \
  grep -qF "| $host | (node) |" "$tmp/segv/report.md"

# 2. A hang on rank 3: a TIMEOUT naming rank 3, its host and the limit.
plan hang "{name: hang, benchmark: selftest, ranks: 4, timeout: 6s, params: {mode: hang, rank: 3, loop: 1000}}"
run_in_allocation hang "$tmp/hang"
cat "$tmp/hang.out"
hang_dir=$(ls -d "$tmp/hang/cases/hang-"*)
host=$(progress_host "$hang_dir" 3)
message=$(json "$tmp/hang/run.json" 'd["cases"][0]["message"]')
check "hang on rank 3: TIMEOUT" test "$(json "$tmp/hang/run.json" 'd["cases"][0]["outcome"]')" = TIMEOUT
check "hang on rank 3: 'rank 3 on $host stuck' and the limit" \
  contains "$message" "(limit 6 s): rank 3 on $host stuck"

# 3. A node that fails mid-run: the run stops INCOMPLETE, the cases after it listed once, none launched.
plan node "{name: first, benchmark: selftest, ranks: 4, params: {loop: 1000}}" \
  "{name: during, benchmark: selftest, ranks: 4, timeout: 40s, params: {mode: hang, loop: 1000}}" \
  "{name: after1, benchmark: selftest, ranks: 4, params: {loop: 1000}}" \
  "{name: after2, benchmark: selftest, ranks: 4, params: {loop: 1000}}"
run_in_allocation node "$tmp/node" &
runner=$!
wait_for_measuring "$tmp/node" during
fail_node02
wait "$runner" || true
restore
cat "$tmp/node.out"
check "node failure: the run is INCOMPLETE" test "$(json "$tmp/node/run.json" 'd["verdict"]')" = INCOMPLETE
check "node failure: exit code 3" test "$(json "$tmp/node/run.json" 'd["exit_code"]')" = 3
check "node failure: 'during' is ERROR naming node02" \
  contains "$(json "$tmp/node/run.json" 'd["cases"][1]["message"]')" "node02"
check "node failure: the run says it stopped for its allocation" \
  test "$(json "$tmp/node/run.json" 'd["stopped"]["cause"]')" = allocation_gone
check "node failure: after1 and after2 listed once as not run" \
  test "$(json "$tmp/node/run.json" '[c["name"] for c in d["summary"]["unfinished_cases"]]')" = "['after1', 'after2']"
check "node failure: no ERROR for the cases not run" \
  test "$(json "$tmp/node/run.json" 'd["summary"]["counts"]["ERROR"]')" = 1
check "node failure: report.md says the run stopped" grep -qF "The run stopped: the Slurm allocation" "$tmp/node/report.md"
check "node failure: all 4 nodes idle again" test "$(login sinfo -h -N -o '%t' | grep -c idle)" -eq 4

# 4. The same under sbatch, with the nightly job as shipped: Slurm ends the job with SIGTERM to every process in
# it, exacheck included. That is the allocation gone (INCOMPLETE, the node named), never INTERRUPTED.
# --no-requeue: the dev cluster requeues a job whose node failed (JobRequeue=1), and this test wants it gone.
plan sbatch "{name: first, benchmark: selftest, ranks: 4, params: {loop: 1000}}" \
  "{name: during, benchmark: selftest, ranks: 4, timeout: 40s, params: {mode: hang, loop: 1000}}" \
  "{name: after1, benchmark: selftest, ranks: 4, params: {loop: 1000}}"
(cd "$tmp" && EXACHECK_HOME="$repo_root" EXACHECK_BIN="$exacheck" EXACHECK_NIGHTLY_PLAN="$tmp/sbatch.yaml" \
  EXACHECK_NIGHTLY_OUT="$tmp/sbatch" login sbatch -N 4 --no-requeue --wait --output="$tmp/sbatch-job.txt" \
  "$repo_root/scripts/slurm/nightly.sbatch") >"$tmp/sbatch.out" 2>&1 &
runner=$!
wait_for_measuring "$tmp/sbatch" during
fail_node02
wait "$runner" || true
restore
cat "$tmp/sbatch.out" "$tmp/sbatch-job.txt"
check "sbatch, node failure: the run is INCOMPLETE, not INTERRUPTED" \
  test "$(json "$tmp/sbatch/run.json" 'd["verdict"]')" = INCOMPLETE
check "sbatch, node failure: exit code 3" test "$(json "$tmp/sbatch/run.json" 'd["exit_code"]')" = 3
check "sbatch, node failure: 'during' is ERROR naming node02" \
  contains "$(json "$tmp/sbatch/run.json" 'd["cases"][1]["message"]')" "node02"
check "sbatch, node failure: the run says it stopped for its allocation" \
  test "$(json "$tmp/sbatch/run.json" 'd["stopped"]["cause"]')" = allocation_gone
check "sbatch, node failure: after1 listed as not run" \
  test "$(json "$tmp/sbatch/run.json" '[c["name"] for c in d["summary"]["unfinished_cases"]]')" = "['after1']"
check "sbatch, node failure: the job's output ends with exacheck's exit 3 and the report" \
  grep -qF "exacheck: exit 3; report $tmp/sbatch/report.md" "$tmp/sbatch-job.txt"
check "sbatch, node failure: all 4 nodes idle again" test "$(login sinfo -h -N -o '%t' | grep -c idle)" -eq 4

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
