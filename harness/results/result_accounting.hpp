#pragma once
// Result accounting: before a case's result file (exacheck/case-result/v1, harness/worker/worker.cpp) is
// judged, it must be this launch's, account for exactly the ranks launched, and hold a finite, physically
// possible value of every metric on every rank. Any problem makes the case ERROR with the problem named
// (which ranks, which point, which value) — never PASS (docs/run-json.md "What makes a case ERROR").
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace exacheck {

// What the controller launched, against which its result file is checked.
struct launched_case {
  std::string case_id;
  std::string token;  // random, one per launch: the controller writes it in case.json, the worker echoes it
  std::string benchmark;
  int ranks = 0;
  bool verify = true;  // correctness must then be checked on every rank of every point not skipped
  // `exacheck simulate` only, never a launch: its collectives' results are rank 0's record alone (every
  // rank's would be the same, and thousands of copies of it). A result whose every point is global may then
  // hold rank 0 alone.
  bool global_points_from_rank_zero = false;
};

// A fresh launch token: 128 random bits in hex.
std::string new_launch_token();

// Every problem of `case_result` against `launched`, each one sentence; empty when the result accounts for
// every rank. In order: not a case result; foreign (another case's id, or not this launch's token: nothing
// else is examined then); the rank set (missing, duplicated, out of range, unnumbered); then, unless a rank
// reported its own error (the case errors on that), each point: reported by every rank, every metric measured
// by every rank that reported the point (scope rank or global alike), finite and under its ceiling
// (harness/results/physical_limits.hpp, with `peak_per_gpu`, which may be null), correctness checked on every
// rank when `verify`, at least one metric or correctness check; and at least one point.
std::vector<std::string> account_for_result(const nlohmann::json& case_result, const launched_case& launched,
                                            const nlohmann::json* peak_per_gpu);

// The problems as one message: the first few, joined, and how many more there are.
std::string describe_problems(const std::vector<std::string>& problems);

// Rank numbers as sorted ranges, "1, 3-5, 9"; after `most_ranges` ranges, "… (+N more)".
std::string rank_list(std::vector<int> ranks, std::size_t most_ranges = 6);

}  // namespace exacheck
