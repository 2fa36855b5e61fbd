// The synthetic measurements of `exacheck simulate`: for each case, the records a worker would write, with
// per-iteration samples drawn around the system file's datasheet peaks and the metrics computed from them by
// the suites' own formulas (GEMM 2·M·N·K / median time, STREAM bytes / best time excluding the first,
// nccl-tests' bus bandwidth).
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "harness/core/result.hpp"
#include "harness/simulate/simulate.hpp"
#include "harness/core/statistics.hpp"
#include "harness/results/verdicts.hpp"
#include "suites/collectives/collective_formulas.hpp"
#include "suites/membw/stream_backend.hpp"

namespace exacheck {
namespace {

// A worker records every timed iteration; a simulated one records a few, enough for the statistics.
constexpr int k_samples = 5;
constexpr double k_sample_noise = 0.002;  // run-to-run noise of one iteration, relative
constexpr double k_noise_limit_sigma = 2.5;

// Short on purpose: it is repeated in every rank's record.
const correctness simulated_answer{true, true, "simulated (nothing computed)", ""};

// A datasheet peak in `unit`, or nullopt when the system file has none (the point is then SKIPPED).
std::optional<double> peak_of(const system_spec& system, const std::string& key, const std::string& unit) {
  const auto& peaks = system.peak_per_gpu;
  if (!peaks.is_object() || !peaks.contains(key)) return std::nullopt;
  const auto& value = peaks[key];
  double number = 0;
  std::string value_unit = peaks.value("unit", std::string("TFLOP/s"));
  if (value.is_number()) {
    number = value.get<double>();
  } else if (value.is_string()) {  // "3.35 TB/s"
    const std::string text = value.get<std::string>();
    std::size_t used = 0;
    try {
      number = std::stod(text, &used);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    value_unit = text.substr(text.find_first_not_of(' ', used) == std::string::npos
                                 ? text.size()
                                 : text.find_first_not_of(' ', used));
  } else {
    return std::nullopt;
  }
  const auto factor = unit_conversion(value_unit, unit);
  if (!factor || number <= 0) return std::nullopt;
  return number * *factor;
}

std::string gemm_peak_key(const std::string& dtype, const system_spec& system) {
  if (dtype == "fp64" && system.peak_per_gpu.contains("fp64_tensor")) return "fp64_tensor";
  if (dtype.starts_with("fp8")) return "fp8";
  return dtype;
}

// `count` iteration times around `seconds`.
std::vector<double> draw_times(random_stream& stream, double seconds, int count) {
  std::vector<double> times(static_cast<std::size_t>(count));
  for (auto& t : times) t = seconds * (1.0 + k_sample_noise * stream.truncated_normal(k_noise_limit_sigma));
  return times;
}

point_result skipped_point(const nlohmann::json& params, std::string reason) {
  point_result point;
  point.params = params;
  point.skipped_reason = std::move(reason);
  return point;
}

// An efficiency of the case, the same on every GPU: drawn once per (benchmark, dtype) in [low, high).
double efficiency(std::uint64_t seed, const std::string& what, double low, double high) {
  random_stream stream(mix_seed(seed, "efficiency:" + what));
  return low + (high - low) * stream.uniform();
}

point_result gemm_point(const expanded_case& c, const system_spec& system, const synthetic_fleet& fleet,
                        int rank, random_stream& stream) {
  const std::string dtype = c.params.value("dtype", std::string("fp64"));
  const std::string key = gemm_peak_key(dtype, system);
  const auto peak_tflops = peak_of(system, key, "TFLOP/s");
  if (!peak_tflops)
    return skipped_point(c.params,
                         fmt::format("simulate: system '{}' has no peak_per_gpu.{}", system.name, key));
  const auto m = c.params.value("m", std::int64_t{1024}), n = c.params.value("n", std::int64_t{1024}),
             k = c.params.value("k", std::int64_t{1024});
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  const double tflops =
      *peak_tflops * efficiency(fleet.seed(), "gemm:" + dtype, 0.75, 0.85) * fleet.factor(rank, "gemm");
  point_result point;
  point.params = c.params;
  const auto times = draw_times(stream, flops / (tflops * 1e12), k_samples);
  const double median_s = median(times);
  point.metrics.push_back({"tflops", flops / median_s / 1e12, "TFLOP/s", "median", better::higher,
                           "2·M·N·K / median time (simulated)"});
  point.metrics.push_back(
      {"time", median_s, "s", "median", better::lower, "median time of one GEMM (simulated)"});
  point.samples.push_back({"time", "s", times});
  point.check = simulated_answer;
  return point;
}

point_result flops_point(const expanded_case& c, const system_spec& system, const synthetic_fleet& fleet,
                         int rank, random_stream& stream) {
  const std::string dtype = c.params.value("dtype", std::string("fp64"));
  const std::string key = dtype.starts_with("fp8") ? "fp8" : dtype;
  const auto peak_tflops = peak_of(system, key, "TFLOP/s");
  if (!peak_tflops)
    return skipped_point(c.params,
                         fmt::format("simulate: system '{}' has no peak_per_gpu.{}", system.name, key));
  constexpr double flops_per_run = 1e13;  // a run of ~10–100 ms at these peaks, as the suite calibrates
  const double tflops =
      *peak_tflops * efficiency(fleet.seed(), "flops:" + dtype, 0.88, 0.95) * fleet.factor(rank, "flops");
  point_result point;
  // The plan's point, as the suite records it; what the suite would size or find on the node is derived.
  point.params = c.params;
  point.derived = {{"inner_iterations", 1 << 20}, {"isa", "simulated"}, {"threads", 1}};
  const auto times = draw_times(stream, flops_per_run / (tflops * 1e12), k_samples);
  point.metrics.push_back({"tflops", flops_per_run / median(times) / 1e12, "TFLOP/s", "median",
                           better::higher, "flops of one run / median time (simulated)"});
  point.samples.push_back({"time", "s", times});
  point.check = simulated_answer;
  return point;
}

point_result membw_point(const expanded_case& c, const system_spec& system, const synthetic_fleet& fleet,
                         int rank, random_stream& stream) {
  const auto hbm_gbps = peak_of(system, "hbm", "GB/s");
  if (!hbm_gbps)
    return skipped_point(c.params, fmt::format("simulate: system '{}' has no peak_per_gpu.hbm", system.name));
  const std::string dtype = c.params.value("dtype", std::string("fp64"));
  const std::uint64_t element_bytes = dtype == "fp32" ? 4 : 8;
  const std::uint64_t array_bytes = std::uint64_t{1} << 30;  // the cuda backend's auto size on an H100
  const std::uint64_t elements = array_bytes / element_bytes;
  // The worker records ntimes iterations of each kernel; the simulated one the first few (see k_samples).
  const int iterations = std::clamp(c.params.value("ntimes", 20), 2, k_samples);
  // Share of the HBM peak each kernel reaches on Hopper-class GPUs (the reductions of dot cost a little).
  static constexpr std::array<double, 5> kernel_efficiency{0.89, 0.89, 0.91, 0.91, 0.86};
  point_result point;
  point.params = c.params;
  point.derived["array_bytes_used"] = array_bytes;
  for (std::size_t i = 0; i < membw::stream_kernels.size(); ++i) {
    const auto& info = membw::stream_kernels[i];
    const auto bytes = membw::stream_bytes(info.kernel, elements, element_bytes);
    const double gbps = *hbm_gbps * kernel_efficiency[i] * fleet.factor(rank, "membw");
    auto times = draw_times(stream, static_cast<double>(bytes) / (gbps * 1e9), iterations);
    times.front() *= 1.05;  // the first iteration warms up; STREAM excludes it
    point.metrics.push_back({fmt::format("{}_bandwidth", info.label),
                             static_cast<double>(bytes) / min_excluding_first(times) / 1e9, "GB/s",
                             "best_excluding_first", better::higher,
                             fmt::format("{}: {} arrays × {} B / best time excluding the first (simulated)",
                                         info.label, info.arrays_moved, elements * element_bytes)});
    point.samples.push_back({fmt::format("{}_time", info.label), "s", std::move(times)});
  }
  point.check = simulated_answer;
  return point;
}

// Copy-engine rates of a PCIe Gen5 x16 host link and an HBM3 device (bytes copied per second); the d2d copy
// reads and writes every byte, so it reaches about half of the STREAM copy rate counted as read + write.
point_result copybw_point(const expanded_case& c, const system_spec& system, const synthetic_fleet& fleet,
                          int rank, random_stream& stream) {
  const std::string direction = c.params.value("direction", std::string("d2d"));
  const nlohmann::json& sizes = c.params.contains("bytes") ? c.params.at("bytes") : nlohmann::json(1 << 30);
  const auto bytes = (sizes.is_array() ? sizes.back() : sizes).get<std::uint64_t>();
  if (direction == "p2p")
    return skipped_point({{"direction", direction}, {"bytes", bytes}},
                         "simulate: the p2p matrix is not simulated (it depends on the node's topology)");
  double gbps = direction == "h2d" ? 55.0 : direction == "d2h" ? 53.0 : 0.0;
  if (direction == "d2d") {
    const auto hbm_gbps = peak_of(system, "hbm", "GB/s");
    if (!hbm_gbps)
      return skipped_point(c.params,
                           fmt::format("simulate: system '{}' has no peak_per_gpu.hbm", system.name));
    gbps = *hbm_gbps * 0.45;
  }
  gbps *= fleet.factor(rank, "copybw");  // speed only: planted GPUs are slow at gemm, membw or flops
  point_result point;
  point.params = {{"direction", direction}, {"bytes", bytes}};
  const auto times = draw_times(stream, static_cast<double>(bytes) / (gbps * 1e9), k_samples);
  const double time_s = median(times);
  point.metrics.push_back({direction + "_bandwidth", static_cast<double>(bytes) / time_s / 1e9, "GB/s",
                           "median", better::higher, "bytes copied / median time per copy (simulated)"});
  if (direction == "d2d")
    point.metrics.push_back({"d2d_read_write_bandwidth", 2.0 * static_cast<double>(bytes) / time_s / 1e9,
                             "GB/s", "median", better::higher,
                             "2 × bytes copied / median time per copy (simulated)"});
  point.samples.push_back({"time", "s", times});
  point.check = simulated_answer;
  return point;
}

// A plausible bus-bandwidth curve of a fat-tree of 400 Gb/s links (one NIC per GPU): a latency growing with
// log2(ranks), then each collective's large-message bus bandwidth.
double peak_busbw_gbps(collectives::collective op) {
  using collectives::collective;
  switch (op) {
    case collective::allreduce:
      return 180;
    case collective::allgather:
    case collective::reduce_scatter:
      return 170;
    case collective::broadcast:
    case collective::reduce:
      return 150;
    case collective::alltoall:
    case collective::sendrecv:
      return 45;
  }
  return 100;
}

point_result collective_point(collectives::collective op, collectives::element_type dtype,
                              std::size_t requested_bytes, int root, int ranks, random_stream& stream) {
  using namespace collectives;
  nlohmann::json params = {{"bytes", requested_bytes}, {"dtype", to_string(dtype)}};
  if (op == collective::broadcast || op == collective::reduce) params["root"] = root;
  std::string why_not;
  const auto layout = layout_for_bytes(op, dtype, requested_bytes, ranks, root, &why_not);
  if (!layout) {
    point_result skipped = skipped_point(params, why_not);
    skipped.scope = metric_scope::global;  // as the suite marks it
    return skipped;
  }
  const double factor = bus_bandwidth_factor(op, ranks);
  const double latency_s = (10.0 + 4.0 * std::log2(static_cast<double>(ranks))) * 1e-6;
  const double model_s =
      latency_s + static_cast<double>(layout->bytes) * std::max(factor, 1.0) / (peak_busbw_gbps(op) * 1e9);
  const auto own = draw_times(stream, model_s * 0.98, k_samples);
  auto slowest = own;
  for (auto& t : slowest) t = std::max(t, model_s * (1.0 + 0.01 * stream.uniform()));
  const double time_s = median(slowest);
  point_result point;
  point.scope = metric_scope::global;
  point.params = params;
  point.derived["bytes"] = layout->bytes;  // what a worker moves at this rank count; the point is the plan's
  const std::string statistic = "median of per-iteration max over ranks";
  point.metrics.push_back({"time", time_s * 1e6, "us", statistic, better::lower,
                           "slowest rank's time of one blocking call (simulated)"});
  point.metrics.push_back({"algbw", algorithm_bandwidth_gbps(layout->bytes, time_s), "GB/s", statistic,
                           better::higher, "algorithm bandwidth: bytes / time, GB = 1e9 B (nccl-tests)"});
  if (factor > 0)
    point.metrics.push_back(
        {"busbw", algorithm_bandwidth_gbps(layout->bytes, time_s) * factor, "GB/s", statistic, better::higher,
         fmt::format("bus bandwidth: algbw × {:.4g} for n = {} (nccl-tests)", factor, ranks)});
  point.metrics.push_back({"latency_min", median(own) * 0.99e6, "us", "min over ranks of each rank's median",
                           better::lower, "fastest rank's median time of one call"});
  point.metrics.push_back({"latency_avg", median(own) * 1e6, "us", "mean over ranks of each rank's median",
                           better::lower, "average over ranks of each rank's median time of one call"});
  point.metrics.push_back({"latency_max", time_s * 1e6, "us", "max over ranks of each rank's median",
                           better::lower, "slowest rank's median time of one call"});
  point.samples.push_back({"time", "s", own});
  point.samples.push_back({"time_max_over_ranks", "s", slowest});
  point.check = {true, true, "simulated: nothing was moved", "exacheck simulate draws the measurements"};
  return point;
}

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
                                    const synthetic_fleet& fleet) {
  const std::string device_name = "simulated " + system.name;
  nlohmann::json rank_results = nlohmann::json::array();
  const auto op = collectives::collective_from_string(c.benchmark);
  if (op) {
    // Collectives are global: every rank holds the same reduced figures, so rank 0's record says it all.
    const auto dtype = collectives::element_type_from_string(c.params.value("dtype", std::string("fp32")));
    if (!dtype) throw std::invalid_argument(fmt::format("{}: unknown dtype", c.id));
    random_stream stream(mix_seed(fleet.seed(), c.id));
    const int ranks = static_cast<int>(fleet.gpus().size());
    std::vector<point_result> points;
    const nlohmann::json& sizes = c.params.at("bytes");
    for (const auto& size : sizes.is_array() ? sizes : nlohmann::json::array({sizes}))
      points.push_back(
          collective_point(*op, *dtype, size.get<std::size_t>(), c.params.value("root", 0), ranks, stream));
    nlohmann::json record = rank_record(fleet.gpus().front(), fleet.gpus_per_node(), device_name);
    record["timing"] = {{"benchmark_s", benchmark_seconds(points)}};
    record["points"] = points;
    rank_results.push_back(std::move(record));
  } else {
    using maker = point_result (*)(const expanded_case&, const system_spec&, const synthetic_fleet&, int,
                                   random_stream&);
    const maker make = c.benchmark == "gemm"     ? gemm_point
                       : c.benchmark == "flops"  ? flops_point
                       : c.benchmark == "membw"  ? membw_point
                       : c.benchmark == "copybw" ? copybw_point
                                                 : nullptr;
    if (!make)
      throw std::invalid_argument(
          fmt::format("case '{}': benchmark '{}' cannot be simulated (gemm, membw, copybw, flops and "
                      "the collectives can)",
                      c.name, c.benchmark));
    const std::uint64_t case_seed = mix_seed(fleet.seed(), c.id);
    for (const auto& gpu : fleet.gpus()) {
      random_stream stream(mix_seed(case_seed, static_cast<std::uint64_t>(gpu.rank)));
      std::vector<point_result> points{make(c, system, fleet, gpu.rank, stream)};
      nlohmann::json record = rank_record(gpu, fleet.gpus_per_node(), device_name);
      record["timing"] = {{"benchmark_s", benchmark_seconds(points)}};
      record["points"] = points;
      rank_results.push_back(std::move(record));
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
