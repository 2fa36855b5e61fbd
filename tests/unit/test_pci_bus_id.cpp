// Telemetry and serial numbers are matched to a rank's GPU by PCI bus id (NVML ignores CUDA_VISIBLE_DEVICES),
// so the match must be exact: GPUs that differ only by PCI domain are different GPUs.
#include <gtest/gtest.h>

#include "harness/worker/gpu_watch.hpp"

namespace exacheck {
namespace {

TEST(same_pci_device, nvml_and_cuda_spellings_of_one_gpu_match) {
  EXPECT_TRUE(same_pci_device("00000000:3B:00.0", "0000:3b:00.0"));
  EXPECT_TRUE(same_pci_device("00000019:01:00.0", "0019:01:00.0"));
  EXPECT_TRUE(same_pci_device("3b:00.0", "0000:3B:00.0"));  // no domain: domain 0
}

TEST(same_pci_device, gpus_differing_only_by_domain_are_different_gpus) {
  EXPECT_FALSE(same_pci_device("00000009:01:00.0", "0019:01:00.0"));
  EXPECT_FALSE(same_pci_device("0009:01:00.0", "0019:01:00.0"));
  EXPECT_FALSE(same_pci_device("00000019:01:00.0", "0009:01:00.0"));
}

TEST(same_pci_device, bus_device_and_function_each_count) {
  EXPECT_FALSE(same_pci_device("0000:3b:00.0", "0000:3c:00.0"));
  EXPECT_FALSE(same_pci_device("0000:3b:00.0", "0000:3b:01.0"));
  EXPECT_FALSE(same_pci_device("0000:3b:00.0", "0000:3b:00.1"));
}

TEST(same_pci_device, empty_or_unparsable_ids_never_match_another) {
  EXPECT_FALSE(same_pci_device("", ""));
  EXPECT_FALSE(same_pci_device("", "0000:3b:00.0"));
  EXPECT_FALSE(same_pci_device("gpu0", "gpu1"));
  EXPECT_TRUE(same_pci_device("GPU0", "gpu0"));  // unparsable: the same text, case aside
}

}  // namespace
}  // namespace exacheck
