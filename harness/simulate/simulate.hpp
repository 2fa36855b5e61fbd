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

struct simulate_options {
  int nodes = 0;
  int gpus_per_node = 0;
  std::string system_file;  // required: the peaks the values are drawn around, and the references
  std::string
      plan_file;  // "" → configs/plans/acceptance.yaml, from the working directory or beside the binary
  std::string out_dir;  // required
  std::uint64_t seed = 1;
  int slow_gpus = 3;      // planted slow GPUs
  int missing_nodes = 0;  // nodes that are expected (provenance.expected_hosts) but never report
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
  // The factor GPU `rank` runs `benchmark` at: its speed, times its planted factor when it is slow at it.
  double factor(int rank, std::string_view benchmark) const;

 private:
  int m_nodes, m_gpus_per_node;
  std::uint64_t m_seed;
  std::vector<simulated_gpu> m_gpus;
  std::vector<planted_slow_gpu> m_planted;
  std::vector<std::string> m_hosts, m_missing_hosts;
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
nlohmann::json simulate_run(const plan& p, const system_spec& system, const synthetic_fleet& fleet,
                            const std::vector<std::string>& command_line, const std::string& run_dir);

// The subcommand: writes run.json, analyses it, renders the reports, prints where they are. Returns the
// simulated run's exit code (1 when slow GPUs were planted: they are OUTLIERs), 2 on a usage error.
int run_simulate(const simulate_options& options);

}  // namespace exacheck
