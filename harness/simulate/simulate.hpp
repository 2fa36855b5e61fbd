#pragma once
// `exacheck simulate`: a synthetic run of a whole machine (N nodes × G GPUs) through the harness's own code
// paths — plan expansion, case entries, results_by_point, verdicts against the system file's references,
// summary, analysis, reports. Only the measurements are made up: per-GPU values around the system file's
// datasheet peaks, a little noise, and a few planted slow GPUs the fleet analysis must find. The run.json
// says "synthetic": true and lists what was planted in "synthetic_detail" (docs/simulate.md).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/registry.hpp"
#include "harness/core/simulation.hpp"  // random_stream, mix_seed
#include "harness/plan/plan.hpp"

namespace exacheck {

// --drift host:gpu=PCT: that GPU's values on every benchmark are multiplied by (1 + PCT/100)^(night − 1), a
// slow decline no single night's fleet analysis sees at first but a history's drift test does.
struct gpu_drift {
  std::string host;
  int gpu = 0;                   // index on its node
  double percent_per_night = 0;  // −0.5: loses 0.5 % a night, compounded
};

// "node003:2=-0.5,node001:0=-1" → two drifts; std::invalid_argument naming the bad item.
std::vector<gpu_drift> parse_drift(const std::string& spec);

// The date of night `night` (≥ 1) of a series starting at `start` ("2026-11-01T02:00:00Z", or a date alone
// "2026-11-01", which means 02:00 UTC): start + (night − 1) days, as "YYYY-MM-DDTHH:MM:SSZ".
// std::invalid_argument on a malformed start.
std::string night_timestamp(const std::string& start, int night);

inline constexpr const char* default_night_start = "2026-11-01T02:00:00Z";

struct simulate_options {
  int nodes = 0;
  int gpus_per_node = 0;
  std::string system_file;  // required: the peaks the values are drawn around, and the references
  // "" → configs/plans/acceptance.yaml, from the working directory, above the binary, the installed share/
  // directory, or the source tree the binary was built from (shipped_plan_file).
  std::string plan_file;
  std::string out_dir;  // required
  std::uint64_t seed = 1;
  int slow_gpus = 3;      // planted slow GPUs
  int missing_nodes = 0;  // nodes that are expected (provenance.expected_hosts) but never report
  // --night N (≥ 1): the same machine (fixed by the seed) on its Nth night: fresh measurement noise, dated
  // start + (N − 1) days. 0: no night, the run as before (noise from the seed alone, dated now).
  int night = 0;
  std::string start;               // --start; "" → default_night_start
  std::vector<std::string> drift;  // --drift specs, each "host:gpu=PCT[,…]"
  std::vector<std::string> command_line;
};

struct simulated_gpu {
  std::string host;  // node001, node002, …
  int index = 0;     // GPU index on its node
  int rank = 0;      // node × gpus_per_node + index: one rank per GPU
  std::string uuid, serial, pci_bus_id;
  double speed = 1.0;  // this GPU's own factor on every benchmark (silicon, cooling): ~N(1, 1%), truncated
};

struct planted_slow_gpu {
  std::string host;
  int gpu = 0;
  int rank = 0;
  std::string benchmark;  // gemm | membw | flops: what it is slow at
  double factor = 1.0;    // 0.70–0.80
};

// The machine: identities, per-GPU spread, the planted slow GPUs (distinct GPUs, the benchmark rotating
// gemm → membw → flops) and the nodes that never report (missing_nodes), all fixed by the seed. Only the
// nodes that report have GPUs in gpus(), ranked one after the other; with no missing node every GPU, rank
// and value is the same as without the option.
class synthetic_fleet {
 public:
  synthetic_fleet(int nodes, int gpus_per_node, std::uint64_t seed, int slow_gpus, int missing_nodes = 0);
  const std::vector<simulated_gpu>& gpus() const { return m_gpus; }           // the GPUs that report
  const std::vector<planted_slow_gpu>& planted() const { return m_planted; }  // by rank
  const std::vector<std::string>& hosts() const { return m_hosts; }  // every node, the missing ones too
  const std::vector<std::string>& missing_hosts() const { return m_missing_hosts; }
  int nodes() const { return m_nodes; }
  int gpus_per_node() const { return m_gpus_per_node; }
  std::uint64_t seed() const { return m_seed; }
  // The factor GPU `rank` runs `benchmark` at: its speed, times its planted factor when it is slow at it,
  // times its drift on this night.
  double factor(int rank, std::string_view benchmark) const;

  // Night `night` (≥ 1) of this machine, with `drift` on the GPUs it names (each must be a GPU that reports:
  // std::invalid_argument naming it otherwise). Identities, speeds and planted GPUs do not change.
  void set_night(int night, const std::vector<gpu_drift>& drift);
  int night() const { return m_night; }  // 0: no night
  const std::vector<gpu_drift>& drift() const { return m_drift; }
  // The drift factor of GPU `rank` on this night: 1 for a GPU with no drift.
  double drift_factor(int rank) const;
  // What the measurement noise is drawn from: the seed alone without a night (as before nights existed),
  // else the seed and the night, so that each night of one machine has fresh noise.
  std::uint64_t noise_seed() const;

 private:
  int m_nodes, m_gpus_per_node;
  std::uint64_t m_seed;
  std::vector<simulated_gpu> m_gpus;
  std::vector<planted_slow_gpu> m_planted;
  std::vector<std::string> m_hosts, m_missing_hosts;
  int m_night = 0;
  std::vector<gpu_drift> m_drift;
  std::vector<double> m_drift_factor;  // by rank; empty without a drift
};

// What a worker would have written for case `c` (schema exacheck/case-result/v1), with the points the suite
// that runs the benchmark simulates (suite::simulate): one rank record per GPU, or rank 0's record alone for
// a benchmark whose metrics are all global (collectives: the same on every rank; simulated_scope).
nlohmann::json simulate_case_result(const expanded_case& c, const system_spec& system,
                                    const synthetic_fleet& fleet,
                                    const registry& suites = registry::instance());

// The whole run.json before analysis. Each case's result file is written to run_dir/cases/<id>/result.json
// and read back by the controller's own complete_case_entry, so a simulated run directory looks like a real
// one.
// A fleet with a night (set_night) is dated night_timestamp(start_at, night); start_at "" is
// default_night_start.
nlohmann::json simulate_run(const plan& p, const system_spec& system, const synthetic_fleet& fleet,
                            const std::vector<std::string>& command_line, const std::string& run_dir,
                            const std::string& start_at = "");

// The subcommand: writes run.json, analyses it, renders the reports, prints where they are. Returns the
// simulated run's exit code (1 when slow GPUs were planted: they are OUTLIERs), 2 on a usage error.
int run_simulate(const simulate_options& options);

}  // namespace exacheck
