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
// controller's time-out stays the last resort). time_batch() times with CUDA events on the stream around the
// enqueued calls (each rank its own device time), or around the launch of a CUDA graph that holds them.
//
// In place (layout.in_place), nccl-tests' conventions (placement_in_place): one buffer; allgather's input at
// recvbuff + rank·chunk, reduce_scatter's result at sendbuff + rank·chunk, the others sendbuff == recvbuff.
// alltoall and sendrecv have no in-place form in NCCL (their sends and receives on one buffer race;
// nccl-tests times them unchecked), so those points are refused (SKIPPED) rather than timed unverified.
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
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "harness/node/mpi_check.hpp"
#include "kernels/cuda/cuda_backends.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/cuda_owners.hpp"
#include "kernels/cuda/nccl_element_types.hpp"

namespace exacheck::cuda {
namespace {

using namespace owners;
using collectives::collective;
using collectives::collective_layout;
using collectives::element_type;

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

class nccl_collective_backend final : public collectives::collective_backend {
 public:
  // Collective over `comm`: every rank constructs it together (ncclCommInitRank joins all ranks).
  explicit nccl_collective_backend(MPI_Comm comm) {
    // A duplicate, as the MPI backend has: the backend's agreements never match the harness's own messages.
    EXACHECK_MPI(MPI_Comm_dup(comm, &m_mpi.comm));
    EXACHECK_MPI(MPI_Comm_set_errhandler(m_mpi.comm, MPI_ERRORS_RETURN));
    EXACHECK_MPI(MPI_Comm_rank(m_mpi.comm, &m_rank));
    EXACHECK_MPI(MPI_Comm_size(m_mpi.comm, &m_ranks));
    ncclUniqueId id{};
    agree_or_throw([&] {
      cudaStream_t stream = nullptr;
      EXACHECK_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
      m_stream.reset(stream);
      m_start = make_timing_event();
      m_stop = make_timing_event();
      int device = 0;
      EXACHECK_CUDA(cudaGetDevice(&device));
      EXACHECK_CUDA(cudaDeviceGetAttribute(&m_cc_major, cudaDevAttrComputeCapabilityMajor, device));
      EXACHECK_CUDA(cudaDeviceGetAttribute(&m_cc_minor, cudaDevAttrComputeCapabilityMinor, device));
      EXACHECK_NCCL(ncclGetVersion(&m_nccl_code));
      if (m_rank == 0) EXACHECK_NCCL(ncclGetUniqueId(&id));
    });
    EXACHECK_MPI(MPI_Bcast(&id, static_cast<int>(sizeof id), MPI_BYTE, 0, m_mpi.comm));
    EXACHECK_NCCL(ncclCommInitRank(&m_comm, m_ranks, id, m_rank));
    m_uncaught_at_construction = std::uncaught_exceptions();
  }

  // The NCCL communicator goes first (nothing is in flight: every call waited for its stream), then the
  // members release the buffers, the stream and the MPI communicator. ncclCommDestroy is the orderly end;
  // after an NCCL error, or while an exception unwinds the case (a peer may be gone), ncclCommAbort ends it
  // without waiting for anyone.
  ~nccl_collective_backend() override {
    m_graphs.clear();  // graphs that hold NCCL work go before the communicator
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

  std::optional<std::string> cannot_run(const collective_layout& layout) const override {
    if (auto why = nccl_types::unsupported_reason(layout.dtype, m_nccl_code, m_cc_major, m_cc_minor))
      return why;
    if (layout.in_place && (layout.op == collective::alltoall || layout.op == collective::sendrecv))
      return fmt::format(
          "NCCL has no in-place {}: its sends and receives on one buffer race (nccl-tests times it "
          "unchecked)",
          collectives::to_string(layout.op));
    return std::nullopt;
  }

  bool supports_graphs() const override { return true; }

  void prepare(const collective_layout& layout) override {
    m_prepared = false;
    m_graphs.clear();  // they hold the previous layout's buffers and counts
    if (layout.ranks != m_ranks)
      throw std::invalid_argument(fmt::format("nccl_collectives: layout for {} ranks on a communicator of {}",
                                              layout.ranks, m_ranks));
    if (const auto why = cannot_run(layout)) throw std::invalid_argument("nccl_collectives: " + *why);
    m_type = *nccl_types::nccl_type(layout.dtype);
    m_layout = layout;
    const std::size_t size = collectives::element_size(layout.dtype);
    // In place, one buffer laid out as nccl-tests does; out of place a send and a receive buffer (broadcast
    // too: the root sends from its send buffer). Reduce's receive buffer is allocated on every rank (the
    // layout's recv_count) but written on the root only. Buffers grow and are kept, so a sweep of rising
    // sizes reallocates once per size at most.
    m_placement = layout.in_place ? collectives::placement_in_place(layout, m_rank, false)
                                  : collectives::in_place_placement{layout.recv_count, 0, 0};
    const std::size_t send_bytes = layout.in_place ? 0 : layout.send_count * size;
    const std::size_t recv_bytes = m_placement.buffer_count * size;
    agree_or_throw([&] {
      reserve(m_send, m_send_capacity, send_bytes);
      reserve(m_recv, m_recv_capacity, recv_bytes);
    });
    m_prepared = true;
  }

  void write_input(std::span<const double> values) override {
    require_prepared("write_input");
    if (values.size() != m_layout.send_count)
      throw std::invalid_argument(
          fmt::format("nccl_collectives: write_input got {} values for an input of {}", values.size(),
                      m_layout.send_count));
    copy_to_device(m_layout.in_place ? element_at(m_recv.get(), m_placement.input_offset) : m_send.get(),
                   values);
  }

  void fill_output(double value) override {
    require_prepared("fill_output");
    const std::vector<double> values(m_placement.buffer_count, value);
    copy_to_device(m_recv.get(), values);
  }

  std::vector<double> read_output() override {
    require_prepared("read_output");
    return nccl_types::with_host_type(m_layout.dtype, [&](auto element) {
      using T = decltype(element);
      std::vector<T> host(m_layout.recv_count);
      EXACHECK_CUDA(cudaMemcpyAsync(host.data(), element_at(m_recv.get(), m_placement.output_offset),
                                    host.size() * sizeof(T), cudaMemcpyDeviceToHost, m_stream.get()));
      EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));
      std::vector<double> values(host.size());
      for (std::size_t i = 0; i < host.size(); ++i) values[i] = nccl_types::to_double(host[i]);
      return values;
    });
  }

  void run() override {
    require_prepared("run");
    enqueue();
    wait_for_stream();
  }

  batch_time time_batch(int calls, bool graph) override {
    require_prepared("time_batch");
    if (calls < 1) throw std::invalid_argument("nccl_collectives: time_batch needs at least one call");
    cudaStream_t stream = m_stream.get();
    cudaGraphExec_t exec = graph ? graph_of(calls) : nullptr;
    EXACHECK_CUDA(cudaEventRecord(m_start.get(), stream));
    if (exec)
      EXACHECK_CUDA(cudaGraphLaunch(exec, stream));
    else
      for (int call = 0; call < calls; ++call) enqueue();
    EXACHECK_CUDA(cudaEventRecord(m_stop.get(), stream));
    wait_for_stream();
    float elapsed_ms = 0;
    EXACHECK_CUDA(cudaEventElapsedTime(&elapsed_ms, m_start.get(), m_stop.get()));
    return {static_cast<double>(elapsed_ms) * 1e-3, batch_clock::device};
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
    EXACHECK_MPI(MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, m_mpi.comm));
    if (all_ok) return;
    EXACHECK_MPI(MPI_Allreduce(&mine, &first_failed, 1, MPI_INT, MPI_MIN, m_mpi.comm));
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

  void* element_at(void* base, std::size_t index) const {
    return static_cast<std::byte*>(base) + index * collectives::element_size(m_layout.dtype);
  }

  // Converts to the dtype on the host, then one copy on the stream (pageable memory: outside any timing).
  void copy_to_device(void* device, std::span<const double> values) {
    nccl_types::with_host_type(m_layout.dtype, [&](auto element) {
      using T = decltype(element);
      std::vector<T> host(values.size());
      for (std::size_t i = 0; i < values.size(); ++i) host[i] = nccl_types::from_double<T>(values[i]);
      EXACHECK_CUDA(cudaMemcpyAsync(device, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice,
                                    m_stream.get()));
      EXACHECK_CUDA(cudaStreamSynchronize(m_stream.get()));
    });
  }

  // The graph of `calls` back-to-back collectives on the prepared layout, captured once and kept until the
  // next prepare(). Every rank captures at the same point (NCCL may exchange buffer registrations with peers
  // while it captures); a capture that fails on one rank makes every rank throw, so none launches a graph
  // its peers will never join.
  cudaGraphExec_t graph_of(int calls) {
    if (const auto found = m_graphs.find(calls); found != m_graphs.end()) return found->second.get();
    owned_graph_exec made;
    agree_or_throw([&] {
      stream_capture capture(m_stream.get());
      for (int call = 0; call < calls; ++call) enqueue();
      made = capture.end_and_instantiate();
    });
    return m_graphs.emplace(calls, std::move(made)).first->second.get();
  }

  void enqueue() {
    const collective_layout& l = m_layout;
    const void* send = m_send.get();
    void* recv = m_recv.get();
    if (l.in_place) {
      // nccl-tests' in-place pointers: allgather sends from its own chunk of the output, reduce_scatter
      // leaves its result in its own chunk of the input, every other collective reads and writes one buffer.
      const std::size_t rank_chunk = static_cast<std::size_t>(m_rank) * l.chunk_count;
      send = l.op == collective::allgather ? element_at(m_recv.get(), rank_chunk) : m_recv.get();
      recv = l.op == collective::reduce_scatter ? element_at(m_recv.get(), rank_chunk) : m_recv.get();
    }
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
        // The root sends from `send` (in place: the one buffer); every rank receives into `recv`.
        EXACHECK_NCCL(ncclBroadcast(send, recv, l.recv_count, m_type, l.root, m_comm, stream));
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
  int m_nccl_code = 0;  // ncclGetVersion of the library loaded
  int m_cc_major = 0, m_cc_minor = 0;
  owned_stream m_stream;
  owned_event m_start, m_stop;
  std::map<int, owned_graph_exec> m_graphs;  // calls → graph, for the prepared layout
  collectives::in_place_placement m_placement;
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
