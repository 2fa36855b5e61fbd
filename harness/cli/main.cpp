#include "harness/cli/cli.hpp"

int main(int argc, char** argv) {
  return exacheck::cli_main(argc, argv);
}
