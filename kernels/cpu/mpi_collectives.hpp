#pragma once
// The CPU backend of the collectives: MPI collectives on host buffers, on a duplicate of the run's
// communicator (so that benchmark traffic never matches the harness's own messages) with errors returned, not
// fatal.
#include <mpi.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "suites/collectives/collective_backend.hpp"

namespace exacheck::collectives {

class mpi_collective_backend final : public collective_backend {
 public:
  explicit mpi_collective_backend(MPI_Comm comm);  // collective over comm (MPI_Comm_dup)
  ~mpi_collective_backend() override;
  // Owns a communicator: copying would free it twice.
  mpi_collective_backend(const mpi_collective_backend&) = delete;
  mpi_collective_backend& operator=(const mpi_collective_backend&) = delete;

  std::string name() const override { return "mpi"; }
  std::string library_version() const override;
  std::size_t max_elements() const override;
  std::optional<std::string> cannot_run(const collective_layout& layout) const override;
  std::vector<std::string> notes(const collective_layout& layout) const override;
  void prepare(const collective_layout& layout) override;
  void write_input(std::span<const double> values) override;
  void fill_output(double value) override;
  std::vector<double> read_output() override;
  void run() override;
  batch_time time_batch(int calls, bool graph) override;

 private:
  void run_in_place();

  MPI_Comm m_comm = MPI_COMM_NULL;
  int m_rank = 0;
  collective_layout m_layout;
  MPI_Datatype m_type = MPI_DATATYPE_NULL;
  // Raw bytes of the dtype; std::vector<std::byte> is value-initialised once per prepare, outside timing.
  std::vector<std::byte> m_send, m_recv;
  bool m_one_buffer = false;       // broadcast, or in place: everything lives in m_recv
  in_place_placement m_placement;  // where input and result lie in m_recv
  bool m_prepared = false;
};

}  // namespace exacheck::collectives
