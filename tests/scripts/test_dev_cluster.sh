#!/usr/bin/env bash
# Test of scripts/dev-cluster.sh (label cluster): a real 4-node Slurm cluster on this machine. srun and salloc reach
# four distinct hosts, an MPI program started by srun --mpi=pmix (and by mpirun inside salloc) communicates across
# them, the host's /etc/hosts and network interfaces stay untouched, and `down` leaves no process or namespace
# behind. Skipped (exit 77) when not root or where network namespaces cannot be made; fails otherwise. A cluster
# that was up before the test is reused, and brought up again after the test's own `down`.
set -euo pipefail
# shellcheck source=cluster_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/cluster_common.sh"
dir=${EXACHECK_DEV_CLUSTER_DIR:-/run/exacheck-dev-cluster}

skip_unless_cluster_possible

tmp=$(mktemp -d "${TMPDIR:-/tmp}/exacheck-dev-cluster-test.XXXXXX")
leave_cluster_as_found
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 # jobs run as root here

hosts_before=$(md5sum </etc/hosts)
links_before=$(ip -o link show | awk -F': ' '{print $2}' | sort)

start=$SECONDS
"$cluster" up 4
echo "up took $((SECONDS - start))s"
check "status says up" "$cluster" status

# distinct FILE: the distinct hostnames in FILE (one per line), sorted.
distinct() { sort -u "$1" | tr '\n' ' '; }
four_nodes="node01 node02 node03 node04 "

login srun -N 4 hostname >"$tmp/srun.txt"
check "srun -N 4 hostname: one line per node" test "$(wc -l <"$tmp/srun.txt")" -eq 4
check "srun -N 4 hostname: node01..node04" test "$(distinct "$tmp/srun.txt")" = "$four_nodes"

login salloc -N 4 --ntasks-per-node=1 srun hostname >"$tmp/salloc.txt" 2>"$tmp/salloc.err"
check "salloc -N 4 --ntasks-per-node=1 srun hostname: node01..node04" \
  test "$(distinct "$tmp/salloc.txt")" = "$four_nodes"

login srun -N 4 -n 8 hostname >"$tmp/srun8.txt"
check "srun -N 4 -n 8: two tasks on each node" \
  test "$(sort "$tmp/srun8.txt" | uniq -c | awk '{print $1}' | sort -u)" = 2

exit_7() { local rc=0; login sh -c 'exit 7' || rc=$?; [ "$rc" -eq 7 ]; }
check "login passes the command's exit code through" exit_7
check "login runs on the head node" test "$(login hostname)" = head

# An MPI program that must talk across nodes: each rank prints its rank, the size, its host and an allreduce sum.
cat >"$tmp/hello.c" <<'EOF'
#include <mpi.h>
#include <stdio.h>
int main(int argc, char **argv) {
  int rank, size, len, sum = 0;
  char host[MPI_MAX_PROCESSOR_NAME];
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Get_processor_name(host, &len);
  MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  printf("rank %d size %d host %s sum %d\n", rank, size, host, sum);
  MPI_Finalize();
  return 0;
}
EOF
mpicc -o "$tmp/hello" "$tmp/hello.c"
# mpi_hello_ok FILE: 4 ranks 0..3, each of size 4, on 4 distinct nodes, each with the sum 0+1+2+3.
mpi_hello_ok() {
  [ "$(awk '{print $2}' "$1" | sort -n | tr '\n' ' ')" = "0 1 2 3 " ] &&
    [ "$(awk '$4 != 4 || $8 != 6' "$1" | wc -l)" -eq 0 ] &&
    [ "$(awk '{print $6}' "$1" | sort -u | tr '\n' ' ')" = "$four_nodes" ]
}
login srun -N 4 --mpi=pmix "$tmp/hello" >"$tmp/pmix.txt" 2>"$tmp/pmix.err" || cat "$tmp/pmix.err"
cat "$tmp/pmix.txt"
check "srun --mpi=pmix -N 4: MPI size 4 on node01..node04, allreduce across them" mpi_hello_ok "$tmp/pmix.txt"
login salloc -N 4 --ntasks-per-node=1 mpirun "$tmp/hello" >"$tmp/mpirun.txt" 2>"$tmp/mpirun.err" ||
  cat "$tmp/mpirun.err"
check "mpirun inside salloc -N 4 --ntasks-per-node=1: size 4 on node01..node04" mpi_hello_ok "$tmp/mpirun.txt"

check "the host's /etc/hosts is unchanged" test "$(md5sum </etc/hosts)" = "$hosts_before"
check "the host's root namespace gained no interface" \
  test "$(ip -o link show | awk -F': ' '{print $2}' | sort)" = "$links_before"

# Everything of the cluster that runs now (daemons and whatever else is inside its namespaces), then down.
namespaces=$(ip netns list | awk '{print $1}' | grep '^exdc-' || true)
check "the cluster's namespaces exist while up" test -n "$namespaces"
pids=$(cat "$dir"/munge/munged.pid "$dir"/head/slurmctld.pid "$dir"/nodes/*/slurmd.pid)
for ns in $namespaces; do pids="$pids $(ip netns pids "$ns")"; done
start=$SECONDS
"$cluster" down
echo "down took $((SECONDS - start))s"
none_running() {
  local pid stat state
  for pid in $pids; do
    { read -r stat <"/proc/$pid/stat"; } 2>/dev/null || continue # gone
    state=${stat##*) }                                             # after the name, which may hold spaces
    [ "${state%% *}" = Z ] || { echo "still running: $pid $(tr '\0' ' ' <"/proc/$pid/cmdline")"; return 1; }
  done
}
no_namespace_left() { ! ip netns list | grep '^exdc-'; }
status_says_down() { ! "$cluster" status >/dev/null; }
check "down: no daemon or process of the cluster runs" none_running
check "down: ip netns list holds none of its namespaces" no_namespace_left
check "status exits non-zero when down" status_says_down
check "down twice is safe" "$cluster" down

if [ "$was_up" -eq 1 ]; then "$cluster" up 4 >/dev/null; fi
echo "$failures failure(s)"
[ "$failures" -eq 0 ]
