#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>

#include "harness/device_binding.hpp"

using namespace exacheck;

namespace {
// Sets (or unsets) CUDA_VISIBLE_DEVICES for one test and puts the old value back.
class scoped_cuda_visible_devices {
 public:
  explicit scoped_cuda_visible_devices(const std::optional<std::string>& value) {
    if (const char* old = std::getenv(name)) m_old = old;
    if (value)
      setenv(name, value->c_str(), 1);
    else
      unsetenv(name);
  }
  ~scoped_cuda_visible_devices() {
    if (m_old)
      setenv(name, m_old->c_str(), 1);
    else
      unsetenv(name);
  }
  scoped_cuda_visible_devices(const scoped_cuda_visible_devices&) = delete;
  scoped_cuda_visible_devices& operator=(const scoped_cuda_visible_devices&) = delete;

 private:
  static constexpr const char* name = "CUDA_VISIBLE_DEVICES";
  std::optional<std::string> m_old;
};

// The message choose_gpu throws, or "" when it binds.
std::string binding_error(int local_rank, int local_ranks, int visible_gpus, bool allow_sharing,
                          const std::optional<std::string>& cuda_visible_devices = std::nullopt) {
  try {
    choose_gpu(local_rank, local_ranks, visible_gpus, allow_sharing, cuda_visible_devices);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}
}  // namespace

TEST(choose_gpu, one_rank_per_gpu_binds_local_rank_to_the_same_device) {
  for (int rank = 0; rank < 4; ++rank) {
    const gpu_binding binding = choose_gpu(rank, 4, 4, false, std::nullopt);
    EXPECT_EQ(binding.device_index, rank);
    EXPECT_EQ(binding.ranks_on_device, 1);
  }
}

TEST(choose_gpu, fewer_ranks_than_gpus_use_the_first_devices) {
  EXPECT_EQ(choose_gpu(0, 2, 8, false, std::nullopt).device_index, 0);
  EXPECT_EQ(choose_gpu(1, 2, 8, false, std::nullopt).device_index, 1);
  EXPECT_EQ(choose_gpu(1, 2, 8, false, std::nullopt).ranks_on_device, 1);
}

TEST(choose_gpu, more_ranks_than_gpus_without_sharing_names_both_counts_and_the_fix) {
  EXPECT_EQ(binding_error(0, 4, 2, false),
            "4 ranks on this node but only 2 GPUs are visible; set ranks_per_node to at most 2 or allow "
            "sharing with allow_gpu_sharing: true");
  // Every rank fails the same way, not just the ones without a GPU, so no rank runs half a job.
  EXPECT_EQ(binding_error(0, 4, 2, false), binding_error(3, 4, 2, false));
}

TEST(choose_gpu, more_ranks_than_one_gpu_says_gpu_in_the_singular) {
  EXPECT_EQ(binding_error(0, 2, 1, false),
            "2 ranks on this node but only 1 GPU is visible; set ranks_per_node to at most 1 or allow "
            "sharing with allow_gpu_sharing: true");
}

TEST(choose_gpu, more_ranks_than_gpus_shows_cuda_visible_devices_when_it_is_set) {
  EXPECT_EQ(
      binding_error(0, 4, 2, false, "0,1"),
      "4 ranks on this node but only 2 GPUs are visible (CUDA_VISIBLE_DEVICES='0,1'); set ranks_per_node "
      "to at most 2 or allow sharing with allow_gpu_sharing: true");
}

TEST(choose_gpu, sharing_allowed_spreads_ranks_round_robin_and_counts_ranks_per_device) {
  // 5 ranks on 2 GPUs: device 0 gets ranks 0, 2, 4; device 1 gets ranks 1, 3.
  const int expected_device[] = {0, 1, 0, 1, 0};
  const int expected_sharing[] = {3, 2, 3, 2, 3};
  for (int rank = 0; rank < 5; ++rank) {
    const gpu_binding binding = choose_gpu(rank, 5, 2, true, std::nullopt);
    EXPECT_EQ(binding.device_index, expected_device[rank]) << rank;
    EXPECT_EQ(binding.ranks_on_device, expected_sharing[rank]) << rank;
  }
}

TEST(choose_gpu, sharing_allowed_changes_nothing_when_there_are_enough_gpus) {
  const gpu_binding binding = choose_gpu(2, 4, 4, true, std::nullopt);
  EXPECT_EQ(binding.device_index, 2);
  EXPECT_EQ(binding.ranks_on_device, 1);
}

TEST(choose_gpu, no_visible_gpu_with_cuda_visible_devices_set_names_it) {
  const std::string message = binding_error(0, 1, 0, false, "-1");
  EXPECT_NE(message.find("no GPU is visible to this process"), std::string::npos) << message;
  EXPECT_NE(message.find("CUDA_VISIBLE_DEVICES='-1'"), std::string::npos) << message;
  EXPECT_NE(message.find("backend: cpu"), std::string::npos) << message;
  EXPECT_NE(binding_error(0, 1, 0, false, "").find("CUDA_VISIBLE_DEVICES=''"), std::string::npos);
}

TEST(choose_gpu, no_visible_gpu_without_cuda_visible_devices_blames_driver_or_device) {
  EXPECT_EQ(binding_error(0, 1, 0, false),
            "no GPU is visible to this process (no NVIDIA driver or device found); run with backend: cpu");
}

TEST(choose_gpu, no_visible_gpu_is_an_error_even_with_sharing_allowed) {
  EXPECT_NE(binding_error(0, 2, 0, true).find("no GPU is visible"), std::string::npos);
}

TEST(choose_gpu, local_rank_outside_the_node_is_an_error) {
  EXPECT_NE(binding_error(-1, 4, 4, false).find("local rank -1 is outside 0..3"), std::string::npos);
  EXPECT_NE(binding_error(4, 4, 4, false).find("local rank 4 is outside 0..3"), std::string::npos);
  EXPECT_NE(binding_error(0, 0, 4, false).find("cannot bind a GPU"), std::string::npos);
}

TEST(choose_gpu, unknown_visible_gpu_count_is_an_error_not_a_guess) {
  // -1 is what visible_gpu_count_from_env says for "not restricted": the caller must ask the driver.
  const std::string message = binding_error(0, 1, -1, false);
  EXPECT_NE(message.find("number of visible GPUs is unknown"), std::string::npos) << message;
}

TEST(choose_gpu, default_argument_reads_cuda_visible_devices_from_the_environment) {
  const scoped_cuda_visible_devices env("GPU-1234");
  try {
    choose_gpu(0, 1, 0, false);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("CUDA_VISIBLE_DEVICES='GPU-1234'"), std::string::npos)
        << error.what();
  }
}

TEST(visible_gpu_count, unset_means_not_restricted) {
  EXPECT_EQ(visible_gpu_count(std::nullopt), -1);
}

TEST(visible_gpu_count, empty_hides_every_gpu) {
  EXPECT_EQ(visible_gpu_count(""), 0);
  EXPECT_EQ(visible_gpu_count("  "), 0);
}

TEST(visible_gpu_count, indices_and_uuids_are_counted) {
  EXPECT_EQ(visible_gpu_count("0"), 1);
  EXPECT_EQ(visible_gpu_count("0,1"), 2);
  EXPECT_EQ(visible_gpu_count("3,1,2"), 3);
  EXPECT_EQ(visible_gpu_count(" 0 , 1 "), 2);
  EXPECT_EQ(visible_gpu_count("GPU-8a1b2c3d-1111-2222-3333-444455556666,GPU-77c0"), 2);
  EXPECT_EQ(visible_gpu_count("MIG-4f1e0c2a-aaaa-bbbb-cccc-ddddeeeeffff"), 1);
}

TEST(visible_gpu_count, an_invalid_entry_hides_itself_and_everything_after_it_as_cuda_does) {
  EXPECT_EQ(visible_gpu_count("-1"), 0);
  EXPECT_EQ(visible_gpu_count("0,2,-1,1"), 2);
  EXPECT_EQ(visible_gpu_count("0,,1"), 1);
  EXPECT_EQ(visible_gpu_count("0,"), 1);
  EXPECT_EQ(visible_gpu_count("none"), 0);
}

TEST(visible_gpu_count, from_env_reads_cuda_visible_devices) {
  {
    const scoped_cuda_visible_devices env("0,1");
    EXPECT_EQ(visible_gpu_count_from_env(), 2);
    EXPECT_EQ(cuda_visible_devices_setting(), "0,1");
  }
  {
    const scoped_cuda_visible_devices env("");
    EXPECT_EQ(visible_gpu_count_from_env(), 0);
  }
  const scoped_cuda_visible_devices env(std::nullopt);
  EXPECT_EQ(visible_gpu_count_from_env(), -1);
  EXPECT_FALSE(cuda_visible_devices_setting().has_value());
}
