#include "harness/cli/cli.hpp"
#include "harness/core/granted_cpus.hpp"

int main(int argc, char** argv) {
  // Before anything measures or launches: a site's OMP_PROC_BIND/OMP_PLACES made the OpenMP runtime bind this
  // process to one CPU as it loaded, and every thread and launched rank would inherit that one CPU
  // (harness/core/granted_cpus.hpp). What was undone is recorded (released_openmp_binding()).
  exacheck::release_openmp_binding();
  return exacheck::cli_main(argc, argv);
}
