// Failures named by host and rank through the real path — controller → mpirun → exacheck worker ranks — with
// the selftest suite misbehaving on one rank: a rank that kills itself with SIGSEGV is named with its host
// and the signal; a rank that hangs is a TIMEOUT naming it, its host and its phase, with the limit; every
// rank leaves a progress file with its host.
#include <gtest/gtest.h>
#include <unistd.h>

#include <climits>
#include <filesystem>

#include "../support/cli_runner.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {
std::string this_host() {
  char name[HOST_NAME_MAX + 1] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
}  // namespace

TEST(failures_through_mpirun, a_rank_killed_by_sigsegv_and_a_hanging_rank_are_named_by_host_and_rank) {
  const auto dir = fresh_temp_dir("failures-mpi");
  write_text(dir / "plan.yaml",
             "schema: exacheck/plan/v1\nname: failures-mpi\n"
             "defaults: {launcher: mpirun, timeout: 4s, measure: {max_time: 100ms, min_time: 5ms}}\ncases:\n"
             "  - {name: crash, benchmark: selftest, ranks: 2, params: {mode: crash, rank: 1, loop: 1000}}\n"
             "  - {name: hang, benchmark: selftest, ranks: 2, params: {mode: hang, rank: 1, loop: 1000}}\n"
             "  - {name: fine, benchmark: selftest, ranks: 2, params: {loop: 1000}}\n");
  const auto cli =
      run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "out.txt");
  EXPECT_EQ(cli.exit_code, 3) << cli.output;
  const auto run = read_json(dir / "run" / "run.json");
  const std::string host = this_host();

  const auto& crash = case_named(run, "crash");
  EXPECT_EQ(crash["outcome"], "ERROR");
  EXPECT_TRUE(has(crash["message"], "rank 1 on " + host + " killed by SIGSEGV (Segmentation fault)"))
      << crash["message"];
  EXPECT_EQ(crash["failure"]["signal"], "SIGSEGV");
  EXPECT_EQ(crash["failure"]["hosts"], nlohmann::json::array({host}));
  EXPECT_FALSE(crash.contains("attempts")) << "it crashed while measuring: never retried";

  const auto& hang = case_named(run, "hang");
  EXPECT_EQ(hang["outcome"], "TIMEOUT");
  const std::string message = hang["message"];
  EXPECT_TRUE(has(message, "(limit 4 s)")) << message;
  EXPECT_TRUE(has(message, "rank 1 on " + host + " stuck ")) << message;
  EXPECT_EQ(hang["failure"]["ranks"], nlohmann::json::array({1}));

  // The case that ran: every rank's progress file says done, with its host.
  const auto fine_dir = case_dir(dir / "run" / "cases", "fine");
  for (int rank = 0; rank < 2; ++rank) {
    const auto progress = read_json(fine_dir / "progress" / ("rank-" + std::to_string(rank) + ".json"));
    EXPECT_EQ(progress["phase"], "done") << progress.dump();
    EXPECT_EQ(progress["host"], host);
    EXPECT_EQ(progress["points"], 1);
    EXPECT_EQ(progress["point"], 1);
  }
}
