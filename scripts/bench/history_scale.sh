#!/usr/bin/env bash
# The scale targets of the history database (docs/history.md, issue 13): `exacheck history add` of a
# 2,100-GPU simulated run (525 nodes × 4 GPUs, the acceptance plan, system h200-sxm) under 5 s, `exacheck
# history drift` over 30 such nights under 2 s, and the database under 1 GB after 30 nights. Prints, per night,
# the wall time of `history add` and the database's size, then the wall time of `history drift`.
#   scripts/bench/history_scale.sh [BUILD_DIR]              (default build-host)
#   NIGHTS=10 NODES=100 scripts/bench/history_scale.sh
# The nights are one machine: `exacheck simulate --seed 7 --night K` (the same hosts, GPU UUIDs and serials
# every night, fresh noise). An exacheck whose simulate has no --night yet gets one simulated run whose copy is
# dated K-1 days later for night K: the same identities every night and the same values (no noise), which
# times `add` and `drift` alike; the script says which it used.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-host}
exacheck=$build/exacheck
nights=${NIGHTS:-30}
nodes=${NODES:-525}
gpus_per_node=${GPUS_PER_NODE:-4}
[[ -x $exacheck ]] || { echo "history_scale: $exacheck not built (ninja -C $build exacheck)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "history_scale: needs GNU time (/usr/bin/time; apt-get install time)" >&2; exit 2; }
work=$(mktemp -d /tmp/exacheck-history-scale.XXXXXX)
trap 'rm -rf "$work"' EXIT
db=$work/history.sqlite
simulate=("$exacheck" simulate --nodes "$nodes" --gpus-per-node "$gpus_per_node"
          --system configs/systems/h200-sxm.yaml --seed 7)

if "$exacheck" simulate --help 2>&1 | grep -q -- '--night'; then
  mode=night
  echo "nights: exacheck simulate --seed 7 --night K (one machine, fresh noise each night)"
else
  mode=copy
  echo "nights: this exacheck's simulate has no --night: one simulated run (--seed 7), copied and dated K-1 days"
  echo "        later for night K (the same GPUs every night, the same values)"
  # Exit code 1 is expected: the planted slow GPUs are outliers.
  "${simulate[@]}" --out "$work/base" > "$work/simulate.log" || [[ $? -eq 1 ]] || { cat "$work/simulate.log" >&2; exit 1; }
  started=$(grep -o '"started_at":"[0-9-]*T' "$work/base/run.json" | head -n 1 | cut -d'"' -f4)
fi

printf '%-6s %10s %10s %10s %12s\n' night "run.json MB" "add s" "add CPU s" "database MB"
max_add_s=0
for ((k = 1; k <= nights; k++)); do
  night=$work/night
  rm -rf "$night"
  if [[ $mode == night ]]; then
    "${simulate[@]}" --night "$k" --out "$night" > "$work/simulate.log" || [[ $? -eq 1 ]] \
      || { cat "$work/simulate.log" >&2; exit 1; }
    rm -rf "$night/cases"
  else
    mkdir -p "$night"
    day=$(date -u -d "2026-01-01 + $((k - 1)) days" +%Y-%m-%dT)
    sed "s/\"started_at\":\"$started/\"started_at\":\"$day/" "$work/base/run.json" > "$night/run.json"
  fi
  /usr/bin/time -f '%e %U %S' -o "$work/time.txt" "$exacheck" history add "$night" --db "$db" > "$work/add.log" \
    || { cat "$work/add.log" >&2; exit 1; }
  read -r wall_s user_s sys_s < <(tail -n 1 "$work/time.txt")
  grep -q ": added run-" "$work/add.log" || { echo "history_scale: night $k was not added:" >&2; cat "$work/add.log" >&2; exit 1; }
  size_mb=$(echo "scale=1; $(stat -c %s "$db") / 1000000" | bc)
  printf '%-6s %10.1f %10.2f %10.2f %12s\n' "$k" "$(echo "scale=1; $(stat -c %s "$night/run.json") / 1000000" | bc)" \
    "$wall_s" "$(echo "$user_s + $sys_s" | bc)" "$size_mb"
  if (($(echo "$wall_s > $max_add_s" | bc))); then max_add_s=$wall_s; fi
done

# drift exits 1 when a device drifts, 3 when too few nights: neither is an error of this script.
/usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" "$exacheck" history drift --db "$db" > "$work/drift.log" \
  || [[ $? -eq 1 || $? -eq 3 ]] || { cat "$work/drift.log" >&2; exit 1; }
read -r drift_s drift_user_s drift_sys_s drift_rss_kb < <(tail -n 1 "$work/time.txt")
echo
tail -n 2 "$work/drift.log"
echo
echo "history add: slowest night ${max_add_s} s (target < 5 s for 2,100 GPUs)"
echo "history drift over $nights nights: ${drift_s} s wall, $(echo "$drift_user_s + $drift_sys_s" | bc) s CPU," \
  "$((drift_rss_kb / 1024)) MB peak RSS (target < 2 s)"
echo "database after $nights nights: $(echo "scale=1; $(stat -c %s "$db") / 1000000" | bc) MB (target < 1000 MB)"
