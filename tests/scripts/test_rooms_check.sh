#!/usr/bin/env bash
# Test of cmake/ExacheckCheckRooms.cmake, the build step that keeps the rooms' one-way rule
# (cmake/ExacheckRooms.cmake, docs/architecture.md): the tree as it is passes, and a copy of it with an include
# planted against the rule fails, naming the file, the line, the room reached and what the room may include.
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/exacheck-rooms-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0
check() { local what=$1; shift; if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; failures=$((failures + 1)); fi; }

# check_tree DIR OUT: runs the check on DIR, its output in OUT; succeeds when the check passes.
check_tree() { cmake -DROOT="$1" -P "$repo_root/cmake/ExacheckCheckRooms.cmake" >"$2" 2>&1; }

check "the tree keeps the one-way rule" check_tree "$repo_root" "$tmp/tree.out"
sed 's/^/    /' "$tmp/tree.out"

# plant DIR FILE LINE: a copy of the tree in DIR with LINE added after the first #include of FILE.
plant() {
  local dir=$1 file=$2 line=$3
  mkdir -p "$dir"
  cp -r "$repo_root/cmake" "$repo_root/harness" "$repo_root/suites" "$repo_root/kernels" "$repo_root/reports" "$dir/"
  local at
  at=$(grep -n '^#include' "$dir/$file" | head -1 | cut -d: -f1)
  sed -i "${at}a $line" "$dir/$file"
  echo "$((at + 1))"
}

# The lowest room reaching up: core may include only itself.
line=$(plant "$tmp/core_up" harness/core/units.cpp '#include "harness/plan/plan.hpp"')
check "core including plan fails the check" bash -c "! cmake -DROOT='$tmp/core_up' -P '$repo_root/cmake/ExacheckCheckRooms.cmake' >'$tmp/core_up.out' 2>&1"
check "the failure names the file, line, room reached and what core may include" \
  grep -q "harness/core/units.cpp:$line: includes harness/plan/plan.hpp (room harness/plan); room harness/core may include only itself" "$tmp/core_up.out"

# Core is below node: a benchmark author's room does not reach for the node's MPI and GPU layer.
line=$(plant "$tmp/core_node" harness/core/measure.cpp '#include "harness/node/gpu_runtime.hpp"')
check "core including node fails the check" bash -c "! cmake -DROOT='$tmp/core_node' -P '$repo_root/cmake/ExacheckCheckRooms.cmake' >'$tmp/core_node.out' 2>&1"
check "the failure names the room reached" grep -q "harness/core/measure.cpp:$line: includes harness/node/gpu_runtime.hpp (room harness/node)" "$tmp/core_node.out"

# A suite reaching for a kernel: suites know only core; backends reach them through the table.
line=$(plant "$tmp/suite_kernel" suites/gemm/gemm_suite.cpp '#include "kernels/cpu/cpu_gemm.hpp"')
check "a suite including a kernel fails the check" bash -c "! cmake -DROOT='$tmp/suite_kernel' -P '$repo_root/cmake/ExacheckCheckRooms.cmake' >'$tmp/suite_kernel.out' 2>&1"
check "the failure names the suite's file and line" \
  grep -q "suites/gemm/gemm_suite.cpp:$line: includes kernels/cpu/cpu_gemm.hpp (room kernels/cpu); room suites/gemm may include harness/core" "$tmp/suite_kernel.out"

# One suite including another's header: each suite is its own room.
line=$(plant "$tmp/suite_suite" suites/flops/flops_suite.cpp '#include "suites/gemm/gemm_oracle.hpp"')
check "a suite including another suite fails the check" bash -c "! cmake -DROOT='$tmp/suite_suite' -P '$repo_root/cmake/ExacheckCheckRooms.cmake' >'$tmp/suite_suite.out' 2>&1"
check "the failure names the room reached" grep -q "(room suites/gemm)" "$tmp/suite_suite.out"

# Including downwards is what the rule allows: the controller may include the results.
line=$(plant "$tmp/down" harness/controller/launcher.cpp '#include "harness/results/verdicts.hpp"')
check "an include down the rooms passes" check_tree "$tmp/down" "$tmp/down.out"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "every check passed"
