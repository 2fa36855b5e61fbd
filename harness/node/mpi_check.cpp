#include "harness/node/mpi_check.hpp"

#include <fmt/core.h>
#include <mpi.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace exacheck {

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

}  // namespace exacheck
