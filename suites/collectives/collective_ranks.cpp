#include "suites/collectives/collective_ranks.hpp"

#include <fmt/core.h>
#include <mpi.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <utility>

#include "harness/core/statistics.hpp"
#include "harness/node/rank_gather.hpp"

namespace exacheck::collectives {
namespace {

// `text` from rank `from` to every rank (length first).
std::string broadcast_text(const run_context& ctx, std::string text, int from) {
  int length = static_cast<int>(text.size());
  MPI_Bcast(&length, 1, MPI_INT, from, ctx.comm);
  text.resize(static_cast<std::size_t>(length));
  MPI_Bcast(text.data(), length, MPI_CHAR, from, ctx.comm);
  return text;
}

}  // namespace

int launch_rank(const run_context& ctx, int rank) {
  return rank >= 0 && static_cast<std::size_t>(rank) < ctx.launch_ranks.size()
             ? ctx.launch_ranks[static_cast<std::size_t>(rank)]
             : rank;
}

std::optional<std::string> agree_on_skip(const run_context& ctx, const std::optional<std::string>& mine) {
  int my_rank_if_not = mine ? ctx.rank : ctx.ranks, first = ctx.ranks;
  MPI_Allreduce(&my_rank_if_not, &first, 1, MPI_INT, MPI_MIN, ctx.comm);
  if (first == ctx.ranks) return std::nullopt;
  const std::string reason = broadcast_text(ctx, mine.value_or(""), first);
  return ctx.ranks > 1 ? fmt::format("rank {}: {}", launch_rank(ctx, first), reason) : reason;
}

correctness agree_on_correctness(const run_context& ctx, const collective_layout& layout,
                                 const std::optional<output_mismatch>& mine, const std::string& method) {
  correctness check;
  check.checked = true;
  check.method = method;
  int my_wrong_rank = mine ? ctx.rank : ctx.ranks, first_wrong_rank = ctx.ranks, my_flag = mine ? 1 : 0,
      wrong_ranks = 0;
  MPI_Allreduce(&my_wrong_rank, &first_wrong_rank, 1, MPI_INT, MPI_MIN, ctx.comm);
  MPI_Allreduce(&my_flag, &wrong_ranks, 1, MPI_INT, MPI_SUM, ctx.comm);
  if (first_wrong_rank == ctx.ranks) {
    check.passed = true;
    check.detail =
        fmt::format("all {} elements of each of {} ranks' outputs exact", layout.recv_count, ctx.ranks);
    return check;
  }
  std::string detail;
  if (mine)
    detail =
        fmt::format("rank {}: first wrong element at index {}: expected {}, got {} ({} of {} elements wrong)",
                    launch_rank(ctx, ctx.rank), mine->index, mine->expected, mine->got, mine->wrong_elements,
                    layout.recv_count);
  detail = broadcast_text(ctx, detail, first_wrong_rank);
  check.passed = false;
  check.detail = fmt::format("{}; {} of {} ranks wrong", detail, wrong_ranks, ctx.ranks);
  return check;
}

std::vector<std::string> gather_hosts(const run_context& ctx) {
  // Fixed-width records: one MPI_Allgather, once per case.
  constexpr std::size_t width = 256;
  std::string mine = ctx.host.substr(0, width - 1);
  mine.resize(width, '\0');
  std::string all(width * static_cast<std::size_t>(ctx.ranks), '\0');
  MPI_Allgather(mine.data(), static_cast<int>(width), MPI_CHAR, all.data(), static_cast<int>(width), MPI_CHAR,
                ctx.comm);
  std::vector<std::string> hosts;
  for (int r = 0; r < ctx.ranks; ++r) hosts.emplace_back(all.c_str() + static_cast<std::size_t>(r) * width);
  return hosts;
}

std::vector<std::string> gather_gpu_bus_ids(const run_context& ctx) {
  return allgather_text(ctx.comm, ctx.gpu_pci_bus_id);
}

std::optional<std::string> nccl_shared_gpu_reason(const std::vector<std::string>& hosts,
                                                  const std::vector<std::string>& gpu_bus_ids) {
  std::map<std::pair<std::string, std::string>, std::vector<int>> ranks_by_gpu;  // (host, bus id) → ranks
  for (std::size_t r = 0; r < gpu_bus_ids.size(); ++r) {
    if (gpu_bus_ids[r].empty()) continue;
    std::string bus_id = gpu_bus_ids[r];
    std::transform(bus_id.begin(), bus_id.end(), bus_id.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    ranks_by_gpu[{r < hosts.size() ? hosts[r] : std::string(), bus_id}].push_back(static_cast<int>(r));
  }
  // The shared GPU with the lowest rank is named, so the reason reads the same on every rank.
  const std::vector<int>* first = nullptr;
  std::string first_host, first_bus_id;
  std::size_t sharing_ranks = 0, shared_gpus = 0;
  for (const auto& [gpu, ranks] : ranks_by_gpu) {
    if (ranks.size() < 2) continue;
    sharing_ranks += ranks.size();
    ++shared_gpus;
    if (!first || ranks.front() < first->front()) {
      first = &ranks;
      first_host = gpu.first;
      first_bus_id = gpu_bus_ids[static_cast<std::size_t>(ranks.front())];
    }
  }
  if (!first) return std::nullopt;
  return fmt::format(
      "NCCL cannot run two ranks on one GPU: ranks {} and {} share GPU {} on {} ({} of {} ranks on {} shared "
      "{}, as allow_gpu_sharing allows); run one rank per GPU for NCCL collectives, or use backend: cpu for "
      "MPI collectives",
      (*first)[0], (*first)[1], first_bus_id, first_host, sharing_ranks, gpu_bus_ids.size(), shared_gpus,
      shared_gpus == 1 ? "GPU" : "GPUs");
}

slowest_rank_record find_slowest_rank(const std::vector<double>& rank_medians_s,
                                      const std::vector<std::string>& hosts) {
  slowest_rank_record record;
  if (rank_medians_s.empty()) return record;
  const auto slowest = std::max_element(rank_medians_s.begin(), rank_medians_s.end());
  record.rank = static_cast<int>(slowest - rank_medians_s.begin());
  record.host = static_cast<std::size_t>(record.rank) < hosts.size()
                    ? hosts[static_cast<std::size_t>(record.rank)]
                    : std::string();
  record.median_s = *slowest;
  record.median_of_rank_medians_s = median(rank_medians_s);
  record.ratio = record.median_s / record.median_of_rank_medians_s;
  return record;
}

}  // namespace exacheck::collectives
