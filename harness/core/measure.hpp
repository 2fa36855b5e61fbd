#pragma once
// The one measurement loop (after nvbench): warm-up, then timed iterations, every sample kept, stopping when
// the relative spread is under target between a minimum and a maximum time — or, on a busy node whose spread
// never gets there, once more samples no longer move the median (its 95% interval within ±target): then the
// point carries a "noisy" warning with the spread reached, instead of spending max_time on every point.
// Hitting max_time is a warning, never a hang.
//
// Benchmarks measure through measure_batches(): their backend runs a batch of n back-to-back iterations of
// its operation and reports the batch's time (batch_time.hpp); the harness alone decides n, by one rule
// (batch_iterations_for, after one cold and one sizing batch: batch_sizer), and makes each batch one sample
// of batch time / n — in the spirit of nvbench's cold measurement, with batches long enough that the clock's
// resolution and the launch cost vanish.
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/batch_time.hpp"

namespace exacheck {

struct measure_settings {
  int warmup_iterations = 2;
  int min_iterations = 5;
  int max_iterations = 1000;
  double min_time_s = 0.1;  // keep iterating at least this long (sum of timed samples)
  double max_time_s = 5.0;  // stop here with a warning if the noise target was not reached
  double target_cv =
      0.02;  // stop once stdev/mean of the samples is below this (after min_iterations, min_time)
};

struct measure_outcome {
  // One per timed iteration (measure_batches: one per batch, its time / its iterations), seconds.
  std::vector<double> samples_s;
  bool reached_noise_target = false;
  bool hit_max_time = false;
  std::string stop_reason;       // "noise target", "median stable", "max_iterations", "max_time"
  double spread_cv = 0;          // stdev/mean of the samples
  double median_half_width = 0;  // median_interval's half width / median
  // measure_batches only: the iterations of every batch after the first two (batch_sizer), and the clock
  // that timed them.
  int batch_iterations = 1;
  std::optional<batch_clock> clock;
};

// Runs one timed iteration and returns its duration in seconds. The callee times exactly the work it measures
// (a steady clock around blocking calls on the host, CUDA events on the stream) and nothing else.
using timed_iteration = std::function<double()>;

// Every rank of a collective benchmark must run the same number of iterations: `agree` receives this rank's
// wish to stop and returns the decision all ranks follow (e.g. rank 0's, broadcast). Default: local decision.
using stop_agreement = std::function<bool(bool wants_to_stop)>;

// The loop over timed iterations; the time limits count their durations. For an iteration that is itself
// several batches (STREAM's five kernels, each with its own batch_sizer); a benchmark of one operation uses
// measure_batches.
measure_outcome measure(const measure_settings& settings, const timed_iteration& iteration,
                        const stop_agreement& agree = {});

// A backend's timed entry point bound to one operation: runs `iterations` (≥ 1) back-to-back iterations and
// returns the batch's time.
using timed_batch = std::function<batch_time(int iterations)>;

// Ranks that must run alike (collectives: every rank the same calls) agree on the batch size: `agree`
// receives this rank's proposal (0: its batch read no time) and returns the one every rank uses (e.g. rank
// 0's, broadcast). Default: local decision.
using batch_agreement = std::function<int(int proposed_iterations)>;

// The target of a batch, by the clock that times it: it lasts at least
// - on a device, 1 ms: CUDA events resolve about 0.5 µs, under 0.05% of it, and the device runs the calls
//   back to back, so neither the launches nor the gap before the first call weigh in;
// - on the host, 100 µs: a steady clock's resolution and its own call (tens of ns) stay under 0.05% of it,
// and
//   the ranks' skew leaving a barrier (a few hundred ns) vanishes in a collective's batch; longer batches
//   would only make every host measurement (and the test suite) slower.
inline constexpr double device_batch_target_s = 1e-3;
inline constexpr double host_batch_target_s = 100e-6;
constexpr double batch_target_s(batch_clock clock) {
  return clock == batch_clock::device ? device_batch_target_s : host_batch_target_s;
}
// At most this many iterations in a batch, whatever the sizing read (a batch of 10,000 sub-nanosecond
// iterations still lasts long enough for the host clock).
inline constexpr int max_batch_iterations = 10000;

// The batch-size rule: iterations for a batch of at least batch_target_s(clock), from a batch of `iterations`
// that took `seconds` on `clock`: `iterations` when it lasted the target already (a slow operation never
// batches), else ⌈iterations · target / seconds⌉, at most max_batch_iterations. 0 when the batch read no time
// (0, negative or not a number: faster than the clock), which sizes nothing.
int batch_iterations_for(int iterations, double seconds, batch_clock clock);

// The batches of one point, sized by the rule: the first batch is one iteration (cold: first use of buffers,
// connections, caches; its time sizes nothing); the second is one iteration timed warm, which sizes every
// later batch (batch_iterations_for, made common by the agreement); a sizing batch that reads no time is run
// again with 10× the iterations (at most max_batch_iterations; an error if even that reads none). A batch
// sizer also checks that one clock timed every batch: a backend that mixes them is a bug, not a mix to
// average.
class batch_sizer {
 public:
  explicit batch_sizer(batch_agreement agree = {}) : m_agree(std::move(agree)) {}

  // Runs the point's next batch through `batch` and returns its time per iteration (batch time / iterations).
  double run(const timed_batch& batch);
  // The iterations of every batch after the first two (1 until the sizing batch has run).
  int iterations() const { return m_iterations; }
  // The clock of every batch so far (nullopt before the first).
  std::optional<batch_clock> clock() const { return m_clock; }
  // The time of the batches the last run() took (more than one while sizing read no time), for the time
  // limits: they count real time, not time per iteration.
  double last_run_s() const { return m_last_run_s; }

 private:
  batch_time timed(const timed_batch& batch, int iterations);

  batch_agreement m_agree;
  int m_batches = 0;
  int m_iterations = 1;
  std::optional<batch_clock> m_clock;
  double m_last_run_s = 0;
};

// The measurement loop over batches of one operation (batch_sizer): warm-up batches (the first two count
// among them), then samples of batch time / iterations; min_time and max_time count the batches' real time.
measure_outcome measure_batches(const measure_settings& settings, const timed_batch& batch,
                                const stop_agreement& agree = {}, const batch_agreement& agree_size = {});

// The distribution-free 95% interval of the median of `samples` (order statistics n/2 ∓ 0.98·√n): its bounds
// and half its width relative to the median (infinity when the median is 0; 0 with fewer than 2 samples).
struct median_bounds {
  double low = 0, high = 0;
  double half_width_relative = 0;
};
median_bounds median_interval(std::vector<double> samples);

// The warning a point carries when its samples missed the noise target ("noisy: spread cv 0.310 above the
// target 0.050 after 57 samples; stopped once more samples no longer moved the median (95% interval ±4.8%)");
// nullopt when the target was reached.
std::optional<std::string> noise_warning(const measure_outcome& measured, const measure_settings& settings);

void to_json(nlohmann::json& out, const measure_settings& value);
void from_json(const nlohmann::json& in, measure_settings& value);

}  // namespace exacheck
