#!/usr/bin/env bash
# scripts/slurm/nightly.sbatch as a batch job runs it, without Slurm: SLURM_* set as sbatch sets them and a fake
# exacheck that records its arguments. Checks: the run directory (a requeued job, SLURM_RESTART_COUNT, gets its
# own), exacheck's exit code passed on, and Slurm's SIGTERM to the whole job (a node failure, the time limit):
# the script waits for exacheck to write its results and still says where they are, with exacheck's exit code.
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/exacheck-nightly-sbatch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0
check() {
  local what=$1
  shift
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; failures=$((failures + 1)); fi
}

# The fake exacheck: writes its arguments, then exits 1 at once, or (FAKE_WAIT set) waits for SIGTERM, as the
# controller does, writes its results and exits 3 (the allocation gone).
cat >"$tmp/exacheck" <<'FAKE'
#!/usr/bin/env bash
printf '%s\n' "$@" >"$FAKE_ARGS"
if [ -n "${FAKE_WAIT:-}" ]; then
  trap 'sleep 0.5; echo written >"$FAKE_ARGS.results"; exit 3' TERM
  touch "$FAKE_ARGS.started"
  while :; do sleep 0.1; done
fi
exit 1
FAKE
chmod +x "$tmp/exacheck"

nightly() { # nightly RESTART_COUNT: runs the script as job 77 would; its output in $tmp/out.txt
  (cd "$tmp" && env SLURM_JOB_ID=77 SLURM_SUBMIT_DIR="$repo_root" SLURM_RESTART_COUNT="$1" \
    EXACHECK_BIN="$tmp/exacheck" FAKE_ARGS="$tmp/args" bash "$repo_root/scripts/slurm/nightly.sbatch") \
    >"$tmp/out.txt" 2>&1
}
out_arg() { grep -A1 -x -- --out "$tmp/args" | tail -1; }

rc=0
nightly 0 || rc=$?
check "exacheck's exit code is the job's (1)" test "$rc" -eq 1
check "run directory runs/nightly-<date>-77" test "$(out_arg)" = "runs/nightly-$(date -u +%Y%m%d)-77"
check "--launcher srun --ranks all" grep -qx -- all "$tmp/args"

rc=0
nightly 2 || rc=$?
check "a requeued job (SLURM_RESTART_COUNT=2) gets its own directory" \
  test "$(out_arg)" = "runs/nightly-$(date -u +%Y%m%d)-77-restart2"

# Slurm's SIGTERM to every process of the job, the script and exacheck alike (setsid: a group of their own).
rm -f "$tmp/args"*
(cd "$tmp" && exec env SLURM_JOB_ID=77 SLURM_SUBMIT_DIR="$repo_root" EXACHECK_BIN="$tmp/exacheck" \
  FAKE_ARGS="$tmp/args" FAKE_WAIT=1 setsid bash "$repo_root/scripts/slurm/nightly.sbatch") >"$tmp/out.txt" 2>&1 &
job=$!
for ((i = 0; i < 100; i++)); do
  [ -e "$tmp/args.started" ] && break
  sleep 0.1
done
kill -TERM -- "-$job"
rc=0
wait "$job" || rc=$?
cat "$tmp/out.txt"
check "after SIGTERM exacheck wrote its results" test -e "$tmp/args.results"
check "after SIGTERM the job exits with exacheck's code (3)" test "$rc" -eq 3
check "after SIGTERM the job's output still says where the report is" \
  grep -qF "exacheck: exit 3; report runs/nightly-" "$tmp/out.txt"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
