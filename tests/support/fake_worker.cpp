// A stand-in for `mpirun … exacheck worker …` (tests/support/fake_launcher.hpp): it runs no benchmark and
// writes a crafted result.json to the worker command's --result path — a correct one for scenario `ok`, else
// one with the fault the scenario names.
//
//   fake_worker SCENARIO mpirun -np N … exacheck worker --case CASE.json --result RESULT.json …
//
// The result is built as the real worker writes it (exacheck/case-result/v1), copying the case id and launch
// token from CASE.json unless the scenario is about them.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

nlohmann::json rank_record(int rank, const nlohmann::json& params) {
  const nlohmann::json point = {
      {"params", params},
      {"scope", "rank"},
      {"metrics",
       {{{"name", "loop_rate"},
         {"value", 0.5},
         {"unit", "GOP/s"},
         {"statistic", "median"},
         {"better", "higher"},
         {"description", "loop iterations per second (fake)"}}}},
      {"samples", {{{"name", "time"}, {"unit", "s"}, {"values", {0.001, 0.001, 0.001}}}}},
      {"correctness", {{"checked", true}, {"passed", true}, {"method", "fake"}, {"detail", "x = 1"}}},
      {"skipped", nullptr},
      {"warnings", nlohmann::json::array()}};
  return {{"rank", rank},
          {"host", "fakehost"},
          {"local_rank", rank},
          {"backend", "cpu"},
          {"device",
           {{"kind", "cpu"},
            {"name", "fake CPU"},
            {"threads", 1},
            {"logical_cpus", 2},
            {"max_clock_hz", 3e9},
            {"vector_bits", 256}}},
          {"points", {point}},
          {"timing", {{"benchmark_s", 0.003}}}};
}

// The fault of each scenario, applied to a correct result of `ranks` ranks.
bool apply(const std::string& scenario, nlohmann::json& result, int ranks) {
  auto& records = result["rank_results"];
  auto& last = records.back();
  if (scenario == "ok") return true;
  if (scenario == "missing_last_host") {  // a node of the launch that sends nothing (--host's last host)
    const auto host = last["host"];
    nlohmann::json kept = nlohmann::json::array();
    for (auto& r : records)
      if (r["host"] != host) kept.push_back(std::move(r));
    records = std::move(kept);
    return true;
  }
  if (scenario == "missing_rank")
    records.erase(records.size() - 1);
  else if (scenario == "duplicate_rank")
    records.push_back(nlohmann::json(last));
  else if (scenario == "extra_rank")
    records.push_back(rank_record(ranks, last["points"][0]["params"]));
  else if (scenario == "foreign_case")
    result["case_id"] = "someone-elses-case";
  else if (scenario == "wrong_token")
    result["token"] = "not-this-launchs-token";
  else if (scenario == "no_token")
    result.erase("token");
  else if (scenario == "nan_value")
    last["points"][0]["metrics"][0]["value"] = nullptr;  // NaN, as JSON has it
  else if (scenario == "impossible_value")
    last["points"][0]["metrics"][0]["value"] = 4e15;  // 4e24 OP/s
  else if (scenario == "no_points")
    for (auto& r : records) r["points"] = nlohmann::json::array();
  else if (scenario == "no_checks")
    for (auto& r : records) {
      r["points"][0]["metrics"] = nlohmann::json::array();
      r["points"][0]["correctness"]["checked"] = false;
    }
  else if (scenario == "unverified_rank")
    last["points"][0]["correctness"]["checked"] = false;
  else
    return false;
  return true;
}

// A rank's progress file as the worker writes it (harness/results/rank_progress.hpp), in CASE_DIR/progress.
void write_progress(const std::filesystem::path& case_dir, int rank, const std::string& host,
                    const std::string& phase, int point = 0, int points = 0) {
  std::filesystem::create_directories(case_dir / "progress");
  std::ofstream(case_dir / "progress" / ("rank-" + std::to_string(rank) + ".json")) << nlohmann::json{
      {"schema", "exacheck/rank-progress/v1"},
      {"rank", rank},
      {"host", host},
      {"pid", 1000 + rank},
      {"phase", phase},
      {"point", point},
      {"points", points},
      {"updated_at", "2026-12-03T23:24:04Z"}}.dump();
}

std::string node_of(int rank) {
  return "node0" + std::to_string(rank + 1);
}

// The launcher failures: what the ranks' progress files and the launcher's output are when it fails; the
// exit status, or -1 when the scenario is not one of them (or, for the conditional ones, not this case's).
int fail_as_launcher(const std::string& scenario, const nlohmann::json& case_json,
                     const std::filesystem::path& case_dir, int ranks) {
  if (scenario == "rank_segv") {
    // Every rank measuring; rank 3 dies of SIGSEGV on node04. srun's lines as Slurm 22.05.8 printed them on
    // the dev cluster (salloc -N 4 --ntasks-per-node=1 srun --kill-on-bad-exit=1 …).
    for (int r = 0; r < ranks; ++r) write_progress(case_dir, r, node_of(r), "measuring", 1, 1);
    std::cerr << "[node04:32669] *** Process received signal ***\n"
                 "[node04:32669] Signal: Segmentation fault (11)\n"
                 "srun: error: node04: task 3: Segmentation fault\n"
                 "srun: launch/slurm: _step_signal: Terminating StepId=5.0\n"
                 "slurmstepd-node01: error: *** STEP 5.0 ON node01 CANCELLED AT 2026-12-03T23:24:04 ***\n"
                 "srun: error: node03: task 2: Terminated\n"
                 "srun: error: node01: task 0: Terminated\n"
                 "srun: error: node02: task 1: Terminated\n"
                 "srun: Force Terminated StepId=5.0\n";
    return 143;
  }
  if (scenario == "hang_rank") {
    // Rank 1 never finishes point 4 of 9; the others wait for it in the gather.
    for (int r = 0; r < ranks; ++r)
      if (r == 1)
        write_progress(case_dir, r, node_of(r), "measuring", 4, 9);
      else
        write_progress(case_dir, r, node_of(r), "gathering", 9, 9);
    std::this_thread::sleep_for(std::chrono::seconds(300));
    return 0;
  }
  const bool once = scenario == "launch_failure_once";
  if (scenario == "launch_failure" || once) {
    const auto marker = case_dir / "fake-launch-failed";
    if (once && std::filesystem::exists(marker)) return -1;  // the second attempt runs
    std::ofstream(marker) << "1\n";
    // No rank started: no progress file. srun's words (libslurmfull.so, launch_slurm.so of Slurm 22.05.8).
    std::cerr << "srun: error: Task launch for StepId=12.0 failed on node node02: Communication connection "
                 "failure\n"
                 "srun: error: Application launch failed: Communication connection failure\n"
                 "srun: Job step aborted\n";
    return 1;
  }
  if (scenario == "slurm_ends_job" || scenario == "slurm_ends_job_silently") {
    // Cases named "dies…" are running when Slurm ends the job: every rank measuring, then (unless silently)
    // srun's words as the dev cluster printed them when node02 failed under sbatch; the launch then waits for
    // the SIGTERM that Slurm sends the whole job, the controller included (the test sends it).
    if (case_json.value("name", "").rfind("dies", 0) != 0) return -1;
    for (int r = 0; r < ranks; ++r) write_progress(case_dir, r, node_of(r), "measuring", 1, 1);
    if (scenario == "slurm_ends_job")
      std::cerr
          << "srun: error: Node failure on node02\n"
             "slurmstepd-node01: error: *** STEP 12.1 ON node01 CANCELLED AT 2026-12-04T03:25:25 DUE TO "
             "NODE FAILURE, SEE SLURMCTLD LOG FOR DETAILS ***\n"
          << std::flush;
    std::ofstream(case_dir / "fake-measuring") << "1\n";
    std::this_thread::sleep_for(std::chrono::seconds(300));
    return 143;
  }
  if (scenario == "allocation_gone") {
    // Cases named "gone…" find their allocation expired, as srun said on the dev cluster after a node failure
    // ended the job; the others run.
    if (case_json.value("name", "").rfind("gone", 0) != 0) return -1;
    std::cerr << "srun: error: Slurm job 12 has expired\n"
                 "srun: Check SLURM_JOB_ID environment variable. Expired or invalid job 12\n";
    return 1;
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: fake_worker SCENARIO LAUNCH-ARGV...\n";
    return 2;
  }
  const std::string scenario = argv[1];
  int ranks = 1;
  std::string case_file, result_file;
  std::vector<std::string> rank_hosts;  // from mpirun's --host a:2,b:2, filled by slot as mpirun does
  for (int i = 2; i + 1 < argc; ++i) {
    const std::string word = argv[i];
    if (word == "-np") ranks = std::atoi(argv[i + 1]);
    if (word.rfind("--ntasks=", 0) == 0) ranks = std::atoi(word.c_str() + 9);
    if (word == "--host") {
      std::stringstream list(argv[i + 1]);
      std::string entry;
      while (std::getline(list, entry, ',')) {
        const auto colon = entry.find(':');
        const int slots = colon == std::string::npos ? 1 : std::atoi(entry.c_str() + colon + 1);
        for (int s = 0; s < slots; ++s) rank_hosts.push_back(entry.substr(0, colon));
      }
    }
    if (word == "--case") case_file = argv[i + 1];
    if (word == "--result") result_file = argv[i + 1];
  }
  std::ifstream in(case_file);
  std::stringstream text;
  text << in.rdbuf();
  const auto case_json = nlohmann::json::parse(text.str());
  const int failed =
      fail_as_launcher(scenario, case_json, std::filesystem::path(case_file).parent_path(), ranks);
  if (failed >= 0) return failed;
  nlohmann::json result = {{"schema", "exacheck/case-result/v1"},
                           {"case_id", case_json.value("id", "")},
                           {"token", case_json.value("token", "")},
                           {"benchmark", case_json.value("benchmark", "")},
                           {"ranks", ranks},
                           {"exacheck_version", "fake"},
                           {"libraries", nlohmann::json::object()},
                           {"rank_results", nlohmann::json::array()}};
  for (int r = 0; r < ranks; ++r) {
    result["rank_results"].push_back(rank_record(r, case_json["params"]));
    if (static_cast<std::size_t>(r) < rank_hosts.size())
      result["rank_results"].back()["host"] = rank_hosts[r];
  }
  const bool launcher_scenario = scenario == "launch_failure_once" || scenario == "allocation_gone" ||
                                 scenario == "slurm_ends_job" || scenario == "slurm_ends_job_silently";
  if (!launcher_scenario && !apply(scenario, result, ranks)) {
    std::cerr << "fake_worker: unknown scenario '" << scenario << "'\n";
    return 2;
  }
  std::ofstream(result_file) << result.dump();
  std::cout << "fake_worker: wrote a '" << scenario << "' result of " << ranks << " rank(s) to "
            << result_file << "\n";
  return 0;
}
