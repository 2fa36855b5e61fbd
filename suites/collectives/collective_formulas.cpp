#include "suites/collectives/collective_formulas.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <stdexcept>

namespace exacheck::collectives {
namespace {

// Collectives whose buffers are made of one chunk per rank: the size must hold one element per rank.
bool is_chunked(collective op) {
  return op == collective::allgather || op == collective::reduce_scatter || op == collective::alltoall;
}

double reduction_weight(int rank) {
  return 1.0 + static_cast<double>(rank % 16);
}
double moving_weight(int rank) {
  return static_cast<double>(rank) + 1.0;
}
double index_pattern(std::size_t index) {
  return 1.0 + static_cast<double>(index % 7);
}

// Σ_{d<count} (1 + d mod period) in closed form: every full period adds 1 + … + period.
double periodic_weight_sum(long long count, long long period) {
  const long long full = count / period, rest = count % period;
  return static_cast<double>(full * period * (period + 1) / 2 + rest * (rest + 1) / 2);
}

// Σ_{r<n} (1 + r mod 16): the wide reductions' sum of weights.
double reduction_weight_sum(int ranks) {
  return periodic_weight_sum(ranks, 16);
}

long long exact_limit_as_integer(element_type dtype) {
  return static_cast<long long>(exact_integer_limit(dtype));
}

// The narrow reductions: contributors of element `index` and the exact sum they make.
int narrow_contributors(element_type dtype, int ranks) {
  return std::min(ranks, narrow_scheme(dtype).contributors);
}
double narrow_pattern(element_type dtype, std::size_t index) {
  return 1.0 + static_cast<double>(index % static_cast<std::size_t>(narrow_scheme(dtype).pattern_period));
}
double narrow_reduction_input(element_type dtype, int ranks, int rank, std::size_t index) {
  const auto n = static_cast<std::size_t>(ranks);
  const auto d = static_cast<int>((static_cast<std::size_t>(rank) + n - index % n) % n);  // window position
  if (d >= narrow_contributors(dtype, ranks)) return 0.0;
  const narrow_reduction_scheme scheme = narrow_scheme(dtype);
  return (1.0 + static_cast<double>(d % scheme.weight_period)) * narrow_pattern(dtype, index);
}
double narrow_reduction_sum(element_type dtype, int ranks, std::size_t index) {
  return periodic_weight_sum(narrow_contributors(dtype, ranks), narrow_scheme(dtype).weight_period) *
         narrow_pattern(dtype, index);
}
double narrow_moving_input(element_type dtype, int rank, std::size_t index) {
  const auto limit = static_cast<std::size_t>(exact_limit_as_integer(dtype));
  return 1.0 + static_cast<double>((7 * (static_cast<std::size_t>(rank) % limit) + index % limit) % limit);
}

}  // namespace

std::string_view to_string(collective value) {
  return name_of(collective_names, value);
}

std::optional<collective> collective_from_string(std::string_view text) {
  return value_of(collective_names, text);
}

const std::vector<collective>& all_collectives() {
  static const std::vector<collective> all = [] {
    std::vector<collective> ops;
    for (const auto& entry : collective_names) ops.push_back(entry.value);
    return ops;
  }();
  return all;
}

std::string_view to_string(element_type value) {
  return name_of(element_type_names, value);
}

std::optional<element_type> element_type_from_string(std::string_view text) {
  return value_of(element_type_names, text);
}

const std::vector<element_type>& all_element_types() {
  static const std::vector<element_type> all = [] {
    std::vector<element_type> types;
    for (const auto& entry : element_type_names) types.push_back(entry.value);
    return types;
  }();
  return all;
}

std::size_t element_size(element_type value) {
  switch (value) {
    case element_type::fp64:
      return 8;
    case element_type::int32:
    case element_type::fp32:
      return 4;
    case element_type::bf16:
    case element_type::fp16:
      return 2;
    case element_type::fp8_e4m3:
    case element_type::fp8_e5m2:
      return 1;
  }
  return 4;
}

bool is_narrow(element_type value) {
  return element_size(value) <= 2;
}

double exact_integer_limit(element_type value) {
  switch (value) {
    case element_type::int32:
      return 2147483647.0;
    case element_type::fp32:
      return 16777216.0;  // 2^24
    case element_type::fp64:
      return 9007199254740992.0;  // 2^53
    case element_type::bf16:
      return 256;
    case element_type::fp16:
      return 2048;
    case element_type::fp8_e4m3:
      return 16;
    case element_type::fp8_e5m2:
      return 8;
  }
  return 0;
}

narrow_reduction_scheme narrow_scheme(element_type value) {
  switch (value) {
    case element_type::bf16:
      return {16, 4, 6};
    case element_type::fp16:
      return {64, 4, 12};
    case element_type::fp8_e4m3:
      return {2, 2, 5};
    case element_type::fp8_e5m2:
      return {2, 2, 2};
    default:
      break;
  }
  throw std::invalid_argument(
      fmt::format("narrow_scheme: {} is not a narrow type (it uses the wide scheme)", to_string(value)));
}

double bus_bandwidth_factor(collective op, int ranks) {
  if (ranks < 1) throw std::invalid_argument("bus_bandwidth_factor: ranks must be at least 1");
  const double n = ranks;
  switch (op) {
    case collective::allreduce:
      return 2.0 * (n - 1.0) / n;
    case collective::allgather:
    case collective::reduce_scatter:
    case collective::alltoall:
      return (n - 1.0) / n;
    case collective::broadcast:
    case collective::reduce:
    case collective::sendrecv:
      return 1.0;
  }
  return 1.0;
}

bool is_reduction(collective op) {
  return op == collective::allreduce || op == collective::reduce || op == collective::reduce_scatter;
}

std::size_t minimum_bytes(collective op, element_type dtype, int ranks) {
  return element_size(dtype) * (is_chunked(op) ? static_cast<std::size_t>(ranks) : 1);
}

std::optional<collective_layout> layout_for_bytes(collective op, element_type dtype,
                                                  std::size_t requested_bytes, int ranks, int root,
                                                  std::string* why_not) {
  if (ranks < 1) throw std::invalid_argument("layout_for_bytes: ranks must be at least 1");
  const std::size_t minimum = minimum_bytes(op, dtype, ranks);
  if (requested_bytes < minimum) {
    if (why_not)
      *why_not =
          is_chunked(op)
              ? fmt::format("{} B of {} cannot give one element to each of {} ranks ({} needs at least {} B)",
                            requested_bytes, to_string(dtype), ranks, to_string(op), minimum)
              : fmt::format("{} B cannot hold one {} element ({} B)", requested_bytes, to_string(dtype),
                            minimum);
    return std::nullopt;
  }
  collective_layout layout;
  layout.op = op;
  layout.dtype = dtype;
  layout.ranks = ranks;
  layout.root = root;
  const auto n = static_cast<std::size_t>(ranks);
  if (is_chunked(op)) {
    // nccl-tests rounds to whole chunks (and to multiples of 4 elements, which we do not need on the host).
    layout.chunk_count = requested_bytes / (element_size(dtype) * n);
    const std::size_t whole = layout.chunk_count * n;
    layout.send_count = op == collective::allgather ? layout.chunk_count : whole;
    layout.recv_count = op == collective::reduce_scatter ? layout.chunk_count : whole;
    layout.bytes = whole * element_size(dtype);
  } else {
    layout.chunk_count = requested_bytes / element_size(dtype);
    layout.send_count = layout.recv_count = layout.chunk_count;
    layout.bytes = layout.chunk_count * element_size(dtype);
  }
  return layout;
}

double algorithm_bandwidth_gbps(std::size_t bytes, double time_s) {
  return static_cast<double>(bytes) / time_s / 1e9;
}

double bus_bandwidth_gbps(collective op, int ranks, std::size_t bytes, double time_s) {
  return algorithm_bandwidth_gbps(bytes, time_s) * bus_bandwidth_factor(op, ranks);
}

double input_value(collective op, int rank, std::size_t index) {
  return (is_reduction(op) ? reduction_weight(rank) : moving_weight(rank)) * index_pattern(index);
}

double input_value(const collective_layout& layout, int rank, std::size_t index) {
  if (!is_narrow(layout.dtype)) return input_value(layout.op, rank, index);
  return is_reduction(layout.op) ? narrow_reduction_input(layout.dtype, layout.ranks, rank, index)
                                 : narrow_moving_input(layout.dtype, rank, index);
}

in_place_placement placement_in_place(const collective_layout& layout, int rank, bool result_at_chunk_zero) {
  in_place_placement placement;
  placement.buffer_count = std::max(layout.send_count, layout.recv_count);
  const std::size_t rank_chunk = static_cast<std::size_t>(rank) * layout.chunk_count;
  if (layout.op == collective::allgather) placement.input_offset = rank_chunk;
  if (layout.op == collective::reduce_scatter && !result_at_chunk_zero) placement.output_offset = rank_chunk;
  return placement;
}

bool output_is_defined(const collective_layout& layout, int rank) {
  return layout.op != collective::reduce || rank == layout.root;
}

double expected_output(const collective_layout& layout, int rank, std::size_t index) {
  const std::size_t chunk = layout.chunk_count;
  // The sum over ranks of element `global` of every rank's send buffer, in closed form.
  const auto reduced = [&](std::size_t global) {
    return is_narrow(layout.dtype) ? narrow_reduction_sum(layout.dtype, layout.ranks, global)
                                   : reduction_weight_sum(layout.ranks) * index_pattern(global);
  };
  switch (layout.op) {
    case collective::allreduce:
    case collective::reduce:
      return reduced(index);
    case collective::reduce_scatter:
      // Rank r receives the sum of every rank's chunk r.
      return reduced(static_cast<std::size_t>(rank) * chunk + index);
    case collective::allgather:
      // Chunk s of the output is rank s's whole send buffer.
      return input_value(layout, static_cast<int>(index / chunk), index % chunk);
    case collective::alltoall: {
      // Chunk s of rank r's output is chunk r of rank s's send buffer.
      const auto source = static_cast<int>(index / chunk);
      return input_value(layout, source, static_cast<std::size_t>(rank) * chunk + index % chunk);
    }
    case collective::broadcast:
      return input_value(layout, layout.root, index);
    case collective::sendrecv:
      // nccl-tests' ring: every rank sends to rank + 1 and receives from rank − 1.
      return input_value(layout, (rank - 1 + layout.ranks) % layout.ranks, index);
  }
  return 0;
}

std::optional<output_mismatch> find_output_mismatch(const collective_layout& layout, int rank,
                                                    std::span<const double> got) {
  if (!output_is_defined(layout, rank)) return std::nullopt;
  std::optional<output_mismatch> first;
  std::size_t wrong = 0;
  const std::size_t checked = std::min(got.size(), layout.recv_count);
  for (std::size_t i = 0; i < checked; ++i) {
    const double expected = expected_output(layout, rank, i);
    // Exact comparison: every expected value is an integer within exact_integer_limit, exactly representable
    // and exactly summed.
    if (got[i] != expected) {
      if (!first) first = output_mismatch{i, expected, got[i], 0};
      ++wrong;
    }
  }
  if (got.size() != layout.recv_count) {
    // A backend that returned too few or too many elements is wrong at the first missing/extra index.
    if (!first)
      first = output_mismatch{
          checked, checked < layout.recv_count ? expected_output(layout, rank, checked) : 0, poison_value, 0};
    wrong += got.size() > layout.recv_count ? got.size() - layout.recv_count : layout.recv_count - got.size();
  }
  if (first) first->wrong_elements = wrong;
  return first;
}

std::vector<double> make_inputs(const collective_layout& layout, int rank) {
  std::vector<double> values(layout.send_count);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = input_value(layout, rank, i);
  return values;
}

}  // namespace exacheck::collectives
