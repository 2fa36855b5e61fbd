#pragma once
// What the ranks of one collective case must agree on, over MPI: whether a point can run at all (a rank
// that cannot must not leave its peers waiting in the collective; ranks sharing a GPU cannot run NCCL),
// whether every rank's output was right, and which rank was the slowest (named with its host, so a slow rank
// or node can be found).
#include <optional>
#include <string>
#include <vector>

#include "harness/core/result.hpp"
#include "harness/core/suite.hpp"
#include "suites/collectives/collective_formulas.hpp"

namespace exacheck::collectives {

// Rank `rank` of ctx.comm as the launch numbers it (ctx.launch_ranks when the case runs on a group of the
// launch's ranks), so that every message names ranks as run.json does.
int launch_rank(const run_context& ctx, int rank);

// Every rank's reason not to run (nullopt: it can), made global: nullopt on every rank when all can, else the
// lowest such rank's reason on every rank ("rank R: …" when there are several ranks).
std::optional<std::string> agree_on_skip(const run_context& ctx, const std::optional<std::string>& mine);

// Every rank's correctness, made global: the lowest wrong rank's detail is sent to all ranks.
correctness agree_on_correctness(const run_context& ctx, const collective_layout& layout,
                                 const std::optional<output_mismatch>& mine, const std::string& method);

// Every rank's host name, indexed by rank (collective over ctx.comm).
std::vector<std::string> gather_hosts(const run_context& ctx);

// Every rank's GPU (ctx.gpu_pci_bus_id), indexed by rank (collective over ctx.comm).
std::vector<std::string> gather_gpu_bus_ids(const run_context& ctx);

// Why NCCL cannot run these ranks, or nullopt when it can: two ranks on one GPU (the same host and PCI bus
// id, as allow_gpu_sharing permits) make ncclCommInitRank fail, so every point of the case is SKIPPED with
// this reason instead. Pure: every rank reaches the same answer from the same gathered hosts and bus ids
// (indexed by rank), so no rank skips while another enters NCCL. Empty bus ids (unknown) are not compared.
// The bus id is NCCL's own test for a duplicate GPU, so MIG instances of one GPU count as one GPU here too.
std::optional<std::string> nccl_shared_gpu_reason(const std::vector<std::string>& hosts,
                                                  const std::vector<std::string>& gpu_bus_ids);

// The rank with the highest median (the first such rank on a tie) and its median relative to the median of
// all ranks' medians. Pure: every rank computes the same record from the same gathered medians.
slowest_rank_record find_slowest_rank(const std::vector<double>& rank_medians_s,
                                      const std::vector<std::string>& hosts);

// A slowest rank this much slower than the median rank is named in the point's warnings.
inline constexpr double k_slow_rank_warning_ratio = 1.10;

}  // namespace exacheck::collectives
