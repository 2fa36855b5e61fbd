#pragma once
// What a suite needs to take part in `exacheck simulate` (suite::simulate): the one GPU (or, for a benchmark
// whose metrics are all global, the whole machine) it makes up a case's measurements for, as plain data, and
// the few shared draws every simulated benchmark makes the same way — so that a suite writes its own formulas
// and the harness needs no edit for a new benchmark (docs/simulate.md).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/param_spec.hpp"
#include "harness/core/result.hpp"

namespace exacheck {

class suite;

// Deterministic pseudo-random numbers (splitmix64): the same seed gives the same run.json on every platform
// (the <random> distributions are implementation-defined).
class random_stream {
 public:
  explicit random_stream(std::uint64_t seed) : m_state(seed) {}
  std::uint64_t next();
  double uniform();  // [0, 1)
  // Standard normal, redrawn outside ±limit: a fleet with no tails, so that only planted GPUs are outliers.
  double truncated_normal(double limit);

 private:
  std::uint64_t m_state;
};

// Mixes several values into one seed (order matters).
std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b);
std::uint64_t mix_seed(std::uint64_t a, std::string_view text);

// What `exacheck simulate` tells a suite about the record it makes up: one GPU's (scope rank: called once
// per GPU, each with its own stream), or rank 0's for the whole machine (scope global: called once per case).
struct simulation_input {
  std::string_view case_id;    // for messages
  std::string_view benchmark;  // one of the suite's benchmarks()
  // The case's parameters as the plan expanded them, defaults filled in; a parameter swept_inside_worker
  // holds its list, as run() gets it.
  const param_values& params;
  std::string_view system_name;        // the system file's name, for reasons
  const nlohmann::json& peak_per_gpu;  // the system file's datasheet figures, as written
  int ranks = 1;                       // GPUs of the machine that report: one rank each
  // The run's --seed: what is the same on every GPU (an efficiency of the case) is drawn from it.
  std::uint64_t seed = 1;
  // This GPU's factor on the benchmark: its own spread (~N(1, 1%)) times its planted factor when it is
  // planted slow at this benchmark; 1 for a global record.
  double speed = 1.0;
  metric_scope scope = metric_scope::rank;
  random_stream& stream;  // this record's draws: seeded by the run, the case and (scope rank) the GPU

  // peak_per_gpu.<key> in `unit`: a number is in peak_per_gpu.unit (TFLOP/s when it has none), a text is
  // "<number> <unit>" ("3.35 TB/s"). nullopt when absent, not positive or in a unit that does not convert.
  std::optional<double> peak(std::string_view key, std::string_view unit) const;
  // A point SKIPPED because the system file has no usable peak_per_gpu.<key>, saying so.
  point_result missing_peak(const nlohmann::json& point_params, std::string_view key) const;
};

// A worker records every timed iteration; a simulated one records a few, enough for the statistics.
inline constexpr int simulated_samples = 5;

// `count` iteration times around `seconds`: a run-to-run noise of 0.2% (one standard deviation, cut at 2.5).
std::vector<double> simulated_times(random_stream& stream, double seconds, int count);

// An efficiency of a case, the same on every GPU: drawn once per run seed and `what` ("gemm:bf16") in
// [low, high).
double simulated_efficiency(std::uint64_t seed, std::string_view what, double low, double high);

// The correctness record of a simulated point: checked and passed, nothing computed. Short on purpose: it is
// repeated in every rank's record.
correctness simulated_answer();

// A point that is not simulated, and why (SKIPPED, as a backend that cannot run it would be).
point_result simulated_skip(const nlohmann::json& point_params, std::string reason);

// The scope of the records `exacheck simulate` makes for `benchmark`: global (rank 0's record holds every
// point, as a worker's rank 0 does for collectives) when every metric the suite declares for it is global,
// else rank (one record per GPU).
metric_scope simulated_scope(const suite& s, std::string_view benchmark);

}  // namespace exacheck
