// The synthetic measurements of `exacheck simulate`: for each case, the records a worker would write, with
// the points the benchmark's own suite makes up (suite::simulate: samples drawn around the system file's
// datasheet peaks, metrics computed from them by the suite's formulas). This file knows no benchmark: it only
// decides whose record is simulated (every GPU's, or rank 0's for global points) and with which random
// stream.
#include <fmt/core.h>

#include <stdexcept>

#include "harness/core/result.hpp"
#include "harness/core/simulation.hpp"
#include "harness/core/suite.hpp"
#include "harness/simulate/simulate.hpp"

namespace exacheck {
namespace {

nlohmann::json rank_record(const simulated_gpu& gpu, int gpus_per_node, const std::string& device_name) {
  return {{"rank", gpu.rank},
          {"host", gpu.host},
          {"local_rank", gpu.rank % gpus_per_node},
          {"backend", "cuda"},
          {"device",
           {{"kind", "gpu"},
            {"index", gpu.index},
            {"name", device_name},
            {"uuid", gpu.uuid},
            {"serial", gpu.serial},
            {"pci_bus_id", gpu.pci_bus_id}}}};
}

double benchmark_seconds(const std::vector<point_result>& points) {
  double total = 0;
  for (const auto& p : points)
    for (const auto& s : p.samples)
      for (const double t : s.values) total += t;
  return total;
}

}  // namespace

nlohmann::json simulate_case_result(const expanded_case& c, const system_spec& system,
                                    const synthetic_fleet& fleet, const registry& suites) {
  const suite* s = suites.find(c.benchmark);
  if (!s)
    throw std::invalid_argument(
        fmt::format("case '{}': benchmark '{}' has no suite in this build", c.name, c.benchmark));
  const std::string device_name = "simulated " + system.name;
  const metric_scope scope = simulated_scope(*s, c.benchmark);
  const auto input = [&](double speed, random_stream& stream) {
    return simulation_input{.case_id = c.id,
                            .benchmark = c.benchmark,
                            .params = c.params,
                            .system_name = system.name,
                            .peak_per_gpu = system.peak_per_gpu,
                            .ranks = static_cast<int>(fleet.gpus().size()),
                            .seed = fleet.seed(),
                            .speed = speed,
                            .scope = scope,
                            .stream = stream};
  };
  const auto record_of = [&](const simulated_gpu& gpu, const std::vector<point_result>& points) {
    nlohmann::json record = rank_record(gpu, fleet.gpus_per_node(), device_name);
    record["timing"] = {{"benchmark_s", benchmark_seconds(points)}};
    record["points"] = points;
    return record;
  };
  nlohmann::json rank_results = nlohmann::json::array();
  if (scope == metric_scope::global) {
    // Every rank holds the same reduced figures, so rank 0's record says it all.
    random_stream stream(mix_seed(fleet.noise_seed(), c.id));
    rank_results.push_back(record_of(fleet.gpus().front(), s->simulate(input(1.0, stream))));
  } else {
    const std::uint64_t case_seed = mix_seed(fleet.noise_seed(), c.id);
    for (const auto& gpu : fleet.gpus()) {
      random_stream stream(mix_seed(case_seed, static_cast<std::uint64_t>(gpu.rank)));
      rank_results.push_back(record_of(gpu, s->simulate(input(fleet.factor(gpu.rank, c.benchmark), stream))));
    }
  }
  return {{"schema", "exacheck/case-result/v1"},
          {"case_id", c.id},
          {"benchmark", c.benchmark},
          {"ranks", fleet.gpus().size()},
          {"exacheck_version", "simulated"},
          {"libraries", nlohmann::json::object()},
          {"rank_results", std::move(rank_results)}};
}

}  // namespace exacheck
