#!/usr/bin/env bash
# A real Slurm cluster of N nodes on one Debian machine, as root: slurmctld, one slurmd per node and munge from
# Debian's packages; every node a network namespace with its own hostname on a bridge that lives in a namespace of
# its own, so no traffic and no file of the host's Slurm or munge is touched. For trying exacheck under Slurm before
# touching a real cluster, and for the tests labelled `cluster`. Layout, logs, troubleshooting: docs/dev-cluster.md.
#
#   scripts/dev-cluster.sh up [N]      install what is missing, start N nodes (default 4), wait until all are idle
#   scripts/dev-cluster.sh down        stop every daemon and process of the cluster, remove its namespaces
#   scripts/dev-cluster.sh status      daemons and sinfo; exit 1 when the cluster is not up
#   scripts/dev-cluster.sh login CMD…  run CMD as on the cluster's login host (srun, salloc, sbatch, sinfo …)
#
# EXACHECK_DEV_CLUSTER_DIR: state directory (default /run/exacheck-dev-cluster): slurm.conf, munge key, logs.
# EXACHECK_DEV_CLUSTER_WAIT: seconds `up` waits for the nodes to be idle (default 60).
# EXACHECK_DEV_CLUSTER_SLURM_CONF: extra lines appended to slurm.conf at `up` (e.g. "SlurmdTimeout=10").
set -euo pipefail

dir=${EXACHECK_DEV_CLUSTER_DIR:-/run/exacheck-dev-cluster}
dir=${dir%/}
wait_s=${EXACHECK_DEV_CLUSTER_WAIT:-60}
ns_prefix=exdc- # its namespaces: exdc-switch, exdc-head, exdc-node01 … (so one cluster per machine)
net=10.217.0                      # private /24: head .1, nodeNN .(10+NN)
marker=$dir/.exacheck-dev-cluster # only a directory holding this is ever wiped
# Debian's packages. slurm-wlm-basic-plugins holds mpi_pmix.so, which dlopen()s "libpmix.so": that name is in
# libpmix-dev only (libpmix2 ships libpmix.so.2), so srun --mpi=pmix needs it.
packages=(slurmctld slurmd slurm-client slurm-wlm-basic-plugins munge libpmix-dev iproute2 util-linux)

say() { echo "dev-cluster: $*"; }
die() { echo "dev-cluster: $*" >&2; exit 1; }
need_root() { [ "$(id -u)" -eq 0 ] || die "must run as root (it creates network namespaces and starts slurmd)"; }
node_name() { printf 'node%02d\n' "$1"; }
node_count() { cat "$dir/nodes.count" 2>/dev/null || echo 0; }
nodes() { local i; for ((i = 1; i <= $(node_count); i++)); do node_name "$i"; done; }
ns_of() { echo "$ns_prefix$1"; }

# alive PIDFILE: the process it names runs and is one of this cluster's (its command line names the state dir),
# so a recycled pid is never taken for a daemon of ours.
alive() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$dir/"
}

# enter NS HOST NODE_TMP CMD…: runs CMD as on host HOST: in network namespace NS (nsenter, not `ip netns exec`,
# which remounts /sys and breaks slurmd's cgroup plugin), in new UTS and mount namespaces with hostname HOST, the
# cluster's hosts file over /etc/hosts and, for a node, its own directory over the shared TmpFS path (the pmix
# plugin's per-step directories would collide in one). The host's own mounts still propagate in (slave).
enter() {
  local ns=$1 host=$2 node_tmp=$3
  shift 3
  # shellcheck disable=SC2016 # the inner script's arguments expand in the inner shell
  nsenter --net="/run/netns/$ns" -- unshare --uts --mount --propagation slave -- /bin/sh -c '
    hostname "$1" && mount --bind "$2" /etc/hosts || exit 125
    if [ -n "$3" ]; then mount --bind "$3" "$4" || exit 125; fi
    shift 4
    exec "$@"' enter "$host" "$dir/hosts" "$node_tmp" "$dir/tmp" "$@" 9>&- # the daemons must not hold the lock
}

as_login() { enter "$(ns_of head)" head "" env SLURM_CONF="$dir/slurm.conf" "$@"; }

install_missing() {
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d-less machines with an init would start the host's munge/slurmd services: harmless, since the
  # cluster uses its own socket, key, ports (in its namespaces) and configuration.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# --- daemons and namespaces -----------------------------------------------------------------------------------

pid_files() {
  local n
  for n in $(nodes); do echo "$dir/nodes/$n/slurmd.pid"; done
  echo "$dir/head/slurmctld.pid"
  echo "$dir/munge/munged.pid"
}

our_namespaces() {
  {
    cat "$dir/netns.list" 2>/dev/null || true
    ip netns list 2>/dev/null | awk '{print $1}' | grep "^$ns_prefix" || true
  } | sort -u
}

# running PID: the process exists and is not a zombie (one killed here waits for init to reap it).
running() {
  local stat state
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  # The state follows the command name in parentheses, which may itself hold spaces and parentheses.
  state=${stat##*) }
  [ "${state%% *}" != Z ]
}

# kill_and_wait SECONDS PID…: TERM, then KILL whatever still runs after SECONDS (slurmstepd ignores TERM).
kill_and_wait() {
  local limit=$1 pid left t
  shift
  [ $# -eq 0 ] && return 0
  kill -TERM "$@" 2>/dev/null || true
  for ((t = 0; t < limit * 10; t++)); do
    left=()
    for pid in "$@"; do running "$pid" && left+=("$pid"); done
    [ ${#left[@]} -eq 0 ] && return 0
    sleep 0.1
  done
  kill -KILL "${left[@]}" 2>/dev/null || true
  for ((t = 0; t < 50; t++)); do
    left=()
    for pid in "$@"; do running "$pid" && left+=("$pid"); done
    [ ${#left[@]} -eq 0 ] && return 0
    sleep 0.1
  done
  echo "dev-cluster: still running after KILL: ${left[*]}" >&2
}

cmd_down() {
  need_root
  local f pids=() ns
  # The daemons by their pid files and everything else inside the cluster's namespaces (slurmstepd and job tasks,
  # which outlive slurmd by design; login commands) at once, then the namespaces, which takes the bridge and the
  # veth pairs with them.
  for f in $(pid_files); do alive "$f" && pids+=("$(cat "$f")"); done
  for ns in $(our_namespaces); do
    # shellcheck disable=SC2207
    [ -e "/run/netns/$ns" ] && pids+=($(ip netns pids "$ns" 2>/dev/null))
  done
  kill_and_wait 3 "${pids[@]}"
  for ns in $(our_namespaces); do ip netns delete "$ns" 2>/dev/null || true; done
  rm -f "$dir/netns.list"
  [ -z "$(our_namespaces)" ] || die "namespaces left behind: $(our_namespaces | tr '\n' ' ')"
  say "down (logs kept in $dir)"
}

# daemons_alive: munged, slurmctld and every slurmd of the recorded node count run.
daemons_alive() {
  local f
  [ "$(node_count)" -gt 0 ] || return 1
  for f in $(pid_files); do alive "$f" || return 1; done
}

# node_states: "node01 idle" … as slurmctld sees them.
node_states() { as_login sinfo -h -N -o '%N %T' 2>/dev/null | sort -u; }

# nodes_ready WANT_RE: every node of the cluster is known to slurmctld and its state matches WANT_RE.
nodes_ready() {
  local states count
  states=$(node_states) || return 1
  count=$(grep -cE "^node[0-9]+ ($1)\$" <<<"$states" || true)
  [ "$count" -eq "$(node_count)" ]
}

is_up() { daemons_alive && nodes_ready 'idle|allocated|mixed|completing'; }

dead_daemons() {
  local f
  for f in $(pid_files); do alive "$f" || { f=${f#"$dir/"}; echo "${f%.pid}"; }; done | tr '\n' ' '
}

# log_tail FILE: its last lines, nothing for a daemon that never started (no file).
log_tail() { if [ -e "$1" ]; then echo "--- tail of $1"; tail -n 25 "$1"; fi; }

# fail_up WHY: says what did not come up, with the logs of what failed, and leaves everything for inspection.
fail_up() {
  local n states
  echo "dev-cluster: up failed: $1" >&2
  {
    alive "$dir/munge/munged.pid" || log_tail "$dir/munge/munged.log"
    alive "$dir/head/slurmctld.pid" || { log_tail "$dir/head/slurmctld.log"; log_tail "$dir/head/slurmctld.stderr"; }
    states=
    alive "$dir/head/slurmctld.pid" && states=$(node_states || true)
    for n in $(nodes); do
      [ -e "$dir/nodes/$n/slurmd.stderr" ] || continue # never started: an earlier daemon failed
      if ! alive "$dir/nodes/$n/slurmd.pid" || ! grep -qE "^$n idle\$" <<<"$states"; then
        log_tail "$dir/nodes/$n/slurmd.log"
        log_tail "$dir/nodes/$n/slurmd.stderr"
      fi
    done
    if alive "$dir/head/slurmctld.pid"; then
      echo "--- sinfo"
      as_login sinfo -N -l 2>&1 || true
      as_login sinfo -R 2>&1 || true
    fi
  } >&2
  die "see $dir for every log; 'scripts/dev-cluster.sh down' cleans up"
}

# --- up -------------------------------------------------------------------------------------------------------

write_config() {
  local n=$1 i topology
  # This machine's CPU layout as slurmd itself detects it (what the nodes will report), without its name, memory
  # and uptime. RealMemory stays small: every "node" shares this machine's memory.
  topology=$(slurmd -C | head -n 1 | tr ' ' '\n' |
    grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore)=' | tr '\n' ' ')
  [ -n "$topology" ] || die "slurmd -C printed no CPU layout"
  {
    echo "127.0.0.1 localhost"
    echo "::1 localhost ip6-localhost ip6-loopback"
    echo "$net.1 head"
    for ((i = 1; i <= n; i++)); do echo "$net.$((10 + i)) $(node_name "$i")"; done
  } >"$dir/hosts"
  cat >"$dir/slurm.conf" <<EOF
# Written by scripts/dev-cluster.sh at every 'up': the dev cluster of $n nodes in $dir (docs/dev-cluster.md).
ClusterName=exacheck-dev
MailProg=/bin/true
SlurmctldHost=head($net.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/head/state
SlurmctldPidFile=$dir/head/slurmctld.pid
SlurmctldLogFile=$dir/head/slurmctld.log
SlurmdSpoolDir=$dir/nodes/%n/spool
SlurmdPidFile=$dir/nodes/%n/slurmd.pid
SlurmdLogFile=$dir/nodes/%n/slurmd.log
# The same path on every node, each node's own directory mounted over it (see enter in the script).
TmpFS=$dir/tmp
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=10
InactiveLimit=0
KillWait=5
MinJobAge=60
SlurmctldDebug=info
SlurmdDebug=info
NodeName=DEFAULT ${topology}RealMemory=1000 State=UNKNOWN
EOF
  for ((i = 1; i <= n; i++)); do
    echo "NodeName=$(node_name "$i") NodeAddr=$net.$((10 + i))" >>"$dir/slurm.conf"
  done
  echo "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES" >>"$dir/slurm.conf"
  if [ -n "${EXACHECK_DEV_CLUSTER_SLURM_CONF:-}" ]; then
    printf '# EXACHECK_DEV_CLUSTER_SLURM_CONF\n%s\n' "$EXACHECK_DEV_CLUSTER_SLURM_CONF" >>"$dir/slurm.conf"
  fi
}

# make_network N: the switch namespace with the bridge, and head and every node on it by a veth pair created
# inside the switch namespace (the host's root namespace never holds an interface of the cluster).
make_network() {
  local n=$1 i sw host ns addr
  sw=$(ns_of switch)
  # Each step checked by hand: errexit does not apply inside a function called as `make_network || …`.
  ip netns add "$sw" && echo "$sw" >>"$dir/netns.list" || return 1
  ip -n "$sw" link set lo up || return 1
  ip -n "$sw" link add br0 type bridge || return 1
  ip -n "$sw" link set br0 up || return 1
  for ((i = 0; i <= n; i++)); do
    if [ "$i" -eq 0 ]; then host=head addr=$net.1; else host=$(node_name "$i") addr=$net.$((10 + i)); fi
    ns=$(ns_of "$host")
    ip netns add "$ns" && echo "$ns" >>"$dir/netns.list" || return 1
    ip -n "$ns" link set lo up || return 1
    ip -n "$sw" link add "v-$host" type veth peer name eth0 netns "$ns" || return 1
    ip -n "$sw" link set "v-$host" master br0 up || return 1
    ip -n "$ns" addr add "$addr/24" dev eth0 || return 1
    ip -n "$ns" link set eth0 up || return 1
  done
}

cmd_up() {
  local n=${1:-4} i node t states
  if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt 99 ]; then die "up: N must be 1 to 99 (got '$n')"; fi
  need_root
  if daemons_alive; then
    [ "$(node_count)" -eq "$n" ] || die "up: already up with $(node_count) nodes; run 'down' first for $n"
    for ((t = 0; t < wait_s; t++)); do
      if is_up; then say "already up with $n nodes"; return 0; fi
      sleep 1
    done
    fail_up "the daemons run but not every node is usable after ${wait_s}s"
  fi
  install_missing
  # Leftovers of an earlier or half-failed up go first.
  if [ -e "$dir" ]; then
    [ -e "$marker" ] || [ -z "$(ls -A "$dir")" ] || die "$dir exists and is not a dev cluster's directory"
    cmd_down >/dev/null
    rm -rf "$dir"
  fi
  [ -z "$(our_namespaces)" ] || cmd_down >/dev/null
  mkdir -p "$dir/munge" "$dir/head/state" "$dir/tmp"
  chmod 0755 "$dir"
  chmod 0755 "$dir/munge"  # munged: its socket's directory must be searchable by all
  touch "$marker"
  echo "$n" >"$dir/nodes.count"
  for ((i = 1; i <= n; i++)); do
    node=$(node_name "$i")
    mkdir -p "$dir/nodes/$node/spool" "$dir/nodes/$node/tmp"
    chmod 1777 "$dir/nodes/$node/tmp"
  done
  write_config "$n"
  mungekey --create --keyfile="$dir/munge/munge.key" >/dev/null
  chmod 0400 "$dir/munge/munge.key"
  modprobe bridge 2>/dev/null || true
  make_network "$n" || fail_up "could not create the network namespaces and the bridge"

  local head_ns
  head_ns=$(ns_of head)
  enter "$head_ns" head "" munged --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
    </dev/null >"$dir/munge/munged.stderr" 2>&1 || fail_up "munged did not start"
  enter "$head_ns" head "" slurmctld -f "$dir/slurm.conf" \
    </dev/null >"$dir/head/slurmctld.stderr" 2>&1 || fail_up "slurmctld did not start"
  for node in $(nodes); do
    enter "$(ns_of "$node")" "$node" "$dir/nodes/$node/tmp" slurmd -f "$dir/slurm.conf" -N "$node" \
      </dev/null >"$dir/nodes/$node/slurmd.stderr" 2>&1 || fail_up "slurmd of $node did not start"
  done

  for ((t = 0; t < wait_s * 2; t++)); do
    if daemons_alive && nodes_ready idle; then
      say "up: $n nodes idle ($(nodes | head -n 1)…$(nodes | tail -n 1)), state in $dir"
      say "try: scripts/dev-cluster.sh login srun -N $n hostname"
      return 0
    fi
    # A daemon that died will not come back: say so now rather than at the end of the wait.
    if [ "$t" -ge 4 ] && ! daemons_alive; then fail_up "exited: $(dead_daemons)"; fi
    sleep 0.5
  done
  fail_up "not every node idle after ${wait_s}s"
}

# --- status and login -----------------------------------------------------------------------------------------

cmd_status() {
  need_root
  local f what up=0
  [ "$(node_count)" -gt 0 ] || { say "not up (no cluster in $dir)"; return 1; }
  for f in $(pid_files); do
    what=${f#"$dir/"}
    if alive "$f"; then echo "  running  $what ($(cat "$f"))"; else echo "  DOWN     $what"; fi
  done
  if [ -e "/run/netns/$(ns_of head)" ]; then as_login sinfo -N -l || true; fi
  is_up || up=1
  if [ "$up" -eq 0 ]; then say "up with $(node_count) nodes"; else say "not up"; fi
  return "$up"
}

cmd_login() {
  need_root
  [ $# -gt 0 ] || die "login: give a command, e.g. login srun -N 4 hostname (or: login bash)"
  if [ ! -e "/run/netns/$(ns_of head)" ] || [ ! -e "$dir/slurm.conf" ]; then
    die "login: the cluster is not up (scripts/dev-cluster.sh up)"
  fi
  as_login "$@"
}

# up and down change the cluster: one at a time (two test runs, or a test and a person).
lock() {
  need_root
  mkdir -p "$(dirname "$dir")"
  exec 9>"$dir.lock"
  flock -w 120 9 || die "another 'up' or 'down' holds $dir.lock"
}

case ${1:-} in
  up) shift; lock; cmd_up "$@" ;;
  down) lock; cmd_down ;;
  status) cmd_status ;;
  login) shift; cmd_login "$@" ;;
  *) sed -n '2,16s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
