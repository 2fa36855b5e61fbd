#include "kernels/cpu/mpi_collectives.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>

#include "harness/node/mpi_check.hpp"

namespace exacheck::collectives {
namespace {

MPI_Datatype mpi_type(element_type dtype) {
  switch (dtype) {
    case element_type::int32:
      return MPI_INT32_T;
    case element_type::fp32:
      return MPI_FLOAT;
    case element_type::fp64:
      return MPI_DOUBLE;
    default:
      break;  // the narrow types: refused by cannot_run
  }
  throw std::invalid_argument(
      fmt::format("mpi_collectives: dtype '{}' has no MPI type here", collectives::to_string(dtype)));
}

// Host buffers hold the dtype's bytes; conversions go through memcpy so no alignment or aliasing is assumed.
template <typename T>
void store_as(std::byte* target, std::span<const double> values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    const T value = static_cast<T>(values[i]);
    std::memcpy(target + i * sizeof(T), &value, sizeof(T));
  }
}

template <typename T>
std::vector<double> load_as(const std::byte* source, std::size_t count) {
  std::vector<double> values(count);
  for (std::size_t i = 0; i < count; ++i) {
    T value;
    std::memcpy(&value, source + i * sizeof(T), sizeof(T));
    values[i] = static_cast<double>(value);
  }
  return values;
}

void store(element_type dtype, std::byte* target, std::span<const double> values) {
  switch (dtype) {
    case element_type::int32:
      return store_as<std::int32_t>(target, values);
    case element_type::fp32:
      return store_as<float>(target, values);
    case element_type::fp64:
      return store_as<double>(target, values);
    default:
      throw std::invalid_argument("mpi_collectives: store of a dtype without an MPI type");
  }
}

std::vector<double> load(element_type dtype, const std::byte* source, std::size_t count) {
  switch (dtype) {
    case element_type::int32:
      return load_as<std::int32_t>(source, count);
    case element_type::fp32:
      return load_as<float>(source, count);
    case element_type::fp64:
      return load_as<double>(source, count);
    default:
      throw std::invalid_argument("mpi_collectives: load of a dtype without an MPI type");
  }
}

int as_count(std::size_t count) {
  return static_cast<int>(count);
}  // bounded by max_elements() in prepare

}  // namespace

mpi_collective_backend::mpi_collective_backend(MPI_Comm comm) {
  EXACHECK_MPI(MPI_Comm_dup(comm, &m_comm));
  EXACHECK_MPI(MPI_Comm_set_errhandler(m_comm, MPI_ERRORS_RETURN));
  EXACHECK_MPI(MPI_Comm_rank(m_comm, &m_rank));
}

mpi_collective_backend::~mpi_collective_backend() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (m_comm != MPI_COMM_NULL && !finalized) MPI_Comm_free(&m_comm);
}

std::string mpi_collective_backend::library_version() const {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string version(text, static_cast<std::size_t>(length));
  // "Open MPI v4.1.4, package: …": keep the name and version.
  if (const auto comma = version.find(','); comma != std::string::npos) version.resize(comma);
  return version;
}

std::size_t mpi_collective_backend::max_elements() const {
  return static_cast<std::size_t>(INT_MAX);
}

std::optional<std::string> mpi_collective_backend::cannot_run(const collective_layout& layout) const {
  // MPI has no 16- or 8-bit floating-point types and no MPI_SUM for them; a user-defined operation would be
  // our own arithmetic, not the library's, so these points are skipped rather than emulated.
  if (is_narrow(layout.dtype))
    return fmt::format("the cpu backend (MPI) has no {} type or sum: run {} on the cuda backend (NCCL)",
                       to_string(layout.dtype), to_string(layout.dtype));
  return std::nullopt;
}

std::vector<std::string> mpi_collective_backend::notes(const collective_layout& layout) const {
  if (layout.op == collective::broadcast && !layout.in_place)
    return {
        "MPI_Bcast has no out-of-place form: broadcast ran in place on one buffer (as with in_place: true)"};
  return {};
}

void mpi_collective_backend::prepare(const collective_layout& layout) {
  if (layout.send_count > max_elements() || layout.recv_count > max_elements())
    throw std::length_error(fmt::format("mpi_collectives: {} elements exceed MPI's int count",
                                        std::max(layout.send_count, layout.recv_count)));
  int ranks = 0;
  EXACHECK_MPI(MPI_Comm_size(m_comm, &ranks));
  if (layout.ranks != ranks)
    throw std::invalid_argument(
        fmt::format("mpi_collectives: layout for {} ranks on a communicator of {}", layout.ranks, ranks));
  m_prepared = false;
  m_type = mpi_type(layout.dtype);
  m_layout = layout;
  const std::size_t size = element_size(layout.dtype);
  // Broadcast works on one buffer (the receive buffer) whatever in_place says; in place, every collective
  // does, laid out as MPI_IN_PLACE wants it (reduce_scatter's result in chunk 0). The send buffer then stays
  // empty.
  m_one_buffer = layout.in_place || layout.op == collective::broadcast;
  m_placement = layout.in_place ? placement_in_place(layout, m_rank, /*result_at_chunk_zero=*/true)
                                : in_place_placement{layout.recv_count, 0, 0};
  const std::size_t send_bytes = m_one_buffer ? 0 : layout.send_count * size;
  const std::size_t recv_bytes = m_placement.buffer_count * size;
  try {
    m_send.assign(send_bytes, std::byte{0});
    m_recv.assign(recv_bytes, std::byte{0});
  } catch (const std::bad_alloc&) {
    m_send.clear();
    m_recv.clear();
    throw std::runtime_error(fmt::format(
        "mpi_collectives: cannot allocate the buffers ({} B to send, {} B to receive): out of memory",
        send_bytes, recv_bytes));
  }
  m_prepared = true;
}

void mpi_collective_backend::write_input(std::span<const double> values) {
  if (!m_prepared) throw std::logic_error("mpi_collectives: write_input() before prepare()");
  if (values.size() != m_layout.send_count)
    throw std::invalid_argument(fmt::format("mpi_collectives: write_input got {} values for an input of {}",
                                            values.size(), m_layout.send_count));
  std::byte* target =
      m_one_buffer ? m_recv.data() + m_placement.input_offset * element_size(m_layout.dtype) : m_send.data();
  store(m_layout.dtype, target, values);
}

void mpi_collective_backend::fill_output(double value) {
  if (!m_prepared) throw std::logic_error("mpi_collectives: fill_output() before prepare()");
  const std::vector<double> values(m_placement.buffer_count, value);
  store(m_layout.dtype, m_recv.data(), values);
}

std::vector<double> mpi_collective_backend::read_output() {
  if (!m_prepared) throw std::logic_error("mpi_collectives: read_output() before prepare()");
  return load(m_layout.dtype, m_recv.data() + m_placement.output_offset * element_size(m_layout.dtype),
              m_layout.recv_count);
}

void mpi_collective_backend::run() {
  if (!m_prepared) throw std::logic_error("mpi_collectives: run() before prepare()");
  if (m_layout.in_place) return run_in_place();
  const collective_layout& l = m_layout;
  void* send = m_send.data();
  void* recv = m_recv.data();
  const int count = as_count(l.send_count);
  const int chunk = as_count(l.chunk_count);
  switch (l.op) {
    case collective::allreduce:
      EXACHECK_MPI(MPI_Allreduce(send, recv, count, m_type, MPI_SUM, m_comm));
      break;
    case collective::reduce:
      EXACHECK_MPI(MPI_Reduce(send, recv, count, m_type, MPI_SUM, l.root, m_comm));
      break;
    case collective::allgather:
      EXACHECK_MPI(MPI_Allgather(send, chunk, m_type, recv, chunk, m_type, m_comm));
      break;
    case collective::reduce_scatter:
      EXACHECK_MPI(MPI_Reduce_scatter_block(send, recv, chunk, m_type, MPI_SUM, m_comm));
      break;
    case collective::broadcast:
      EXACHECK_MPI(MPI_Bcast(recv, as_count(l.recv_count), m_type, l.root, m_comm));
      break;
    case collective::alltoall:
      EXACHECK_MPI(MPI_Alltoall(send, chunk, m_type, recv, chunk, m_type, m_comm));
      break;
    case collective::sendrecv: {
      // nccl-tests' ring pattern: send to the next rank, receive from the previous one.
      const int next = (m_rank + 1) % l.ranks, previous = (m_rank - 1 + l.ranks) % l.ranks;
      EXACHECK_MPI(MPI_Sendrecv(send, count, m_type, next, 0, recv, count, m_type, previous, 0, m_comm,
                                MPI_STATUS_IGNORE));
      break;
    }
  }
}

// No device: the host clock around the blocking calls; MPI has no graphs (the suite warns that the option is
// ignored).
batch_time mpi_collective_backend::time_batch(int calls, bool /*graph*/) {
  return time_on_host(calls, [this] { run(); });
}

// MPI_IN_PLACE forms (MPI 4.0 §6): the one buffer is the receive buffer; reduce's non-roots send from it.
void mpi_collective_backend::run_in_place() {
  const collective_layout& l = m_layout;
  void* buffer = m_recv.data();
  const int count = as_count(l.send_count);
  const int chunk = as_count(l.chunk_count);
  switch (l.op) {
    case collective::allreduce:
      EXACHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, buffer, count, m_type, MPI_SUM, m_comm));
      break;
    case collective::reduce:
      if (m_rank == l.root)
        EXACHECK_MPI(MPI_Reduce(MPI_IN_PLACE, buffer, count, m_type, MPI_SUM, l.root, m_comm));
      else
        EXACHECK_MPI(MPI_Reduce(buffer, nullptr, count, m_type, MPI_SUM, l.root, m_comm));
      break;
    case collective::allgather:
      EXACHECK_MPI(MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buffer, chunk, m_type, m_comm));
      break;
    case collective::reduce_scatter:
      EXACHECK_MPI(MPI_Reduce_scatter_block(MPI_IN_PLACE, buffer, chunk, m_type, MPI_SUM, m_comm));
      break;
    case collective::broadcast:
      EXACHECK_MPI(MPI_Bcast(buffer, as_count(l.recv_count), m_type, l.root, m_comm));
      break;
    case collective::alltoall:
      EXACHECK_MPI(MPI_Alltoall(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buffer, chunk, m_type, m_comm));
      break;
    case collective::sendrecv: {
      const int next = (m_rank + 1) % l.ranks, previous = (m_rank - 1 + l.ranks) % l.ranks;
      EXACHECK_MPI(
          MPI_Sendrecv_replace(buffer, count, m_type, next, 0, previous, 0, m_comm, MPI_STATUS_IGNORE));
      break;
    }
  }
}

}  // namespace exacheck::collectives
