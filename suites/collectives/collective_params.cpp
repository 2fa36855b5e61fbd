#include "suites/collectives/collective_params.hpp"

#include <fmt/core.h>

namespace exacheck::collectives {
namespace {

std::string size_meaning(collective op) {
  switch (op) {
    case collective::allgather:
      return "the gathered output of each rank (each rank contributes bytes / ranks)";
    case collective::reduce_scatter:
      return "the input of each rank (each rank receives bytes / ranks)";
    case collective::alltoall:
      return "each rank's send buffer (bytes / ranks to each peer)";
    default:
      return "one rank's buffer";
  }
}

}  // namespace

std::string factor_formula(collective op) {
  switch (op) {
    case collective::allreduce:
      return "2(n−1)/n";
    case collective::allgather:
    case collective::reduce_scatter:
    case collective::alltoall:
      return "(n−1)/n";
    default:
      return "1";
  }
}

namespace {

std::string in_place_doc(collective op) {
  switch (op) {
    case collective::allgather:
      return ": each rank's input is its own chunk of the output (recvbuff + rank·bytes/ranks)";
    case collective::reduce_scatter:
      return ": the result is the rank's own chunk of the input (NCCL: recvbuff = sendbuff + rank·chunk; "
             "MPI_IN_PLACE: chunk 0)";
    case collective::broadcast:
      return "; MPI_Bcast is always in place";
    case collective::alltoall:
    case collective::sendrecv:
      return "; MPI only (MPI_IN_PLACE / MPI_Sendrecv_replace): NCCL has no in-place form, SKIPPED";
    default:
      return ": sendbuff == recvbuff";
  }
}

}  // namespace

// nccl-tests' default sweep (-b 8 -e … -f 2), capped at 1 MiB so that a default case stays short.
nlohmann::json default_sizes() {
  nlohmann::json sizes = nlohmann::json::array();
  for (std::size_t bytes = 8; bytes <= (std::size_t{1} << 20); bytes *= 2) sizes.push_back(bytes);
  return sizes;
}

bool has_root(collective op) {
  return op == collective::broadcast || op == collective::reduce;
}

std::string collective_description(collective op) {
  return fmt::format(
      "MPI/NCCL {} over a message size sweep: time (median of the per-iteration slowest rank), "
      "algbw = bytes / time, busbw = algbw × {} (nccl-tests); bytes = {}; every element checked",
      to_string(op), factor_formula(op), size_meaning(op));
}

std::vector<param_spec> collective_parameters(collective op) {
  std::vector<param_spec> specs = {
      {"bytes",
       param_type::bytes,
       "B",
       default_sizes(),
       {},
       1.0,
       max_bytes_per_rank / 2,  // a send and a receive buffer of this size at least
       true,
       fmt::format(
           "message size (nccl-tests' size): {}; rounded down to whole elements{}; "
           "a list or {{from, to, factor}} sweeps inside one launch",
           size_meaning(op),
           op == collective::allgather || op == collective::reduce_scatter || op == collective::alltoall
               ? " per rank"
               : "")},
      {"dtype",
       param_type::string,
       "",
       "fp32",
       names_of(element_type_names),
       {},
       {},
       false,
       "element type (reductions sum); bf16, fp16, fp8_e4m3, fp8_e5m2: cuda backend only (NCCL; fp8 from "
       "NCCL 2.24 on compute capability 9.0+), SKIPPED with the reason elsewhere"},
      {"in_place",
       param_type::boolean,
       "",
       false,
       {},
       {},
       {},
       false,
       fmt::format("one buffer for input and result (nccl-tests' in-place column){}", in_place_doc(op))},
      {"cuda_graph",
       param_type::boolean,
       "",
       false,
       {},
       {},
       {},
       false,
       "cuda backend: capture each sample's back-to-back calls into a CUDA graph once and time its "
       "launches (time per call = launch time / calls), which removes launch overhead at small sizes; "
       "ignored with a warning on the cpu backend"},
  };
  specs.push_back({.name = "groups",
                   .type = param_type::string,
                   .unit = "",
                   .default_value = "all",
                   .allowed = {"all", "per_node", "node_pairs"},
                   .min = {},
                   .max = {},
                   .swept_inside_worker = false,
                   .doc = "which ranks run together: all (one collective over every rank); per_node (an "
                          "independent copy on every node at once, each node its own communicator: one "
                          "result per node); node_pairs (copies on disjoint pairs of nodes, in two rounds: "
                          "(1,2), (3,4), … then (2,3), (4,5), … and the ring's (n,1); one result per pair, "
                          "named by its two hosts)",
                   .omitted_at_default = true});
  if (has_root(op))
    specs.push_back({"root",
                     param_type::integer,
                     "",
                     0,
                     {},
                     0.0,
                     max_int32_value,
                     false,
                     "the rank that sends/receives"});
  return specs;
}

std::vector<metric_spec> collective_metrics(collective op) {
  const std::string slowest_per_iteration = "median of per-iteration max over ranks";
  const auto global = [](std::string name, std::string unit, better direction, std::string statistic,
                         std::string description) {
    return metric_spec{.name = std::move(name),
                       .unit = std::move(unit),
                       .better_is = direction,
                       .statistic = std::move(statistic),
                       .scope = metric_scope::global,
                       .description = std::move(description)};
  };
  metric_spec busbw = global("busbw", "GB/s", better::higher, slowest_per_iteration,
                             fmt::format("bus bandwidth: algbw × {} (nccl-tests)", factor_formula(op)));
  // The factor (n−1)/n or 2(n−1)/n is 0 on one rank: nothing crosses a bus, and busbw is not reported.
  if (bus_bandwidth_factor(op, 1) == 0) busbw.min_ranks = 2;
  return {
      global("time", "us", better::lower, slowest_per_iteration,
             "slowest rank's time per blocking call (untimed barrier before each sample)"),
      global("algbw", "GB/s", better::higher, slowest_per_iteration,
             "algorithm bandwidth: bytes / time, GB = 1e9 B (nccl-tests)"),
      std::move(busbw),
      global("latency_min", "us", better::lower, "min over ranks of each rank's median",
             "fastest rank's median time of one call"),
      global("latency_avg", "us", better::lower, "mean over ranks of each rank's median",
             "average over ranks of each rank's median time of one call"),
      global("latency_max", "us", better::lower, "max over ranks of each rank's median",
             "slowest rank's median time of one call"),
      global("slowest_rank_ratio", "x", better::lower, "max over ranks of each rank's median / their median",
             "the slowest rank's median time / the median over ranks of each rank's median (≥ 1)"),
  };
}

std::string correctness_method(element_type dtype, bool in_place) {
  return fmt::format(
      "every output element compared exactly with the known result of inputs {}{}",
      is_narrow(dtype) ? "of the narrow scheme (integers whose every partial sum is exact in " +
                             std::string(to_string(dtype)) + "; docs/formulas.md)"
                       : std::string("w(r)·(1 + i mod 7) (w = r+1, or 1 + r mod 16 for reductions)"),
      in_place ? "; in place: inputs re-written and one more call checked after the timed ones" : "");
}

}  // namespace exacheck::collectives
