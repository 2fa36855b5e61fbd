// The CUDA backend of the collectives: NCCL on device buffers of the calling rank's current device (the
// worker has selected it with cudaSetDevice), one NCCL communicator over the run's MPI communicator, one
// stream.
//
// NCCL with one rank works: every collective, and send/receive to oneself inside a group, run on a single
// GPU, so single-GPU nodes get the same benchmarks (busbw is then not reported: its factor is 0 or nothing
// crosses a bus; see collective_formulas.hpp).
//
// Blocking contract (collective_backend.hpp): run() enqueues the collective on the stream and waits for it
// the way nccl-tests does (testStreamSynchronize): polling cudaStreamQuery and ncclCommGetAsyncError, so a
// failed peer or network surfaces as an error naming NCCL's reason instead of a wait that never ends (the
// controller's time-out stays the last resort). A steady clock around run() times one call, launch included.
//
// Everything that could fail on one rank alone before the ranks meet in an NCCL call (stream, unique id,
// device memory) is agreed on over MPI first, so a rank that cannot go on makes every rank throw instead of
// leaving its peers waiting in NCCL.
#include <cuda_runtime.h>
#include <fmt/core.h>
#include <mpi.h>
#include <nccl.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cpu/mpi_collectives.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda_backend.hpp"

namespace exacheck::cuda {
namespace {

using collectives::collective;
using collectives::collective_layout;
using collectives::element_type;

struct device_free {
  void operator()(void* pointer) const noexcept { cudaFree(pointer); }  // no throwing from a destructor
};
struct stream_destroy {
  void operator()(cudaStream_t stream) const noexcept { cudaStreamDestroy(stream); }
};
using device_buffer = std::unique_ptr<void, device_free>;
using owned_stream = std::unique_ptr<std::remove_pointer_t<cudaStream_t>, stream_destroy>;

// The backend's duplicate of the run's communicator, freed even when the constructor throws.
struct owned_mpi_comm {
  MPI_Comm comm = MPI_COMM_NULL;
  owned_mpi_comm() = default;
  ~owned_mpi_comm() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (comm != MPI_COMM_NULL && !finalized) MPI_Comm_free(&comm);
  }
  owned_mpi_comm(const owned_mpi_comm&) = delete;
  owned_mpi_comm& operator=(const owned_mpi_comm&) = delete;
};

ncclDataType_t nccl_type(element_type dtype) {
  switch (dtype) {
    case element_type::int32:
      return ncclInt32;
    case element_type::fp32:
      return ncclFloat32;
    case element_type::fp64:
      return ncclFloat64;
  }
  // A dtype added to collective_formulas.hpp reaches here until it is mapped above.
  throw std::invalid_argument(fmt::format("nccl_collectives: dtype '{}' is not supported by the NCCL backend",
                                          collectives::to_string(dtype)));
}

// ncclGroupStart … ncclGroupEnd; a throw inside the group still closes it (NCCL then drops the partial
// group).
class nccl_group {
 public:
  nccl_group() { EXACHECK_NCCL(ncclGroupStart()); }
  ~nccl_group() {
    if (m_open) ncclGroupEnd();
  }
  // Closing the group is the call that launches its operations: one owner closes it once.
  nccl_group(const nccl_group&) = delete;
  nccl_group& operator=(const nccl_group&) = delete;
  void end() {
    m_open = false;
    EXACHECK_NCCL(ncclGroupEnd());
  }

 private:
  bool m_open = true;
};

template <typename T>
std::vector<T> narrow_to(std::span<const double> values) {
  std::vector<T> narrow(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) narrow[i] = static_cast<T>(values[i]);
  return narrow;
}

class nccl_collective_backend final : public collectives::collective_backend {
 public:
  // Collective over `comm`: every rank constructs it together (ncclCommInitRank joins all ranks).
  explicit nccl_collective_backend(MPI_Comm comm) {
    // A duplicate, as the MPI backend has: the backend's agreements never match the harness's own messages.
    EXACHECK_COLLECTIVES_MPI(MPI_Comm_dup(comm, &m_mpi.comm));
    EXACHECK_COLLECTIVES_MPI(MPI_Comm_set_errhandler(m_mpi.comm, MPI_ERRORS_RETURN));
    EXACHECK_COLLECTIVES_MPI(MPI_Comm_rank(m_mpi.comm, &m_rank));
    EXACHECK_COLLECTIVES_MPI(MPI_Comm_size(m_mpi.comm, &m_ranks));
    ncclUniqueId id{};
    agree_or_throw([&] {
      cudaStream_t stream = nullptr;
      EXACHECK_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
      m_stream.reset(stream);
      if (m_rank == 0) EXACHECK_NCCL(ncclGetUniqueId(&id));
    });
    EXACHECK_COLLECTIVES_MPI(MPI_Bcast(&id, static_cast<int>(sizeof id), MPI_BYTE, 0, m_mpi.comm));
    EXACHECK_NCCL(ncclCommInitRank(&m_comm, m_ranks, id, m_rank));
    m_uncaught_at_construction = std::uncaught_exceptions();
  }

  // The NCCL communicator goes first (nothing is in flight: every call waited for its stream), then the
  // members release the buffers, the stream and the MPI communicator. ncclCommDestroy is the orderly end;
  // after an NCCL error, or while an exception unwinds the case (a peer may be gone), ncclCommAbort ends it
  // without waiting for anyone.
  ~nccl_collective_backend() override {
    if (m_comm != nullptr) {
      ncclResult_t async_error = ncclSuccess;
      const bool broken = ncclCommGetAsyncError(m_comm, &async_error) != ncclSuccess ||
                          (async_error != ncclSuccess && async_error != ncclInProgress) ||
                          std::uncaught_exceptions() > m_uncaught_at_construction;
      if (broken)
        ncclCommAbort(m_comm);
      else
        ncclCommDestroy(m_comm);
    }
  }
  // Owns an NCCL communicator, device memory, a stream and an MPI communicator: a copy would free them twice.
  nccl_collective_backend(const nccl_collective_backend&) = delete;
  nccl_collective_backend& operator=(const nccl_collective_backend&) = delete;

  std::string name() const override { return "nccl"; }

  std::string library_version() const override {
    int code = 0;
    EXACHECK_NCCL(ncclGetVersion(&code));
    // NCCL_VERSION_CODE: major·10000 + minor·100 + patch since 2.9, major·1000 + minor·100 + patch before.
    if (code >= 10000) return fmt::format("NCCL {}.{}.{}", code / 10000, code / 100 % 100, code % 100);
    return fmt::format("NCCL {}.{}.{}", code / 1000, code / 100 % 10, code % 100);
  }

  // NCCL counts are size_t; device memory is the real limit, and cudaMalloc says so in prepare. Bounded so
  // that count × element size cannot overflow for any dtype.
  std::size_t max_elements() const override { return std::numeric_limits<std::size_t>::max() / 16; }

  void prepare(const collective_layout& layout) override {
    m_prepared = false;
    if (layout.ranks != m_ranks)
      throw std::invalid_argument(fmt::format("nccl_collectives: layout for {} ranks on a communicator of {}",
                                              layout.ranks, m_ranks));
    m_type = nccl_type(layout.dtype);
    m_layout = layout;
    const std::size_t size = collectives::element_size(layout.dtype);
    // Broadcast works on one buffer (the receive buffer, in place), as MPI_Bcast does; its send buffer stays
    // empty. Reduce's receive buffer is allocated on every rank (the layout's recv_count) but written on the
    // root only. Buffers grow and are kept, so a sweep of rising sizes reallocates once per size at most.
    const std::size_t send_bytes = layout.op == collective::broadcast ? 0 : layout.send_count * size;
    const std::size_t recv_bytes = layout.recv_count * size;
    agree_or_throw([&] {
      reserve(m_send, m_send_capacity, send_bytes);
      reserve(m_recv, m_recv_capacity, recv_bytes);
    });
    m_prepared = true;
  }

  void write_input(std::span<const double> values) override {
    require_prepared("write_input");
    const bool broadcast = m_layout.op == collective::broadcast;
    const std::size_t count = broadcast ? m_layout.recv_count : m_layout.send_count;
    if (values.size() != count)
      throw std::invalid_argument(fmt::format(
          "nccl_collectives: write_input got {} values for a buffer of {}", values.size(), count));
    copy_to_device(broadcast ? m_recv.get() : m_send.get(), values);
  }

  void fill_output(double value) override {
    require_prepared("fill_output");
    const std::vector<double> values(m_layout.recv_count, value);
    copy_to_device(m_recv.get(), values);
  }

  std::vector<double> read_output() override {
    require_prepared("read_output");
    switch (m_layout.dtype) {
      case element_type::int32:
        return read_as<std::int32_t>();
      case element_type::fp32:
        return read_as<float>();
      case element_type::fp64:
        return read_as<double>();
    }
    throw std::logic_error("nccl_collectives: read_output of an unmapped dtype");
  }

  void run() override {
    require_prepared("run");
    enqueue();
    wait_for_stream();
  }

 private:
  // Runs `step` on this rank, then every rank learns whether all succeeded; a failing rank throws its own
  // error, the others throw one that points at it.
  void agree_or_throw(const std::function<void()>& step) {
    std::string error;
    try {
      step();
    } catch (const std::exception& e) {
      error = e.what();
    }
    int ok = error.empty() ? 1 : 0, all_ok = 0, first_failed = m_ranks,
        mine = error.empty() ? m_ranks : m_rank;
    EXACHECK_COLLECTIVES_MPI(MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, m_mpi.comm));
    if (all_ok) return;
    EXACHECK_COLLECTIVES_MPI(MPI_Allreduce(&mine, &first_failed, 1, MPI_INT, MPI_MIN, m_mpi.comm));
    if (!error.empty()) throw device_error(error);
    throw device_error(fmt::format(
        "nccl_collectives: rank {} of the benchmark's communicator failed to set up (see its error); "
        "this rank stops with it",
        first_failed));
  }

  static void reserve(device_buffer& buffer, std::size_t& capacity, std::size_t bytes) {
    if (bytes <= capacity) return;
    buffer.reset();
    capacity = 0;
    void* pointer = nullptr;
    EXACHECK_CUDA(cudaMalloc(&pointer, bytes));
    buffer.reset(pointer);
    capacity = bytes;
  }

  void require_prepared(const char* what) const {
    if (!m_prepared) throw std::logic_error(fmt::format("nccl_collectives: {}() before prepare()", what));
  }

  // Narrows to the dtype on the host, then one copy on the stream (pageable memory: outside any timing).
  void copy_to_device(void* device, std::span<const double> values) {
    switch (m_layout.dtype) {
      case element_type::int32:
        return copy_narrowed(device, narrow_to<std::int32_t>(values));
      case element_type::fp32:
        return copy_narrowed(device, narrow_to<float>(values));
      case element_type::fp64:
        return copy_narrowed(device, std::vector<double>(values.begin(), values.end()));
    }
    throw std::logic_error("nccl_collectives: write of an unmapped dtype");
  }

  template <typename T>
  void copy_narrowed(void* device, const std::vector<T>& host) {
    EXACHECK_CUDA(cudaMemcpyAsync(device, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice,
                                  m_stream.get()));
    EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));
  }

  template <typename T>
  std::vector<double> read_as() {
    std::vector<T> host(m_layout.recv_count);
    EXACHECK_CUDA(cudaMemcpyAsync(host.data(), m_recv.get(), host.size() * sizeof(T), cudaMemcpyDeviceToHost,
                                  m_stream.get()));
    EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));
    return std::vector<double>(host.begin(), host.end());
  }

  void enqueue() {
    const collective_layout& l = m_layout;
    const void* send = m_send.get();
    void* recv = m_recv.get();
    cudaStream_t stream = m_stream.get();
    switch (l.op) {
      case collective::allreduce:
        EXACHECK_NCCL(ncclAllReduce(send, recv, l.send_count, m_type, ncclSum, m_comm, stream));
        return;
      case collective::reduce:
        EXACHECK_NCCL(ncclReduce(send, recv, l.send_count, m_type, ncclSum, l.root, m_comm, stream));
        return;
      case collective::allgather:
        EXACHECK_NCCL(ncclAllGather(send, recv, l.chunk_count, m_type, m_comm, stream));
        return;
      case collective::reduce_scatter:
        EXACHECK_NCCL(ncclReduceScatter(send, recv, l.chunk_count, m_type, ncclSum, m_comm, stream));
        return;
      case collective::broadcast:
        // In place on the one buffer (sendbuff == recvbuff), like MPI_Bcast.
        EXACHECK_NCCL(ncclBroadcast(recv, recv, l.recv_count, m_type, l.root, m_comm, stream));
        return;
      case collective::alltoall: {
        // nccl-tests' alltoall: one send and one receive per peer (itself included) in one group. Not
        // ncclAlltoAll: that arrived in NCCL 2.28, and the binary must load against the NCCL a node has.
        const std::size_t chunk_bytes = l.chunk_count * collectives::element_size(l.dtype);
        const auto* send_bytes = static_cast<const std::byte*>(send);
        auto* recv_bytes = static_cast<std::byte*>(recv);
        nccl_group group;
        for (int peer = 0; peer < l.ranks; ++peer) {
          const std::size_t offset = static_cast<std::size_t>(peer) * chunk_bytes;
          EXACHECK_NCCL(ncclSend(send_bytes + offset, l.chunk_count, m_type, peer, m_comm, stream));
          EXACHECK_NCCL(ncclRecv(recv_bytes + offset, l.chunk_count, m_type, peer, m_comm, stream));
        }
        group.end();
        return;
      }
      case collective::sendrecv: {
        // nccl-tests' ring pattern: send to the next rank, receive from the previous one (oneself on 1 rank).
        const int next = (m_rank + 1) % l.ranks, previous = (m_rank - 1 + l.ranks) % l.ranks;
        nccl_group group;
        EXACHECK_NCCL(ncclSend(send, l.send_count, m_type, next, m_comm, stream));
        EXACHECK_NCCL(ncclRecv(recv, l.recv_count, m_type, previous, m_comm, stream));
        group.end();
        return;
      }
    }
    throw std::logic_error("nccl_collectives: unknown collective");
  }

  // nccl-tests' testStreamSynchronize: spin on the stream, and check NCCL's asynchronous error meanwhile.
  void wait_for_stream() {
    for (;;) {
      const cudaError_t status = cudaStreamQuery(m_stream.get());
      if (status == cudaSuccess) return;
      if (status != cudaErrorNotReady) EXACHECK_CUDA(status);
      ncclResult_t async_error = ncclSuccess;
      EXACHECK_NCCL(ncclCommGetAsyncError(m_comm, &async_error));
      if (async_error != ncclSuccess && async_error != ncclInProgress)
        throw_device_error("NCCL", "ncclCommGetAsyncError (while waiting for the collective)",
                           ncclGetErrorString(async_error), __FILE__, __LINE__);
    }
  }

  owned_mpi_comm m_mpi;  // first: released last
  int m_rank = 0;
  int m_ranks = 1;
  int m_uncaught_at_construction = 0;
  owned_stream m_stream;
  device_buffer m_send, m_recv;
  std::size_t m_send_capacity = 0, m_recv_capacity = 0;
  ncclComm_t m_comm = nullptr;
  collective_layout m_layout;
  ncclDataType_t m_type = ncclFloat32;
  bool m_prepared = false;
};

}  // namespace

std::unique_ptr<collectives::collective_backend> make_collective_backend(const run_context& ctx) {
  return std::make_unique<nccl_collective_backend>(ctx.comm);
}

}  // namespace exacheck::cuda
