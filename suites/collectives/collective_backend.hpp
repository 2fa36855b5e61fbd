#pragma once
// The collectives' kernel interface, implemented per backend (kernels/cpu/mpi_collectives: MPI; later NCCL).
// Timing contract in one sentence: run() is blocking — when it returns, this rank's part of the collective is
// complete and its receive buffer holds the result.
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "harness/suite.hpp"
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

  // Allocates this rank's buffers for `layout` (every rank calls it with the same layout).
  virtual void prepare(const collective_layout& layout) = 0;
  // Writes this rank's send buffer (layout.send_count values, converted to the dtype). Broadcast has one
  // buffer: write it on the root only, after fill_output.
  virtual void write_input(std::span<const double> values) = 0;
  // Sets every element of the receive buffer to `value` (poisoning before a checked run).
  virtual void fill_output(double value) = 0;
  // The receive buffer, converted to double (layout.recv_count values).
  virtual std::vector<double> read_output() = 0;
  // Runs the prepared collective once; blocking (see the top of this file). Called on every rank.
  virtual void run() = 0;
};

using collective_backend_factory = std::function<std::unique_ptr<collective_backend>(const run_context&)>;

// The backend for ctx.backend: "cpu" → MPI on ctx.comm. Anything else throws std::runtime_error
// ("backend 'X' is not available for collectives in this build").
std::unique_ptr<collective_backend> make_collective_backend(const run_context& ctx);

}  // namespace exacheck::collectives
