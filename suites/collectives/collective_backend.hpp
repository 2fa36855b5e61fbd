#pragma once
// The collectives' kernel interface, implemented per backend (kernels/cpu/mpi_collectives: MPI;
// kernels/cuda/nccl_collectives: NCCL). Timing contract in one sentence: run() and time_batch() are
// blocking — when they return, this rank's part of the collectives is complete and its receive buffer holds
// the result.
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "harness/core/batch_time.hpp"
#include "harness/core/suite.hpp"
#include "suites/collectives/collective_formulas.hpp"

namespace exacheck::collectives {

class collective_backend {
 public:
  virtual ~collective_backend() = default;

  // "mpi", "nccl": recorded with the results.
  virtual std::string name() const = 0;
  // Library and version, e.g. "Open MPI v4.1.4".
  virtual std::string library_version() const = 0;
  // Largest element count one call can take (MPI counts are int); larger layouts are skipped, not run.
  virtual std::size_t max_elements() const = 0;

  // Why this rank cannot run `layout` (its dtype, its in-place form, this device), or nullopt when it can.
  // Asked before prepare(); the suite makes the answer global, so no rank is left waiting in a collective.
  virtual std::optional<std::string> cannot_run(const collective_layout& /*layout*/) const {
    return std::nullopt;
  }
  // What the backend runs differently from what `layout` asks for, recorded as the point's warnings
  // (e.g. MPI_Bcast has no out-of-place form).
  virtual std::vector<std::string> notes(const collective_layout& /*layout*/) const { return {}; }
  // Whether time_batch can replay its calls from a CUDA graph.
  virtual bool supports_graphs() const { return false; }

  // Allocates this rank's buffers for `layout` (every rank calls it with the same layout).
  virtual void prepare(const collective_layout& layout) = 0;
  // Writes this rank's send data (layout.send_count values, converted to the dtype): the send buffer, or in
  // place the part of the one buffer that holds the input (placement_in_place). Broadcast: written on the
  // root only, after fill_output.
  virtual void write_input(std::span<const double> values) = 0;
  // Sets every element of the receive buffer (in place: the one buffer) to `value` (poisoning before a
  // checked run).
  virtual void fill_output(double value) = 0;
  // The result, converted to double (layout.recv_count values; in place: from placement_in_place's offset).
  virtual std::vector<double> read_output() = 0;
  // Runs the prepared collective once; blocking (see the top of this file). Called on every rank.
  virtual void run() = 0;
  // The timed entry point: runs `calls` back-to-back collectives and returns this rank's time for them — CUDA
  // events on the stream around the enqueued calls for NCCL, which with `graph` captures the calls into a
  // CUDA graph once (untimed) and times the graph's launch; the host clock around blocking run() calls for
  // MPI (time_on_host). Called on every rank with the same arguments.
  virtual batch_time time_batch(int calls, bool graph) = 0;
};

}  // namespace exacheck::collectives
