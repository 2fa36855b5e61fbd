#pragma once
// The collectives' accounting as pure functions: which buffers a size means, the bus-bandwidth factors, and
// the inputs whose exact result is known. Everything here follows nccl-tests (doc/PERFORMANCE.md and the
// *GetCollByteCount / *GetBw functions of src/*.cu) so figures compare one to one with nccl-tests output.
//
// What `size` (our `bytes`, nccl-tests' "size" column, the numerator of algbw) means per collective, with n
// ranks:
//   allreduce, reduce, broadcast, sendrecv: the bytes of one rank's buffer (count elements each way);
//   allgather:      the gathered output of each rank (n chunks; each rank sends one chunk of size / n);
//   reduce_scatter: the input of each rank (n chunks; each rank receives one chunk of size / n);
//   alltoall:       each rank's send buffer (n chunks, one for each peer; the receive buffer is the same
//   size).
// algbw = size / time (GB = 1e9 B); busbw = algbw × bus_bandwidth_factor(collective, n).
#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/enum_names.hpp"

namespace exacheck::collectives {

enum class collective { allreduce, allgather, reduce_scatter, broadcast, reduce, alltoall, sendrecv };
// The wide types hold every input and result of the default scheme exactly; the narrow ones (bf16, fp16 and
// the two OCP fp8 formats) get a scheme of their own (see input_value below).
enum class element_type { int32, fp32, fp64, bf16, fp16, fp8_e4m3, fp8_e5m2 };

// In the order `exacheck list` and all_collectives() give them.
inline constexpr std::array<enum_name<collective>, 7> collective_names{{
    {collective::allreduce, "allreduce"},
    {collective::allgather, "allgather"},
    {collective::reduce_scatter, "reduce_scatter"},
    {collective::broadcast, "broadcast"},
    {collective::reduce, "reduce"},
    {collective::alltoall, "alltoall"},
    {collective::sendrecv, "sendrecv"},
}};
inline constexpr std::array<enum_name<element_type>, 7> element_type_names{{
    {element_type::int32, "int32"},
    {element_type::fp32, "fp32"},
    {element_type::fp64, "fp64"},
    {element_type::bf16, "bf16"},
    {element_type::fp16, "fp16"},
    {element_type::fp8_e4m3, "fp8_e4m3"},
    {element_type::fp8_e5m2, "fp8_e5m2"},
}};

std::string_view to_string(collective value);
std::optional<collective> collective_from_string(std::string_view text);
std::string_view to_string(element_type value);
std::optional<element_type> element_type_from_string(std::string_view text);
std::size_t element_size(element_type value);  // bytes
const std::vector<collective>& all_collectives();
const std::vector<element_type>& all_element_types();
// bf16, fp16, fp8_e4m3, fp8_e5m2: the types whose inputs follow the narrow scheme.
bool is_narrow(element_type value);
// The largest L such that every integer 0..L is exact in the type: 2^24 fp32, 2^53 fp64, 2^31 − 1 int32,
// 256 bf16 (8 significant bits), 2048 fp16 (11), 16 fp8_e4m3 (4), 8 fp8_e5m2 (3).
double exact_integer_limit(element_type value);

// nccl-tests' factor: how much of the algorithm bandwidth each rank's link must carry for an optimal (ring)
// algorithm, which makes busbw comparable with the hardware's link bandwidth at any rank count:
//   allreduce 2(n−1)/n; allgather, reduce_scatter, alltoall (n−1)/n; broadcast, reduce, sendrecv 1.
// With one rank the reducing/gathering factors are 0: nothing crosses a bus.
double bus_bandwidth_factor(collective op, int ranks);

// Does the collective combine values (MPI_SUM) rather than move them?
bool is_reduction(collective op);

// One call of a collective at one size: element counts of each rank's buffers and the bytes algbw divides by.
struct collective_layout {
  collective op = collective::allreduce;
  element_type dtype = element_type::fp32;
  int ranks = 1;
  int root = 0;  // broadcast and reduce only
  std::size_t chunk_count =
      0;  // allgather/reduce_scatter/alltoall: elements per rank chunk; else = send_count
  std::size_t send_count = 0;  // elements in each rank's send buffer (broadcast: its one buffer)
  std::size_t recv_count = 0;  // elements in each rank's receive buffer (broadcast: the same buffer)
  std::size_t bytes = 0;       // nccl-tests' size (see the top of this file); what algbw divides by
  bool in_place = false;       // one buffer holds the input and receives the result (see in_place_placement)
};

// Where an in-place call's input and result lie in its one buffer (element offsets), nccl-tests' conventions:
// allgather's input is chunk `rank` of the output (recvbuff + rank·chunk); reduce_scatter's input is the
// whole buffer (n chunks) and its result chunk `rank` of it (NCCL, nccl-tests) or chunk 0 (MPI_IN_PLACE, pass
// result_at_chunk_zero); every other collective reads and writes the same elements from offset 0.
struct in_place_placement {
  std::size_t buffer_count = 0;   // elements of the one buffer
  std::size_t input_offset = 0;   // where write_input's send_count values go
  std::size_t output_offset = 0;  // where read_output's recv_count values come from
};
in_place_placement placement_in_place(const collective_layout& layout, int rank, bool result_at_chunk_zero);

// The layout for a requested size, rounded down to whole elements (and, for the chunked collectives, to whole
// chunks of one element or more per rank). nullopt when the size cannot hold one element (one per rank for
// the chunked collectives); `why_not` then says so.
std::optional<collective_layout> layout_for_bytes(collective op, element_type dtype,
                                                  std::size_t requested_bytes, int ranks, int root,
                                                  std::string* why_not = nullptr);

// Smallest size that gives a valid layout (element size, or element size × ranks for the chunked
// collectives).
std::size_t minimum_bytes(collective op, element_type dtype, int ranks);

double algorithm_bandwidth_gbps(std::size_t bytes, double time_s);  // bytes / time / 1e9
double bus_bandwidth_gbps(collective op, int ranks, std::size_t bytes, double time_s);

// Inputs with an exactly known result: every input and every partial sum, in any order, is an integer no
// larger than exact_integer_limit(dtype), so each is exact and any wrong element is caught.
// Wide types (int32, fp32, fp64): element i of rank r is weight(r) · (1 + i mod 7), with weight(r) = r + 1
// for the moving collectives (each value names its source rank) and 1 + (r mod 16) for the reductions, so
// every partial sum stays an integer below 2^24 (exact in fp32) up to ~150,000 ranks.
// Narrow types, moving collectives: 1 + ((7·r + i) mod L), L = exact_integer_limit (each value names its
// source rank modulo L and its index modulo L).
// Narrow types, reductions: element i has k = min(n, K) contributors, the ranks r whose window position
// d = (r − i) mod n is below k; each contributes (1 + d mod w) · (1 + i mod p), every other rank 0. The sum
// is (Σ_{d<k} 1 + d mod w) · (1 + i mod p) ≤ L whatever n is (narrow_reduction_scheme gives K, w, p).
double input_value(const collective_layout& layout, int rank, std::size_t index);
// The wide scheme alone (what input_value gives for int32, fp32 and fp64).
double input_value(collective op, int rank, std::size_t index);

struct narrow_reduction_scheme {
  int contributors = 1;    // K: at most this many ranks contribute a non-zero value to one element
  int weight_period = 1;   // w
  int pattern_period = 1;  // p
};
// K, w, p per narrow type: bf16 16, 4, 6 (sums ≤ 240); fp16 64, 4, 12 (≤ 1920); fp8_e4m3 2, 2, 5 (≤ 15);
// fp8_e5m2 2, 2, 2 (≤ 6). Throws std::invalid_argument for a wide type.
narrow_reduction_scheme narrow_scheme(element_type value);

// Whether rank `rank`'s receive buffer holds a defined result (reduce: only the root's).
bool output_is_defined(const collective_layout& layout, int rank);

// The exact value expected in rank `rank`'s receive buffer at `index`.
double expected_output(const collective_layout& layout, int rank, std::size_t index);

// A value no correct output contains (every expected value is positive): written to receive buffers before
// the run, so a collective that never wrote is caught.
inline constexpr double poison_value = -1.0;

// The first element of `got` that differs from expected_output, and how many differ.
struct output_mismatch {
  std::size_t index = 0;
  double expected = 0;
  double got = 0;
  std::size_t wrong_elements = 0;
};
std::optional<output_mismatch> find_output_mismatch(const collective_layout& layout, int rank,
                                                    std::span<const double> got);

// The input written to rank `rank`'s send buffer (layout.send_count values).
std::vector<double> make_inputs(const collective_layout& layout, int rank);

}  // namespace exacheck::collectives
