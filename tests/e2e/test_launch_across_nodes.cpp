// `exacheck run` across nodes without a cluster: the launch commands it prints (--dry-run) under a made-up
// Slurm allocation (SLURM_* in exacheck's environment) and with mpirun hosts, and what run.json records of
// the job, each launch and the hosts that reported, with a fake mpirun (tests/support/fake_launcher.hpp). A
// node of a launch that sent nothing for a case is MISSING in run.json and the reports.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "../support/cli_runner.hpp"
#include "../support/fake_launcher.hpp"
#include "../support/slurm_allocation_fixtures.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {

// `salloc -N 4 --ntasks-per-node=1` on nodes whose allocation gives each task 3 CPUs (a number no
// controller's own CPU mask is likely to have: the old code printed that mask).
std::map<std::string, std::string> three_cpu_allocation() {
  return four_node_allocation("4242", "batch", "3");
}

const fs::path source_dir = EXACHECK_SOURCE_DIR;
const std::string quick_plan = (source_dir / "configs/plans/quick.yaml").string();

// The printed launch lines ("$ …") of a dry run.
std::vector<std::string> command_lines(const std::string& output) {
  std::vector<std::string> lines;
  std::size_t at = 0;
  while ((at = output.find("$ ", at)) != std::string::npos) {
    const auto end = output.find('\n', at);
    lines.push_back(output.substr(at + 2, end - at - 2));
    at = end;
  }
  return lines;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST(launch_across_nodes, srun_inside_an_allocation_asks_for_its_cpus_not_the_controllers) {
  const scoped_environment slurm(three_cpu_allocation());
  const auto dir = fresh_temp_dir("launch-srun");
  const auto result =
      run_cli({"run", quick_plan, "--launcher", "srun", "--dry-run", "--out", (dir / "run").string()},
              dir / "out.txt");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto lines = command_lines(result.output);
  ASSERT_FALSE(lines.empty()) << result.output;
  for (const auto& line : lines) {
    EXPECT_TRUE(contains(line, "srun --ntasks=")) << line;
    EXPECT_TRUE(contains(line, "--cpus-per-task=3 ")) << line;
    EXPECT_TRUE(contains(line, "--threads 3")) << line;
  }
  EXPECT_TRUE(contains(result.output, "Slurm job 4242 (batch): 4 node(s) node[01-04]")) << result.output;
}

TEST(launch_across_nodes, ranks_all_is_every_task_of_the_allocation_for_srun) {
  const scoped_environment slurm(three_cpu_allocation());
  const auto dir = fresh_temp_dir("launch-all");
  const auto result = run_cli({"run", quick_plan, "--launcher", "srun", "--ranks", "all", "--case",
                               "allreduce", "--dry-run", "--out", (dir / "run").string()},
                              dir / "out.txt");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(contains(result.output, "ranks 4 · 3 threads/rank")) << result.output;
  EXPECT_TRUE(contains(result.output, "srun --ntasks=4 --nodes=4 --cpus-per-task=3 ")) << result.output;
}

TEST(launch_across_nodes, mpirun_inside_an_allocation_maps_the_allocations_ranks_per_node) {
  auto variables = three_cpu_allocation();
  variables["SLURM_TASKS_PER_NODE"] = "2(x4)";
  variables["SLURM_NTASKS"] = "8";
  variables["SLURM_JOB_CPUS_PER_NODE"] = "16(x4)";
  const scoped_environment slurm(variables);
  const auto dir = fresh_temp_dir("launch-mpirun-slurm");
  const auto result = run_cli({"run", quick_plan, "--launcher", "mpirun", "--ranks", "all", "--case",
                               "allreduce", "--dry-run", "--out", (dir / "run").string()},
                              dir / "out.txt");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  // Was: -np 8 on the controller's own CPUs (--oversubscribe, one thread each).
  EXPECT_TRUE(
      contains(result.output,
               "mpirun -np 8 --map-by ppr:2:node:PE=8 --bind-to core --mca orte_abort_on_non_zero_status 1"))
      << result.output;
  EXPECT_FALSE(contains(result.output, "--oversubscribe")) << result.output;
  EXPECT_TRUE(contains(result.output, "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"))
      << result.output;
}

TEST(launch_across_nodes, a_malformed_slurm_variable_is_a_usage_error_naming_it) {
  auto variables = three_cpu_allocation();
  variables["SLURM_TASKS_PER_NODE"] = "1(x4";
  const scoped_environment slurm(variables);
  const auto dir = fresh_temp_dir("launch-malformed");
  const auto result =
      run_cli({"run", quick_plan, "--launcher", "srun", "--dry-run", "--out", (dir / "run").string()},
              dir / "out.txt");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_TRUE(contains(result.output, "SLURM_TASKS_PER_NODE='1(x4'")) << result.output;
}

TEST(launch_across_nodes, more_ranks_than_the_allocation_has_is_refused_before_anything_runs) {
  const scoped_environment slurm(three_cpu_allocation());
  const auto dir = fresh_temp_dir("launch-too-many");
  const auto result =
      run_cli({"run", quick_plan, "--launcher", "srun", "--ranks", "5", "--out", (dir / "run").string()},
              dir / "out.txt");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_TRUE(contains(result.output, "5 ranks, but Slurm job 4242")) << result.output;
  EXPECT_FALSE(fs::exists(dir / "run" / "run.json"));
}

TEST(launch_across_nodes, ranks_all_outside_slurm_without_hosts_says_what_it_needs) {
  const auto dir = fresh_temp_dir("launch-all-outside");
  const auto result = run_cli({"run", quick_plan, "--ranks", "all", "--dry-run"}, dir / "out.txt");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_TRUE(contains(result.output, "SLURM_JOB_ID is not set")) << result.output;
  EXPECT_TRUE(contains(result.output, "--hostfile")) << result.output;
}

TEST(launch_across_nodes, mpirun_takes_hosts_from_the_command_line) {
  const auto dir = fresh_temp_dir("launch-hosts");
  const auto result = run_cli(
      {"run", quick_plan, "--hosts", "nodea:4,nodeb:4", "--ranks", "all", "--case", "allreduce", "--dry-run"},
      dir / "out.txt");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(contains(result.output, "mpirun -np 8 --host nodea:4,nodeb:4 --map-by ppr:4:node:PE=1"))
      << result.output;
}

TEST(launch_across_nodes, a_plans_hostfile_cpus_and_launcher_args_reach_the_command) {
  const auto dir = fresh_temp_dir("launch-hostfile");
  write_text(dir / "hosts.txt", "nodea slots=2\nnodeb slots=2\n");
  write_text(dir / "plan.yaml",
             "schema: exacheck/plan/v1\nname: hostfile\n"
             "defaults: {launcher: mpirun, ranks: all, hostfile: hosts.txt, cpus_per_node: 8,\n"
             "           launcher_args: [--mca, btl, 'tcp,self']}\n"
             "cases:\n  - {name: loop, benchmark: selftest, params: {loop: 1000}}\n");
  const auto result = run_cli({"run", (dir / "plan.yaml").string(), "--dry-run"}, dir / "out.txt");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(contains(result.output, "mpirun -np 4 --hostfile " + (dir / "hosts.txt").string() +
                                          " --map-by ppr:2:node:PE=4 --bind-to core"))
      << result.output;
  EXPECT_TRUE(contains(result.output, "-x OPENBLAS_NUM_THREADS --mca btl tcp,self ")) << result.output;
}

TEST(launch_across_nodes, run_json_records_each_launch_its_rerun_line_and_the_hosts_that_reported) {
  const auto dir = fresh_temp_dir("launch-record");
  write_text(dir / "plan.yaml",
             "schema: exacheck/plan/v1\nname: record\n"
             "defaults: {launcher: mpirun, ranks: all, timeout: 60s}\n"
             "cases:\n  - {name: loop, benchmark: selftest, params: {loop: 1000}}\n");
  const scoped_environment settings(std::map<std::string, std::string>{{"OMPI_MCA_btl", "tcp,self"}});
  const fake_launcher launcher("ok");
  const auto result = run_cli(
      {"run", (dir / "plan.yaml").string(), "--hosts", "nodea:2,nodeb:2", "--out", (dir / "run").string()},
      dir / "out.txt");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto run = read_json(dir / "run" / "run.json");
  EXPECT_TRUE(run["provenance"]["slurm"].is_null());
  EXPECT_EQ(run["provenance"]["expected_hosts"], nlohmann::json({"nodea", "nodeb"}));
  const auto& c = run["cases"][0];
  EXPECT_EQ(c["expected_hosts"], nlohmann::json({"nodea", "nodeb"}));
  EXPECT_EQ(c["hosts"], nlohmann::json({"nodea", "nodeb"}));
  const auto& launch = c["launch"];
  EXPECT_EQ(launch["argv"], c["command"]);
  EXPECT_EQ(launch["environment"]["OMPI_MCA_btl"], "tcp,self");
  EXPECT_EQ(launch["environment"]["OMPI_ALLOW_RUN_AS_ROOT"], "1");
  EXPECT_EQ(launch["hosts"], "nodea:2,nodeb:2");
  EXPECT_EQ(launch["threads_per_rank"], 1);
  const std::string rerun = launch["rerun"];
  EXPECT_EQ(rerun.rfind("env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=tcp,self "
                        "OMP_NUM_THREADS=1 OMP_PROC_BIND=false OPENBLAS_NUM_THREADS=1 "
                        "mpirun -np 4 --host nodea:2,nodeb:2 ",
                        0),
            0u)
      << rerun;
  // The case's files are absolute in the command: the rerun line works from any directory.
  EXPECT_TRUE(contains(rerun, " --case " + (fs::absolute(dir) / "run" / "cases").string())) << rerun;
}

TEST(launch_across_nodes, a_host_that_sent_nothing_for_a_case_is_missing_in_run_json_and_the_reports) {
  const auto dir = fresh_temp_dir("launch-missing");
  write_text(dir / "plan.yaml",
             "schema: exacheck/plan/v1\nname: missing\n"
             "defaults: {launcher: mpirun, ranks: all, timeout: 60s}\n"
             "cases:\n  - {name: loop, benchmark: selftest, params: {loop: 1000}}\n");
  const fake_launcher launcher("missing_last_host");
  const auto result = run_cli({"run", (dir / "plan.yaml").string(), "--hosts", "nodea:2,nodeb:2,nodec:2",
                               "--out", (dir / "run").string()},
                              dir / "out.txt");
  EXPECT_EQ(result.exit_code, 3) << result.output;
  const auto run = read_json(dir / "run" / "run.json");
  const auto& c = run["cases"][0];
  EXPECT_EQ(c["hosts"], nlohmann::json({"nodea", "nodeb"}));
  const auto& verdicts = run["analysis"]["device_verdicts"];
  EXPECT_EQ(verdicts["summary"]["missing"]["nodes"], 1) << verdicts.dump(1);
  nlohmann::json nodec;
  for (const auto& node : verdicts["nodes"])
    if (node["host"] == "nodec") nodec = node;
  ASSERT_FALSE(nodec.is_null()) << "the silent node must be in the analysis, not absent from it";
  EXPECT_EQ(nodec["verdict"], "MISSING");
  EXPECT_EQ(nodec["reasons"][0]["kind"], "missing");
  EXPECT_EQ(nodec["reasons"][0]["case_id"], c["id"]);
  // First among the devices needing attention, by name, in every report.
  ASSERT_FALSE(verdicts["attention"].empty());
  const auto& first = verdicts["attention"][0];
  ASSERT_TRUE(first.contains("node")) << first;
  EXPECT_EQ(verdicts["nodes"][first["node"].get<std::size_t>()]["host"], "nodec");
  const std::string markdown = slurp(dir / "run" / "report.md");
  const auto md_at = markdown.find("## Devices needing attention");
  ASSERT_NE(md_at, std::string::npos);
  EXPECT_TRUE(contains(markdown.substr(md_at, 3000), "nodec")) << markdown.substr(md_at, 3000);
  EXPECT_TRUE(contains(markdown.substr(md_at, 3000), "MISSING")) << markdown.substr(md_at, 3000);
  // The errored case's section gives the line that runs it again as it ran.
  EXPECT_TRUE(
      contains(markdown,
               "- rerun: `env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 "
               "OMP_PROC_BIND=false OPENBLAS_NUM_THREADS=1 mpirun -np 6 --host nodea:2,nodeb:2,nodec:2"))
      << markdown;
  const std::string html = slurp(dir / "run" / "report.html");
  EXPECT_TRUE(contains(html, "nodec")) << "report.html";
  EXPECT_TRUE(contains(html, "<p>rerun: <code>env OMPI_ALLOW_RUN_AS_ROOT=1")) << "report.html";
  EXPECT_TRUE(contains(result.output, "nodec")) << result.output;
}

TEST(launch_across_nodes, run_json_names_the_slurm_job_and_its_nodes) {
  const scoped_environment allocation(three_cpu_allocation());
  const auto dir = fresh_temp_dir("launch-job");
  write_text(dir / "plan.yaml",
             "schema: exacheck/plan/v1\nname: job\n"
             "defaults: {launcher: mpirun, ranks: all, timeout: 60s}\n"
             "cases:\n  - {name: loop, benchmark: selftest, params: {loop: 1000}}\n");
  const fake_launcher launcher("ok");  // every rank says it ran on "fakehost": no node of the job reported
  const auto result =
      run_cli({"run", (dir / "plan.yaml").string(), "--out", (dir / "run").string()}, dir / "out.txt");
  const auto run = read_json(dir / "run" / "run.json");
  const auto& slurm = run["provenance"]["slurm"];
  EXPECT_EQ(slurm["job_id"], "4242");
  EXPECT_EQ(slurm["partition"], "batch");
  EXPECT_EQ(slurm["nodes"], nlohmann::json({"node01", "node02", "node03", "node04"}));
  EXPECT_EQ(slurm["tasks_per_node"], nlohmann::json({1, 1, 1, 1}));
  EXPECT_EQ(slurm["cpus_per_node"], nlohmann::json({3, 3, 3, 3}));
  EXPECT_EQ(run["cases"][0]["expected_hosts"], slurm["nodes"]);
  // The job's nodes sent nothing: each is MISSING, and the run is never a PASS.
  EXPECT_EQ(run["analysis"]["device_verdicts"]["summary"]["missing"]["nodes"], 4);
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_NE(run["verdict"], "PASS");
}
