#include "suites/copybw/copybw.hpp"

#include <fmt/core.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "harness/core/rank_agreement.hpp"
#include "harness/core/statistics.hpp"
#include "harness/node/device_binding.hpp"  // cuda_visible_devices_setting

namespace exacheck::membw {

std::string_view to_string(copy_direction direction) {
  return name_of(copy_direction_names, direction);
}

std::optional<copy_direction> copy_direction_from_string(std::string_view text) {
  return value_of(copy_direction_names, text);
}

std::string copybw_description() {
  return "copy bandwidth through the copy engines: pinned host → GPU (h2d), GPU → pinned host (d2h), within "
         "a "
         "GPU (d2d) and between every ordered pair of a node's GPUs with peer access (p2p, measured by local "
         "rank 0 of each node); GB/s = bytes copied / median time per copy (d2d also as read + write, 2×, "
         "beside STREAM copy); every destination byte compared with an index-hash pattern";
}

std::vector<param_spec> copybw_parameters() {
  return {
      {"direction",
       param_type::string,
       "",
       names_of(copy_direction_names),
       names_of(copy_direction_names),
       {},
       {},
       false,
       "h2d: pinned host → the rank's GPU; d2h: the reverse; d2d: within the rank's GPU (host memory to host "
       "memory on the cpu backend); p2p: every ordered pair of the node's GPUs, one point per pair (params "
       "src_gpu, dst_gpu), by local rank 0 of each node; default: all four, one launch each"},
      {"bytes",
       param_type::bytes,
       "B",
       copybw_default_bytes,
       {},
       1.0,
       max_bytes_per_rank / 2,  // a source and a destination of this size
       true,
       "bytes per copy (source and destination buffers of this size each); a list or {from, to, factor} "
       "sweeps inside one launch"},
  };
}

std::vector<copy_metric_spec> copy_metrics(copy_direction direction) {
  switch (direction) {
    case copy_direction::h2d:
      return {{"h2d_bandwidth", 1, "host→device: bytes copied / median time per copy"}};
    case copy_direction::d2h:
      return {{"d2h_bandwidth", 1, "device→host: bytes copied / median time per copy"}};
    case copy_direction::d2d:
      return {{"d2d_bandwidth", 1, "d2d (within one device's memory): bytes copied / median time per copy"},
              {"d2d_read_write_bandwidth", 2,
               "device→device counting the read and the write (2 × bytes) / median time per copy, as STREAM "
               "copy counts them"}};
    case copy_direction::p2p:
      return {{"p2p_bandwidth", 1, "GPU src_gpu → GPU dst_gpu: bytes copied / median time per copy"}};
  }
  return {};
}

std::vector<metric_spec> copybw_metrics() {
  std::vector<metric_spec> specs;
  for (const auto& [direction, name] : copy_direction_names)
    for (auto& copy : copy_metrics(direction))
      specs.push_back({.name = std::move(copy.name),
                       .unit = "GB/s",
                       .better_is = better::higher,
                       .statistic = "median",
                       .scope = metric_scope::rank,
                       .description = std::move(copy.meaning),
                       .only_where = {{"direction", name}}});
  return specs;
}

std::uint64_t copy_seed(std::uint64_t run_seed, int rank, std::uint64_t bytes, int src_device,
                        int dst_device) {
  std::uint64_t seed = copy_pattern_word(static_cast<std::uint64_t>(rank), run_seed);
  seed = copy_pattern_word(bytes, seed);
  seed = copy_pattern_word(
      static_cast<std::uint64_t>(src_device) << 32 | static_cast<std::uint32_t>(dst_device), seed);
  return seed == 0 ? 1 : seed;
}

correctness copy_correctness(const pattern_check& check, std::uint64_t bytes) {
  correctness result;
  result.checked = true;
  result.method =
      "every destination byte compared with the index-hash pattern written into the source (splitmix64 of "
      "each 8-byte word's index and a per-copy seed); the destination poisoned with another seed's pattern "
      "before the copies";
  if (check.bytes_compared != bytes) {
    result.passed = false;
    result.detail = fmt::format("compared {} of {} bytes", check.bytes_compared, bytes);
  } else if (check.wrong_bytes > 0) {
    result.passed = false;
    result.detail =
        fmt::format("byte {} wrong: expected 0x{:02x}, got 0x{:02x}; {} of {} bytes wrong",
                    check.first_wrong_offset, check.expected, check.got, check.wrong_bytes, bytes);
  } else {
    result.passed = true;
    result.detail = fmt::format("all {} bytes match the source pattern", bytes);
  }
  return result;
}

std::optional<std::string> p2p_skip_reason(int gpus, const std::optional<std::string>& cuda_visible_devices) {
  if (gpus >= 2) return std::nullopt;
  std::string reason =
      gpus == 1 ? "one GPU on this node: no peer to copy to" : "no GPU on this node: no peer to copy to";
  if (cuda_visible_devices)
    reason += fmt::format(" (CUDA_VISIBLE_DEVICES={} limits what local rank 0 sees)", *cuda_visible_devices);
  return reason;
}

namespace {

std::vector<std::uint64_t> sizes_of(const param_values& params) {
  const nlohmann::json sizes =
      params.contains("bytes") ? params.at("bytes") : nlohmann::json(copybw_default_bytes);
  std::vector<std::uint64_t> list;
  for (const auto& size : sizes.is_array() ? sizes : nlohmann::json::array({sizes}))
    list.push_back(size.get<std::uint64_t>());
  return list;
}

// Measures the prepared route into `point`: the measurement loop over the harness's batches of back-to-back
// copies; `together`: the ranks start each batch at once (a barrier, not timed), use rank 0's batch size and
// stop together, as STREAM's ranks do — a node's GPUs share its host memory and PCIe switches.
void measure_prepared(const run_context& ctx, copy_backend& backend, copy_direction direction,
                      std::uint64_t bytes, bool together, const std::string& where, point_result& point) {
  const stop_agreement agree = together ? stop_when_any_rank_must(ctx) : stop_agreement{};
  const timed_batch batch = [&](int copies) {
    if (together) MPI_Barrier(ctx.comm);
    return backend.time_batch(copies);
  };
  const measure_outcome measured = measure_batches(
      ctx.measurement, batch, agree, together ? batch_size_of_rank_zero(ctx) : batch_agreement{});
  const int copies = measured.batch_iterations;
  const double time_s = median(measured.samples_s);
  const std::string implementation = backend.implementation();
  for (const auto& spec : copy_metrics(direction))
    point.metrics.push_back(
        {spec.name, static_cast<double>(spec.bytes_factor) * static_cast<double>(bytes) / time_s / 1e9,
         "GB/s", "median", better::higher,
         fmt::format("{}; {} × {} B / median of {} samples of {} back-to-back copies{}; {}", spec.meaning,
                     spec.bytes_factor, bytes, measured.samples_s.size(), copies, where, implementation)});
  point.samples.push_back({"time", "s", measured.samples_s});
  if (auto noisy = noise_warning(measured, ctx.measurement)) point.warnings.push_back(std::move(*noisy));
  point.check = ctx.verify ? copy_correctness(backend.check_destination(), bytes) : not_verified_by_plan();
}

// The ranks of this node (MPI shared-memory split of ctx.comm): the lowest rank measures the p2p matrix and
// every other rank of the node reports the same points.
class node_group {
 public:
  explicit node_group(const run_context& ctx) {
    if (!mpi_active(ctx)) return;
    MPI_Comm_split_type(ctx.comm, MPI_COMM_TYPE_SHARED, ctx.rank, MPI_INFO_NULL, &m_comm);
    MPI_Comm_rank(m_comm, &m_rank);
  }
  ~node_group() {
    if (m_comm != MPI_COMM_NULL) MPI_Comm_free(&m_comm);
  }
  // Owns a communicator: a copy would free it twice.
  node_group(const node_group&) = delete;
  node_group& operator=(const node_group&) = delete;

  bool measures() const { return m_rank == 0; }

  // The measuring rank's points, on every rank of the node; the samples stay with the rank that took them.
  void share(std::vector<point_result>& points) const {
    if (m_comm == MPI_COMM_NULL) return;
    std::string text = measures() ? nlohmann::json(points).dump() : std::string();
    auto length = static_cast<unsigned long long>(text.size());
    MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG_LONG, 0, m_comm);
    text.resize(length);
    MPI_Bcast(text.data(), static_cast<int>(length), MPI_CHAR, 0, m_comm);
    if (measures()) return;
    points = nlohmann::json::parse(text).get<std::vector<point_result>>();
    for (auto& point : points) point.samples.clear();
  }

 private:
  MPI_Comm m_comm = MPI_COMM_NULL;
  int m_rank = 0;
};

point_result p2p_point(std::uint64_t bytes, int src, int dst) {
  point_result point;
  point.params = {{"direction", "p2p"}, {"bytes", bytes}, {"src_gpu", src}, {"dst_gpu", dst}};
  point.scope = metric_scope::node;  // local rank 0 measures, every rank of the node reports it
  return point;
}

std::vector<point_result> run_p2p(const run_context& ctx, copy_backend& backend,
                                  const std::vector<std::uint64_t>& sizes) {
  const auto skipped_everywhere = [&](const std::string& reason) {
    std::vector<point_result> points;
    for (const auto bytes : sizes) {
      point_result point;
      point.params = {{"direction", "p2p"}, {"bytes", bytes}};
      point.skipped_reason = reason;
      points.push_back(std::move(point));
    }
    return points;
  };
  if (const auto reason = backend.unsupported_reason(copy_direction::p2p)) return skipped_everywhere(*reason);
  const bool mpi = mpi_active(ctx);
  const int gpus = backend.peer_devices();
  // Every rank must return the same points in the same order (run.json lines points up by index), so every
  // node must have the same pairs.
  int fewest = gpus, most = gpus;
  if (mpi) {
    MPI_Allreduce(&gpus, &fewest, 1, MPI_INT, MPI_MIN, ctx.comm);
    MPI_Allreduce(&gpus, &most, 1, MPI_INT, MPI_MAX, ctx.comm);
  }
  if (fewest != most)
    throw std::runtime_error(fmt::format(
        "copybw p2p: the nodes of this run see between {} and {} GPUs; every node needs the same number for "
        "the matrices to line up (run nodes alike, or set CUDA_VISIBLE_DEVICES the same on each)",
        fewest, most));
  if (const auto reason = p2p_skip_reason(gpus, cuda_visible_devices_setting()))
    return skipped_everywhere(*reason);

  // Peer access per ordered pair, here and on any node: a pair no node can reach is SKIPPED; a pair only some
  // nodes can reach leaves the others without a value (their check then fails: "only k of n ranks").
  const auto n = static_cast<std::size_t>(gpus);
  std::vector<int> here(n * n, 0), anywhere(n * n, 0);
  std::vector<std::string> why_not(n * n);
  for (int src = 0; src < gpus; ++src)
    for (int dst = 0; dst < gpus; ++dst) {
      if (src == dst) continue;
      const std::size_t pair = static_cast<std::size_t>(src) * n + static_cast<std::size_t>(dst);
      const auto reason = backend.peer_unavailable_reason(src, dst);
      here[pair] = reason ? 0 : 1;
      why_not[pair] = reason.value_or("");
    }
  anywhere = here;
  if (mpi) MPI_Allreduce(here.data(), anywhere.data(), static_cast<int>(n * n), MPI_INT, MPI_MAX, ctx.comm);

  node_group node(ctx);
  std::vector<point_result> points;
  if (node.measures()) {
    const std::string where = fmt::format(
        "; measured once per node by local rank 0 (rank {} on {}) over the {} GPUs it sees, "
        "reported by every rank of the node",
        ctx.rank, ctx.host, gpus);
    for (const auto bytes : sizes)
      for (int src = 0; src < gpus; ++src)
        for (int dst = 0; dst < gpus; ++dst) {
          if (src == dst) continue;
          const std::size_t pair = static_cast<std::size_t>(src) * n + static_cast<std::size_t>(dst);
          point_result point = p2p_point(bytes, src, dst);
          if (!here[pair] && !anywhere[pair]) {
            point.skipped_reason = why_not[pair];
          } else if (!here[pair]) {
            point.warnings.push_back(
                fmt::format("{} on {}, while other nodes of this run have it", why_not[pair], ctx.host));
          } else {
            backend.prepare({copy_direction::p2p, src, dst}, bytes,
                            copy_seed(ctx.seed, ctx.rank, bytes, src, dst));
            measure_prepared(ctx, backend, copy_direction::p2p, bytes, false, where, point);
          }
          points.push_back(std::move(point));
        }
  }
  node.share(points);
  return points;
}

}  // namespace

std::vector<point_result> run_copybw(const run_context& ctx, const param_values& params,
                                     copy_backend& backend) {
  const std::string name = params.value("direction", std::string("d2d"));
  const auto direction = copy_direction_from_string(name);
  if (!direction)
    throw std::invalid_argument(fmt::format("copybw: unknown direction '{}' (h2d, d2h, d2d or p2p)", name));
  const std::vector<std::uint64_t> sizes = sizes_of(params);
  if (*direction == copy_direction::p2p) return run_p2p(ctx, backend, sizes);

  const bool together = mpi_active(ctx);
  std::vector<point_result> points;
  for (const auto bytes : sizes) {
    point_result point;
    point.params = {{"direction", name}, {"bytes", bytes}};
    if (const auto reason = backend.unsupported_reason(*direction)) {
      point.skipped_reason = *reason;
    } else {
      backend.prepare({*direction, 0, 0}, bytes, copy_seed(ctx.seed, ctx.rank, bytes, 0, 0));
      measure_prepared(ctx, backend, *direction, bytes, together, "", point);
    }
    points.push_back(std::move(point));
  }
  return points;
}

}  // namespace exacheck::membw
