#include <fmt/core.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>

#include "harness/node/device_binding.hpp"

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

namespace {
// The message choose_gpu_on_node throws on node "gpu-node7", or "" when it binds.
std::string node_binding_error(int local_rank, const visible_device_settings& settings, int visible_gpus,
                               bool allow_sharing = false) {
  try {
    choose_gpu_on_node(local_rank, settings, visible_gpus, allow_sharing, "gpu-node7");
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}
}  // namespace

TEST(choose_gpu_on_node, slurm_per_task_binding_gives_every_rank_its_own_device_0) {
  // srun --gpus-per-task=1 (or --gpu-bind=single:1): four ranks, each shown one different GPU. The rule of a
  // shared visible set alone (choose_gpu) refuses this node: 4 ranks, 1 visible GPU.
  EXPECT_NE(binding_error(0, 4, 1, false, "0"), "");
  const visible_device_settings settings = {"0", "1", "2", "3"};
  for (int rank = 0; rank < 4; ++rank) {
    const gpu_binding binding = choose_gpu_on_node(rank, settings, 1, false, "gpu-node7");
    EXPECT_EQ(binding.device_index, 0) << rank;
    EXPECT_EQ(binding.ranks_on_device, 1) << rank;
    EXPECT_EQ(binding.mode, gpu_binding_mode::per_task) << rank;
  }
}

TEST(choose_gpu_on_node, per_task_binding_by_uuid_or_with_several_gpus_per_rank_uses_device_0) {
  const visible_device_settings uuids = {"GPU-8a1b2c3d-1111-2222-3333-444455556666",
                                         "GPU-77c0ffee-1111-2222-3333-444455556666"};
  EXPECT_EQ(choose_gpu_on_node(1, uuids, 1, false, "n").mode, gpu_binding_mode::per_task);
  EXPECT_EQ(choose_gpu_on_node(1, uuids, 1, false, "n").device_index, 0);
  const gpu_binding pairs = choose_gpu_on_node(1, {"0,1", "2,3"}, 2, false, "n");
  EXPECT_EQ(pairs.mode, gpu_binding_mode::per_task);
  EXPECT_EQ(pairs.device_index, 0);
  EXPECT_EQ(pairs.ranks_on_device, 1);
}

TEST(choose_gpu_on_node, the_same_visible_set_everywhere_keeps_local_rank_modulo_visible) {
  for (const auto& setting : {std::optional<std::string>(), std::optional<std::string>("0,1,2,3")}) {
    const visible_device_settings settings(4, setting);
    for (int rank = 0; rank < 4; ++rank) {
      const gpu_binding binding = choose_gpu_on_node(rank, settings, 4, false, "n");
      EXPECT_EQ(binding.device_index, rank);
      EXPECT_EQ(binding.ranks_on_device, 1);
      EXPECT_EQ(binding.mode, gpu_binding_mode::shared_visible_set);
    }
  }
  // Compared as CUDA reads them: blanks around entries and anything after an invalid entry do not count.
  EXPECT_EQ(choose_gpu_on_node(1, {"0,1", " 0, 1", "0,1,-1,3"}, 2, true, "n").mode,
            gpu_binding_mode::shared_visible_set);
  // One rank is a shared visible set of one, whatever it sees.
  EXPECT_EQ(choose_gpu_on_node(0, {"5"}, 1, false, "n").mode, gpu_binding_mode::shared_visible_set);
}

TEST(choose_gpu_on_node, the_same_visible_set_with_too_few_gpus_fails_or_shares_as_before) {
  const visible_device_settings one_gpu(2, std::string("0"));
  EXPECT_EQ(node_binding_error(1, one_gpu, 1), binding_error(1, 2, 1, false, "0"));
  const gpu_binding shared = choose_gpu_on_node(1, one_gpu, 1, true, "n");
  EXPECT_EQ(shared.device_index, 0);
  EXPECT_EQ(shared.ranks_on_device, 2);
  EXPECT_EQ(shared.mode, gpu_binding_mode::shared_visible_set);
}

TEST(choose_gpu_on_node, partly_overlapping_sets_name_host_ranks_gpu_and_every_setting) {
  const std::string message = node_binding_error(0, {"0,1", "1", "2"}, 2);
  EXPECT_EQ(
      message,
      "cannot bind GPUs on gpu-node7: the 3 ranks of this node see different GPUs, but not GPUs of their "
      "own: local ranks 0 and 1 both see GPU '1', and their GPU lists differ; CUDA_VISIBLE_DEVICES by "
      "local rank: 0='0,1', 1='1', 2='2'. Give every rank of a node the same GPUs, or each rank GPUs of "
      "its own (srun --gpus-per-task=1, --gpu-bind=single:1)");
  // Every rank fails the same way, so no rank of the node runs half a job.
  EXPECT_EQ(node_binding_error(2, {"0,1", "1", "2"}, 1), message);
  EXPECT_EQ(node_binding_error(1, {"0,1", "1", "2"}, 1, true), message);  // sharing does not mend it
}

TEST(choose_gpu_on_node, a_uuid_prefix_names_the_same_gpu_as_the_whole_uuid) {
  const std::string message =
      node_binding_error(0, {"GPU-8a1b", "GPU-8a1b2c3d-1111-2222-3333-444455556666"}, 1);
  EXPECT_NE(message.find("local ranks 0 and 1 both see GPU 'GPU-8a1b' ('GPU-8a1b2c3d-1111-2222-3333-"
                         "444455556666')"),
            std::string::npos)
      << message;
}

TEST(choose_gpu_on_node, a_rank_that_sees_every_gpu_beside_restricted_ranks_is_an_error) {
  const std::string message = node_binding_error(0, {std::nullopt, "1"}, 4);
  EXPECT_NE(message.find("on gpu-node7"), std::string::npos) << message;
  EXPECT_NE(message.find("local rank 0 sees every GPU (CUDA_VISIBLE_DEVICES unset) while local rank 1 sees "
                         "only '1'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("0=unset, 1='1'"), std::string::npos) << message;
}

TEST(choose_gpu_on_node, a_rank_that_sees_no_gpu_beside_others_is_an_error) {
  for (const std::string hidden : {"", "-1"}) {
    const std::string message = node_binding_error(0, {"0", hidden, "2"}, 1);
    EXPECT_NE(message.find(fmt::format("local rank 1 sees no GPU (CUDA_VISIBLE_DEVICES='{}')", hidden)),
              std::string::npos)
        << message;
  }
}

TEST(choose_gpu_on_node, a_long_node_lists_the_first_16_settings_and_counts_the_rest) {
  visible_device_settings settings;
  for (int r = 0; r < 20; ++r) settings.push_back(std::to_string(r));
  settings[19] = "3";
  const std::string message = node_binding_error(0, settings, 1);
  EXPECT_NE(message.find("local ranks 3 and 19 both see GPU '3'"), std::string::npos) << message;
  EXPECT_NE(message.find("15='15' and 4 more."), std::string::npos) << message;
}

TEST(choose_gpu_on_node, rank_outside_the_node_or_no_visible_gpu_fail_as_choose_gpu_does) {
  EXPECT_NE(node_binding_error(2, {"0", "1"}, 1).find("local rank 2 is outside 0..1"), std::string::npos);
  EXPECT_NE(node_binding_error(0, {}, 1).find("cannot bind a GPU"), std::string::npos);
  EXPECT_NE(node_binding_error(0, {"0", "1"}, 0).find("CUDA_VISIBLE_DEVICES='0' hides them all"),
            std::string::npos);
}

TEST(confirm_gpu_binding, ranks_on_distinct_gpus_keep_their_binding) {
  const gpu_binding per_task = {.device_index = 0, .ranks_on_device = 1, .mode = gpu_binding_mode::per_task};
  const gpu_binding confirmed =
      confirm_gpu_binding(per_task, 1, {"0000:19:00.0", "0000:3b:00.0"}, false, "gpu-node7");
  EXPECT_EQ(confirmed.ranks_on_device, 1);
  EXPECT_EQ(confirmed.mode, gpu_binding_mode::per_task);
}

TEST(confirm_gpu_binding, two_settings_naming_one_gpu_are_caught_by_bus_id) {
  // "0" and GPU 0's UUID look disjoint to choose_gpu_on_node; the bus ids the ranks got say otherwise.
  const gpu_binding per_task = choose_gpu_on_node(0, {"0", "GPU-8a1b2c3d"}, 1, false, "gpu-node7");
  const std::vector<std::string> bus_ids = {"0000:19:00.0", "0000:19:00.0"};
  try {
    confirm_gpu_binding(per_task, 0, bus_ids, false, "gpu-node7");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& error) {
    EXPECT_EQ(std::string(error.what()),
              "local ranks 0, 1 on gpu-node7 were given one GPU (0000:19:00.0) by CUDA_VISIBLE_DEVICES "
              "(per_task binding); give each rank a GPU of its own, or allow sharing with allow_gpu_sharing: "
              "true");
  }
  EXPECT_EQ(confirm_gpu_binding(per_task, 1, bus_ids, true, "gpu-node7").ranks_on_device, 2);
}

TEST(confirm_gpu_binding, mig_instances_of_one_gpu_are_gpus_of_their_own) {
  // srun --gpus-per-task=1 on MIG slices: one PCI bus id, a UUID each (the worker's id is "UUID at bus id").
  const gpu_binding per_task = choose_gpu_on_node(1, {"MIG-1a2b", "MIG-3c4d"}, 1, false, "n");
  EXPECT_EQ(
      confirm_gpu_binding(per_task, 1, {"MIG-1a2b at 0000:19:00.0", "MIG-3c4d at 0000:19:00.0"}, false, "n")
          .ranks_on_device,
      1);
}

TEST(confirm_gpu_binding, shared_gpus_are_counted_by_bus_id_whatever_the_case_and_unknown_ids_are_skipped) {
  const gpu_binding shared = choose_gpu_on_node(0, visible_device_settings(3, std::nullopt), 2, true, "n");
  EXPECT_EQ(confirm_gpu_binding(shared, 0, {"0000:3B:00.0", "0000:5e:00.0", "0000:3b:00.0"}, true, "n")
                .ranks_on_device,
            2);
  EXPECT_EQ(confirm_gpu_binding(shared, 0, {"", ""}, false, "n").ranks_on_device, shared.ranks_on_device);
  EXPECT_EQ(confirm_gpu_binding(shared, 0, {"0000:3b:00.0", ""}, false, "n").ranks_on_device, 1);
}

TEST(gpu_binding_mode, names_are_the_ones_recorded_in_the_device_record) {
  EXPECT_EQ(to_string(gpu_binding_mode::per_task), "per_task");
  EXPECT_EQ(to_string(gpu_binding_mode::shared_visible_set), "shared_visible_set");
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
