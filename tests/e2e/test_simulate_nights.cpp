// exacheck simulate --night N: the same machine night after night (what history and drift are tried on), a
// planted slow drift that one night's fleet analysis does not see at first, and the default plan found from
// wherever the command runs.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "../support/cli_runner.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {
const fs::path source_dir = EXACHECK_SOURCE_DIR;

struct night_run {
  cli_result result;
  nlohmann::json run;
};

night_run simulate_night(const fs::path& dir, const std::string& name, std::vector<std::string> extra) {
  std::vector<std::string> args{"simulate",
                                "--nodes",
                                "16",
                                "--gpus-per-node",
                                "4",
                                "--system",
                                (source_dir / "configs/systems/h100-sxm.yaml").string(),
                                "--slow",
                                "0",
                                "--seed",
                                "5",
                                "--out",
                                (dir / name).string()};
  args.insert(args.end(), extra.begin(), extra.end());
  night_run n{run_cli(args, dir / (name + ".txt")), nullptr};
  if (fs::exists(dir / name / "run.json")) n.run = read_json(dir / name / "run.json");
  return n;
}

// Each GPU's identity as the device verdicts name it, by host and index ("uuid serial"), and the run's
// devices (UUID, serial, PCI bus id) in order.
std::map<std::string, std::string> identities(const nlohmann::json& run) {
  std::map<std::string, std::string> out;
  for (const auto& g : run["analysis"]["device_verdicts"]["gpus"])
    out[g["host"].get<std::string>() + "/" + std::to_string(g["gpu"].get<int>())] =
        g["uuid"].get<std::string>() + " " + g["serial"].get<std::string>();
  out["devices"] = run["devices"].dump();
  return out;
}

// Every rank's tflops in the first gemm case, by rank.
std::map<int, double> gemm_values(const nlohmann::json& run) {
  std::map<int, double> values;
  for (const auto& c : run["cases"]) {
    if (c["benchmark"] != "gemm") continue;
    for (const auto& r : c["results"][0]["ranks"]) values[r["rank"].get<int>()] = r["values"]["tflops"];
    break;
  }
  return values;
}

// The verdict of GPU `gpu` on `host` in the run's device verdicts.
std::string gpu_verdict(const nlohmann::json& run, const std::string& host, int gpu) {
  for (const auto& g : run["analysis"]["device_verdicts"]["gpus"])
    if (g["host"] == host && g["gpu"] == gpu) return g["verdict"].get<std::string>();
  return "absent";
}
}  // namespace

TEST(simulate_nights_cli, same_seed_nights_are_one_machine_with_fresh_noise_a_day_apart) {
  const auto dir = fresh_temp_dir("simulate-nights");
  const auto one = simulate_night(dir, "night1", {"--night", "1"});
  const auto two = simulate_night(dir, "night2", {"--night", "2"});
  ASSERT_EQ(one.result.exit_code, 0) << one.result.output;
  ASSERT_EQ(two.result.exit_code, 0) << two.result.output;
  ASSERT_FALSE(identities(one.run).empty());
  EXPECT_EQ(identities(one.run), identities(two.run));
  EXPECT_EQ(one.run["provenance"]["hosts"], two.run["provenance"]["hosts"]);
  const auto values_one = gemm_values(one.run), values_two = gemm_values(two.run);
  ASSERT_EQ(values_one.size(), 64u);
  ASSERT_EQ(values_two.size(), 64u);
  int same = 0;
  for (const auto& [rank, value] : values_one) {
    same += value == values_two.at(rank);
    EXPECT_NEAR(value / values_two.at(rank), 1.0, 0.02) << rank;  // the same GPU: only noise apart
  }
  EXPECT_EQ(same, 0);
  EXPECT_EQ(one.run["provenance"]["started_at"], "2026-11-01T02:00:00Z");
  EXPECT_EQ(two.run["provenance"]["started_at"], "2026-11-02T02:00:00Z");
  EXPECT_EQ(two.run["provenance"]["finished_at"], "2026-11-02T02:00:00Z");
  EXPECT_EQ(two.run["synthetic_detail"]["night"], 2);
  EXPECT_EQ(two.run["synthetic_detail"]["start"], "2026-11-01T02:00:00Z");
  EXPECT_NE(two.result.output.find("night 2 of this machine, dated 2026-11-02T02:00:00Z"), std::string::npos)
      << two.result.output;

  // Without --night each seed is its own machine, as before: no night in the detail, dated now.
  const auto plain = simulate_night(dir, "plain", {});
  ASSERT_EQ(plain.result.exit_code, 0) << plain.result.output;
  EXPECT_FALSE(plain.run["synthetic_detail"].contains("night"));
  EXPECT_NE(plain.run["provenance"]["started_at"], "2026-11-01T02:00:00Z");
  fs::remove_all(dir);
}

TEST(simulate_nights_cli, drift_scales_that_gpu_alone_and_is_recorded) {
  const auto dir = fresh_temp_dir("simulate-drift");
  const auto steady = simulate_night(dir, "steady", {"--night", "5", "--start", "2027-01-30"});
  const auto drifting =
      simulate_night(dir, "drifting", {"--night", "5", "--start", "2027-01-30", "--drift", "node003:2=-0.5"});
  ASSERT_EQ(drifting.result.exit_code, 0) << drifting.result.output;
  EXPECT_EQ(drifting.run["provenance"]["started_at"], "2027-02-03T02:00:00Z");
  const auto& drift = drifting.run["synthetic_detail"]["drift"];
  ASSERT_EQ(drift.size(), 1u);
  EXPECT_EQ(drift[0]["host"], "node003");
  EXPECT_EQ(drift[0]["gpu"], 2);
  EXPECT_EQ(drift[0]["percent_per_night"], -0.5);
  EXPECT_NEAR(drift[0]["factor"].get<double>(), std::pow(0.995, 4), 1e-12);
  const int drifting_rank = 2 * 4 + 2;
  EXPECT_EQ(drift[0]["rank"], drifting_rank);
  // Same seed, same night: the same noise, so the drifting GPU differs by its factor and no other GPU
  // differs.
  const auto with = gemm_values(drifting.run), without = gemm_values(steady.run);
  ASSERT_EQ(with.size(), 64u);
  for (const auto& [rank, value] : with) {
    if (rank == drifting_rank)
      EXPECT_NEAR(value / without.at(rank), std::pow(0.995, 4), 1e-9);
    else
      EXPECT_DOUBLE_EQ(value, without.at(rank)) << rank;
  }
  fs::remove_all(dir);
}

TEST(simulate_nights_cli, slow_drift_passes_single_nights_at_first_and_is_flagged_once_large) {
  const auto dir = fresh_temp_dir("simulate-drift-nights");
  // −0.5 % a night: 2 % down by night 5, inside the fleet's own 1 % spread (the outlier rules do not see
  // it); 13.5 % down by night 30, which they do.
  const auto fifth = simulate_night(dir, "n5", {"--night", "5", "--drift", "node003:2=-0.5"});
  EXPECT_EQ(fifth.result.exit_code, 0) << fifth.result.output;
  EXPECT_EQ(gpu_verdict(fifth.run, "node003", 2), "PASS");
  EXPECT_TRUE(fifth.run["analysis"]["device_verdicts"]["attention"].empty());
  const auto thirtieth = simulate_night(dir, "n30", {"--night", "30", "--drift", "node003:2=-0.5"});
  EXPECT_EQ(thirtieth.result.exit_code, 1) << thirtieth.result.output;
  EXPECT_NE(gpu_verdict(thirtieth.run, "node003", 2), "PASS");
  EXPECT_EQ(thirtieth.run["analysis"]["device_verdicts"]["summary"]["gpus_needing_attention"], 1);
  fs::remove_all(dir);
}

TEST(simulate_nights_cli, start_or_drift_without_night_and_bad_drifts_are_usage_errors) {
  const auto dir = fresh_temp_dir("simulate-night-usage");
  const auto no_night = simulate_night(dir, "a", {"--drift", "node003:2=-0.5"});
  EXPECT_EQ(no_night.result.exit_code, 2);
  EXPECT_NE(no_night.result.output.find("give --night N too"), std::string::npos) << no_night.result.output;
  const auto no_gpu = simulate_night(dir, "b", {"--night", "2", "--drift", "node017:0=-1"});
  EXPECT_EQ(no_gpu.result.exit_code, 2);
  EXPECT_NE(no_gpu.result.output.find("--drift node017:0"), std::string::npos) << no_gpu.result.output;
  const auto bad_start = simulate_night(dir, "c", {"--night", "2", "--start", "Nov 1"});
  EXPECT_EQ(bad_start.result.exit_code, 2);
  EXPECT_NE(bad_start.result.output.find("--start 'Nov 1'"), std::string::npos) << bad_start.result.output;
  EXPECT_EQ(simulate_night(dir, "d", {"--night", "0"}).result.exit_code, 2);
  fs::remove_all(dir);
}

// The default plan from anywhere: a binary copied into an installed layout (bin/ + share/exacheck/configs)
// finds the installed plan, and one copied alone finds the source tree it was built from — run from /tmp.
TEST(simulate_nights_cli, default_plan_is_found_from_another_directory) {
  const auto dir = fresh_temp_dir("simulate-default-plan");
  const char* built = std::getenv("EXACHECK_BINARY");
  const fs::path binary = built && *built ? fs::path(built) : fs::path(EXACHECK_BINARY);
  fs::create_directories(dir / "prefix/bin");
  fs::create_directories(dir / "prefix/share/exacheck");
  fs::copy(binary, dir / "prefix/bin/exacheck");
  fs::copy(source_dir / "configs", dir / "prefix/share/exacheck/configs", fs::copy_options::recursive);
  fs::create_directories(dir / "alone");
  fs::copy(binary, dir / "alone/exacheck");

  const fs::path was = fs::current_path();
  fs::current_path("/tmp");
  const auto simulate_with = [&](const fs::path& exe, const std::string& name) {
    ::setenv("EXACHECK_BINARY", exe.c_str(), 1);
    const auto result =
        run_cli({"simulate", "--nodes", "2", "--gpus-per-node", "2", "--slow", "0", "--system",
                 (source_dir / "configs/systems/h100-sxm.yaml").string(), "--out", (dir / name).string()},
                dir / (name + ".txt"));
    return result;
  };
  const auto installed = simulate_with(dir / "prefix/bin/exacheck", "installed");
  const auto alone = simulate_with(dir / "alone/exacheck", "alone");
  if (built && *built)
    ::setenv("EXACHECK_BINARY", built, 1);
  else
    ::unsetenv("EXACHECK_BINARY");
  fs::current_path(was);

  ASSERT_EQ(installed.exit_code, 0) << installed.output;
  EXPECT_EQ(read_json(dir / "installed/run.json")["plan"]["file"],
            (dir / "prefix/share/exacheck/configs/plans/acceptance.yaml").string());
  ASSERT_EQ(alone.exit_code, 0) << alone.output;
  EXPECT_EQ(fs::path(read_json(dir / "alone/run.json")["plan"]["file"].get<std::string>()),
            fs::weakly_canonical(source_dir / "configs/plans/acceptance.yaml"));
  fs::remove_all(dir);
}
