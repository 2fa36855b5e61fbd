// GPU binding across the real ranks of a node (harness/node/rank_gather.hpp +
// harness/node/device_binding.hpp): every local rank's CUDA_VISIBLE_DEVICES is gathered over the node's
// communicator, and each rank decides from all of them, as the worker does before it selects its GPU. No GPU
// is needed: the decision is pure, the count of visible GPUs is passed in. Two roles, as
// test_collectives_mpi.cpp: started by ctest, the TEST runs `mpirun -np N --oversubscribe` on this program
// with EXACHECK_IN_MPIRUN=1; under mpirun a static initialiser runs the driver below (each rank sets its own
// CUDA_VISIBLE_DEVICES per scenario, as srun --gpus-per-task would), which exits 0 only when every scenario
// binds or fails as documented on every rank.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "harness/controller/process.hpp"
#include "harness/node/device_binding.hpp"
#include "harness/node/rank_gather.hpp"

using namespace exacheck;

namespace {

struct driver_state {
  MPI_Comm node = MPI_COMM_NULL;
  int local_rank = 0, local_ranks = 1;
  std::string host;
  std::ostringstream errors;
  int failures = 0;
  void fail(const std::string& what) {
    ++failures;
    errors << "local rank " << local_rank << ": " << what << "\n";
  }
};

void set_visible_devices(const std::optional<std::string>& value) {
  if (value)
    setenv("CUDA_VISIBLE_DEVICES", value->c_str(), 1);
  else
    unsetenv("CUDA_VISIBLE_DEVICES");
}

std::string binding_error(const driver_state& s, const visible_device_settings& settings, int visible) {
  try {
    choose_gpu_on_node(s.local_rank, settings, visible, false, s.host);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

// srun --gpus-per-task=1: rank r sees GPU "r" alone (one visible GPU each): every rank binds its device 0.
void check_per_task(driver_state& s) {
  set_visible_devices(std::to_string(s.local_rank));
  const visible_device_settings settings = allgather_visible_device_settings(s.node);
  if (static_cast<int>(settings.size()) != s.local_ranks) return s.fail("per task: wrong number of settings");
  for (int r = 0; r < s.local_ranks; ++r)
    if (settings[static_cast<std::size_t>(r)] != std::to_string(r))
      s.fail("per task: local rank " + std::to_string(r) + "'s setting was not gathered");
  const gpu_binding binding = choose_gpu_on_node(s.local_rank, settings, 1, false, s.host);
  if (binding.device_index != 0 || binding.ranks_on_device != 1 ||
      binding.mode != (s.local_ranks > 1 ? gpu_binding_mode::per_task : gpu_binding_mode::shared_visible_set))
    s.fail("per task: not device 0 alone in per_task mode");
  // The GPUs the ranks got are distinct: confirmed, one rank each.
  const auto bus_ids = allgather_text(s.node, "0000:" + std::to_string(16 + s.local_rank) + ":00.0");
  if (confirm_gpu_binding(binding, s.local_rank, bus_ids, false, s.host).ranks_on_device != 1)
    s.fail("per task: distinct bus ids not confirmed");
}

// Unset everywhere, as mpirun on a node leaves it: local rank r uses GPU r of as many.
void check_shared_visible_set(driver_state& s) {
  set_visible_devices(std::nullopt);
  const visible_device_settings settings = allgather_visible_device_settings(s.node);
  for (const auto& setting : settings)
    if (setting) s.fail("shared set: an unset CUDA_VISIBLE_DEVICES was gathered as '" + *setting + "'");
  const gpu_binding binding = choose_gpu_on_node(s.local_rank, settings, s.local_ranks, false, s.host);
  if (binding.device_index != s.local_rank || binding.mode != gpu_binding_mode::shared_visible_set)
    s.fail("shared set: not GPU local_rank of a shared visible set");
  // All ranks on one GPU with sharing allowed: every rank counts all of them.
  const gpu_binding one_gpu = choose_gpu_on_node(s.local_rank, settings, 1, true, s.host);
  const auto same_bus_id = allgather_text(s.node, "0000:19:00.0");
  if (confirm_gpu_binding(one_gpu, s.local_rank, same_bus_id, true, s.host).ranks_on_device != s.local_ranks)
    s.fail("shared set: ranks sharing one GPU not counted by bus id");
}

// The last rank unset (every GPU), the one before it "" (none), the others their own: every rank fails alike,
// and "" is not taken for unset.
void check_clash(driver_state& s) {
  if (s.local_ranks < 2) return;
  const int last = s.local_ranks - 1;
  set_visible_devices(s.local_rank == last       ? std::nullopt
                      : s.local_rank == last - 1 ? std::optional<std::string>("")
                                                 : std::optional<std::string>(std::to_string(s.local_rank)));
  const visible_device_settings settings = allgather_visible_device_settings(s.node);
  if (settings[static_cast<std::size_t>(last)] || settings[static_cast<std::size_t>(last - 1)] != "")
    s.fail("clash: unset and empty settings were not told apart");
  const std::string message = binding_error(s, settings, 1);
  const std::string expected =
      "local rank " + std::to_string(last) + " sees every GPU (CUDA_VISIBLE_DEVICES unset)";
  if (message.find(expected) == std::string::npos || message.find("on " + s.host) == std::string::npos)
    s.fail("clash: expected an error naming '" + expected + "' and the host, got '" + message + "'");
  for (const auto& other : allgather_text(s.node, message))
    if (other != message) s.fail("clash: local ranks failed with different messages");
}

int run_driver() {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  driver_state s;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &s.node);
  MPI_Comm_rank(s.node, &s.local_rank);
  MPI_Comm_size(s.node, &s.local_ranks);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  s.host = host;
  try {
    check_per_task(s);
    check_shared_visible_set(s);
    check_clash(s);
  } catch (const std::exception& e) {
    s.fail(std::string("exception: ") + e.what());
  }
  if (s.failures) std::cerr << s.errors.str() << std::flush;
  int mine = s.failures, total = 0;
  MPI_Allreduce(&mine, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0)
    std::cout << "device binding driver: " << s.local_ranks << " local ranks, " << total << " failures\n";
  MPI_Comm_free(&s.node);
  MPI_Finalize();
  return total == 0 ? 0 : 1;
}

// Under mpirun, run the driver before gtest's main and exit with its status.
const bool k_driver_ran = [] {
  if (std::getenv("EXACHECK_IN_MPIRUN") != nullptr) std::exit(run_driver());
  return false;
}();

class device_binding_under_mpirun : public ::testing::TestWithParam<int> {};

}  // namespace

TEST_P(device_binding_under_mpirun, every_local_rank_binds_from_every_local_ranks_cuda_visible_devices) {
  const auto log_path =
      std::filesystem::temp_directory_path() /
      ("exacheck-binding-mpi-" + std::to_string(getpid()) + "-" + std::to_string(GetParam()) + ".log");
  std::filesystem::remove(log_path);
  const std::vector<std::string> argv = {"mpirun", "-np", std::to_string(GetParam()), "--oversubscribe",
                                         std::filesystem::read_symlink("/proc/self/exe").string()};
  const auto result = run_process(
      argv,
      {{"EXACHECK_IN_MPIRUN", "1"}, {"OMPI_ALLOW_RUN_AS_ROOT", "1"}, {"OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"}},
      log_path.string(), 120.0, nullptr);
  const std::string log = tail_of_file(log_path.string(), 40);
  std::filesystem::remove(log_path);
  EXPECT_EQ(result.how, process_result::ending::exited) << result.error << "\n" << log;
  EXPECT_EQ(result.exit_code, 0) << log;
  EXPECT_NE(log.find(std::to_string(GetParam()) + " local ranks, 0 failures"), std::string::npos) << log;
}

INSTANTIATE_TEST_SUITE_P(ranks, device_binding_under_mpirun, ::testing::Values(1, 2, 4),
                         [](const auto& info) { return std::to_string(info.param) + "_ranks"; });
