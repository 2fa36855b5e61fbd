// Every test program's main: fills the backend table as the CLI's entry does (kernels/register_backends.hpp),
// then runs the tests. Tests plant their own backends over it with scoped_backend
// (harness/core/backends.hpp).
#include <gtest/gtest.h>

#include "kernels/register_backends.hpp"

int main(int argc, char** argv) {
  exacheck::register_backends();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
