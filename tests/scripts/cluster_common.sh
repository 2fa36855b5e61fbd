# Sourced by the tests labelled cluster (tests/scripts/test_*cluster*.sh): where the dev cluster is, when such
# a test skips, and the helpers every one of them uses. Sets repo_root, cluster and failures.
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cluster="$repo_root/scripts/dev-cluster.sh"

# Skipped (exit 77), visibly, where the dev cluster cannot run: not root, no network namespaces, no Slurm and
# no apt-get to install it.
skip_unless_cluster_possible() {
  [ "$(id -u)" -eq 0 ] || { echo "SKIP: the dev cluster needs root (network namespaces, slurmd)"; exit 77; }
  unshare --net --uts --mount true 2>/dev/null ||
    { echo "SKIP: cannot create network namespaces here (unshare --net failed)"; exit 77; }
  command -v slurmctld >/dev/null || command -v apt-get >/dev/null ||
    { echo "SKIP: no Slurm and no apt-get to install it"; exit 77; }
}

failures=0
# check WHAT COMMAND…: one "ok"/"FAIL" line; the test exits non-zero at the end when any failed.
check() {
  local what=$1
  shift
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; failures=$((failures + 1)); fi
}
# login COMMAND…: runs it on the cluster's head node (scripts/dev-cluster.sh login).
login() { "$cluster" login "$@"; }

# leave_cluster_as_found [CLEANUP]: remembers in was_up whether the cluster was up (its daemons running); on exit, runs CLEANUP (a
# function undoing what the test broke) first, takes down a cluster this test brought up (one that was up
# stays up) and removes $tmp.
leave_cluster_as_found() {
  cleanup_on_exit=${1:-true}
  was_up=0
  # Up means its daemons run: a node left drained or not yet idle (idle* after a resume) makes `status` say
  # "not up", and taking that cluster down would end another user's work.
  local said
  said=$("$cluster" status 2>/dev/null || true)
  if grep -q '^  running  ' <<<"$said" && ! grep -q '^  DOWN  ' <<<"$said"; then was_up=1; fi
  trap 'rc=$?; "$cleanup_on_exit"; [ "$was_up" -eq 1 ] || "$cluster" down >/dev/null 2>&1 || true; rm -rf "$tmp"; exit "$rc"' EXIT
}
