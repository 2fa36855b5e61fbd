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
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace exacheck::collectives {

enum class collective { allreduce, allgather, reduce_scatter, broadcast, reduce, alltoall, sendrecv };
enum class element_type { int32, fp32, fp64 };

std::string_view to_string(collective value);
std::optional<collective> collective_from_string(std::string_view text);
std::string_view to_string(element_type value);
std::optional<element_type> element_type_from_string(std::string_view text);
std::size_t element_size(element_type value);  // bytes
const std::vector<collective>& all_collectives();

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
};

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

// Inputs with an exactly known result. Element i of rank r's send buffer is weight(r) · (1 + i mod 7), with
// weight(r) = r + 1 for the moving collectives (each value names its source rank) and 1 + (r mod 16) for the
// reductions, so every partial sum stays an integer below 2^24 (exact in fp32) up to ~150,000 ranks.
double input_value(collective op, int rank, std::size_t index);

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
