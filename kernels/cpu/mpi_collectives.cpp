#include "kernels/cpu/mpi_collectives.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <stdexcept>

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
  }
  throw std::invalid_argument("mpi_collectives: unknown element type");
}

// Host buffers hold the dtype's bytes; conversions go through memcpy so no alignment or aliasing is assumed.
template <typename T>
void store_as(std::vector<std::byte>& buffer, std::span<const double> values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    const T value = static_cast<T>(values[i]);
    std::memcpy(buffer.data() + i * sizeof(T), &value, sizeof(T));
  }
}

template <typename T>
std::vector<double> load_as(const std::vector<std::byte>& buffer) {
  std::vector<double> values(buffer.size() / sizeof(T));
  for (std::size_t i = 0; i < values.size(); ++i) {
    T value;
    std::memcpy(&value, buffer.data() + i * sizeof(T), sizeof(T));
    values[i] = static_cast<double>(value);
  }
  return values;
}

void store(element_type dtype, std::vector<std::byte>& buffer, std::span<const double> values) {
  switch (dtype) {
    case element_type::int32:
      return store_as<std::int32_t>(buffer, values);
    case element_type::fp32:
      return store_as<float>(buffer, values);
    case element_type::fp64:
      return store_as<double>(buffer, values);
  }
}

std::vector<double> load(element_type dtype, const std::vector<std::byte>& buffer) {
  switch (dtype) {
    case element_type::int32:
      return load_as<std::int32_t>(buffer);
    case element_type::fp32:
      return load_as<float>(buffer);
    case element_type::fp64:
      return load_as<double>(buffer);
  }
  return {};
}

int as_count(std::size_t count) {
  return static_cast<int>(count);
}  // bounded by max_elements() in prepare

}  // namespace

void check_mpi(int status, const char* call, const char* file, int line) {
  if (status == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  MPI_Error_string(status, text, &length);
  int rank = -1, initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  throw std::runtime_error(fmt::format("{} failed at {}:{} on {} rank {}: {}", call, file, line, host, rank,
                                       std::string(text, static_cast<std::size_t>(length))));
}

mpi_collective_backend::mpi_collective_backend(MPI_Comm comm) {
  EXACHECK_COLLECTIVES_MPI(MPI_Comm_dup(comm, &m_comm));
  EXACHECK_COLLECTIVES_MPI(MPI_Comm_set_errhandler(m_comm, MPI_ERRORS_RETURN));
  EXACHECK_COLLECTIVES_MPI(MPI_Comm_rank(m_comm, &m_rank));
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

void mpi_collective_backend::prepare(const collective_layout& layout) {
  if (layout.send_count > max_elements() || layout.recv_count > max_elements())
    throw std::length_error(fmt::format("mpi_collectives: {} elements exceed MPI's int count",
                                        std::max(layout.send_count, layout.recv_count)));
  int ranks = 0;
  EXACHECK_COLLECTIVES_MPI(MPI_Comm_size(m_comm, &ranks));
  if (layout.ranks != ranks)
    throw std::invalid_argument(
        fmt::format("mpi_collectives: layout for {} ranks on a communicator of {}", layout.ranks, ranks));
  m_layout = layout;
  m_type = mpi_type(layout.dtype);
  const std::size_t size = element_size(layout.dtype);
  // Broadcast works on one buffer (the receive buffer); its send buffer stays empty.
  m_send.assign(layout.op == collective::broadcast ? 0 : layout.send_count * size, std::byte{0});
  m_recv.assign(layout.recv_count * size, std::byte{0});
  m_prepared = true;
}

void mpi_collective_backend::write_input(std::span<const double> values) {
  auto& target = m_layout.op == collective::broadcast ? m_recv : m_send;
  if (values.size() * element_size(m_layout.dtype) != target.size())
    throw std::invalid_argument(fmt::format("mpi_collectives: write_input got {} values for a buffer of {}",
                                            values.size(), target.size() / element_size(m_layout.dtype)));
  store(m_layout.dtype, target, values);
}

void mpi_collective_backend::fill_output(double value) {
  const std::vector<double> values(m_layout.recv_count, value);
  store(m_layout.dtype, m_recv, values);
}

std::vector<double> mpi_collective_backend::read_output() {
  return load(m_layout.dtype, m_recv);
}

void mpi_collective_backend::run() {
  if (!m_prepared) throw std::logic_error("mpi_collectives: run() before prepare()");
  const collective_layout& l = m_layout;
  void* send = m_send.data();
  void* recv = m_recv.data();
  const int count = as_count(l.send_count);
  const int chunk = as_count(l.chunk_count);
  switch (l.op) {
    case collective::allreduce:
      EXACHECK_COLLECTIVES_MPI(MPI_Allreduce(send, recv, count, m_type, MPI_SUM, m_comm));
      break;
    case collective::reduce:
      EXACHECK_COLLECTIVES_MPI(MPI_Reduce(send, recv, count, m_type, MPI_SUM, l.root, m_comm));
      break;
    case collective::allgather:
      EXACHECK_COLLECTIVES_MPI(MPI_Allgather(send, chunk, m_type, recv, chunk, m_type, m_comm));
      break;
    case collective::reduce_scatter:
      EXACHECK_COLLECTIVES_MPI(MPI_Reduce_scatter_block(send, recv, chunk, m_type, MPI_SUM, m_comm));
      break;
    case collective::broadcast:
      EXACHECK_COLLECTIVES_MPI(MPI_Bcast(recv, as_count(l.recv_count), m_type, l.root, m_comm));
      break;
    case collective::alltoall:
      EXACHECK_COLLECTIVES_MPI(MPI_Alltoall(send, chunk, m_type, recv, chunk, m_type, m_comm));
      break;
    case collective::sendrecv: {
      // nccl-tests' ring pattern: send to the next rank, receive from the previous one.
      const int next = (m_rank + 1) % l.ranks, previous = (m_rank - 1 + l.ranks) % l.ranks;
      EXACHECK_COLLECTIVES_MPI(MPI_Sendrecv(send, count, m_type, next, 0, recv, count, m_type, previous, 0,
                                            m_comm, MPI_STATUS_IGNORE));
      break;
    }
  }
}

}  // namespace exacheck::collectives
