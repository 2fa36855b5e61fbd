// End-to-end: nightly runs of one plan, one node each, merged into one fleet (`exacheck report --merge`),
// and failing nodes drained and fixed ones resumed through Slurm's commands (`exacheck drain`, `resume`),
// here a fake sinfo and scontrol on PATH that keep the nodes' states in a file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "../support/cli_runner.hpp"

using namespace exacheck::testing;
namespace fs = std::filesystem;

namespace {

std::string plan_text(const std::string& name, const std::string& selftest_params) {
  return "schema: exacheck/plan/v1\nname: " + name +
         "\ndefaults: {backend: cpu, launcher: mpirun, ranks: 2, timeout: 60s,\n"
         "  measure: {warmup_iterations: 1, min_iterations: 3, max_iterations: 10, min_time: 1ms, "
         "max_time: 50ms}}\n"
         "cases:\n"
         "  - {name: selftest, benchmark: selftest, params: {" +
         selftest_params +
         "}}\n"
         "  - {name: allreduce, benchmark: allreduce, params: {bytes: 1KiB, dtype: fp32}}\n";
}

// A variable set for as long as this lives (the exacheck runs inherit it).
class scoped_env {
 public:
  scoped_env(const char* name, const std::string& value) : m_name(name) {
    if (const char* old = std::getenv(name)) m_old = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~scoped_env() {
    if (m_old)
      ::setenv(m_name, m_old->c_str(), 1);
    else
      ::unsetenv(m_name);
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  const char* m_name;
  std::optional<std::string> m_old;
};

// `exacheck run plan --out dir` with its two ranks named as on `hosts` ("node01,node01": one node).
cli_result run_as(const fs::path& plan, const fs::path& out, const std::string& hosts) {
  const scoped_env names("EXACHECK_TEST_HOST_NAMES", hosts);
  return run_cli({"run", plan.string(), "--out", out.string()}, out.string() + ".txt");
}

// sinfo prints $FAKE_SLURM/states ("node01|idle|none" a line); scontrol logs its arguments to
// $FAKE_SLURM/calls and sets the node's state and reason in the file, as Slurm would.
void write_fake_slurm(const fs::path& bin) {
  fs::create_directories(bin);
  write_text(bin / "sinfo", "#!/bin/bash\ncat \"$FAKE_SLURM/states\"\n");
  write_text(
      bin / "scontrol",
      "#!/bin/bash\necho \"$*\" >> \"$FAKE_SLURM/calls\"\n"
      "node=; state=; reason=none\n"
      "for a in \"$@\"; do case \"$a\" in nodename=*) node=${a#nodename=};; state=*) state=${a#state=};;\n"
      "  reason=*) reason=${a#reason=};; esac; done\n"
      "[ \"$state\" = resume ] && { state=idle; reason=none; }\n"
      "[ \"$state\" = drain ] && state=drained\n"
      "grep -v \"^$node|\" \"$FAKE_SLURM/states\" > \"$FAKE_SLURM/states.new\"\n"
      "echo \"$node|$state|$reason\" >> \"$FAKE_SLURM/states.new\"\n"
      "mv \"$FAKE_SLURM/states.new\" \"$FAKE_SLURM/states\"\n");
  for (const char* name : {"sinfo", "scontrol"}) ::chmod((bin / name).c_str(), 0755);
}

}  // namespace

TEST(fleet_merge, three_nightly_runs_merge_into_one_fleet_with_the_node_without_a_run_missing_first) {
  const auto dir = fresh_temp_dir("merge3");
  write_text(dir / "plan.yaml", plan_text("nightly-tiny", "loop: 1000"));
  for (const char* node : {"node01", "node02", "node03"}) {
    const auto ran = run_as(dir / "plan.yaml", dir / node, std::string(node) + "," + node);
    ASSERT_EQ(ran.exit_code, 0) << ran.output;
  }
  write_text(dir / "expected.txt", "# the partition\nnode[01-02]\nnode03 node04\n");
  const auto merged =
      run_cli({"report", "--merge", (dir / "node03").string(), (dir / "node01").string(),
               (dir / "node02").string(), "--out", (dir / "fleet").string(), "--expected-file",
               (dir / "expected.txt").string(), "--prom-textfile", (dir / "fleet.prom").string()},
              dir / "merge.txt");
  // Every check passed, but node04 never ran: INCOMPLETE (exit 3), and said before anything else.
  EXPECT_EQ(merged.exit_code, 3) << merged.output;
  EXPECT_EQ(merged.output.rfind("MISSING  node04", 0), 0u) << merged.output;
  const auto run = read_json(dir / "fleet" / "run.json");
  EXPECT_EQ(run["verdict"], "INCOMPLETE");
  const auto& runs = run["provenance"]["merged"]["runs"];
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0]["id"], "node01");
  EXPECT_EQ(runs[0]["run_dir"], fs::absolute(dir / "node01").lexically_normal().string());
  EXPECT_EQ(run["provenance"]["hosts"], nlohmann::json({"node01", "node02", "node03"}));
  // One fleet: the self-test's six ranks in one point, each case traceable to its three runs.
  for (const auto& c : run["cases"]) {
    EXPECT_EQ(c["ranks"], 6) << c["id"];
    EXPECT_EQ(c["sources"].size(), 3u) << c["id"];
    if (c["benchmark"] == "selftest") {
      EXPECT_EQ(c["results"][0]["ranks"].size(), 6u);
    }
  }
  std::string node04;
  for (const auto& node : run["analysis"]["device_verdicts"]["nodes"])
    if (node["host"] == "node04") node04 = node["verdict"];
  EXPECT_EQ(node04, "MISSING");
  for (const char* file : {"report.md", "report.html", "junit.xml", "results.csv", "metrics.prom"})
    EXPECT_TRUE(fs::exists(dir / "fleet" / file)) << file;
  // The merged fleet's metrics at the operator's stable path (--prom-textfile): one file for every node.
  EXPECT_EQ(slurp(dir / "fleet.prom"), slurp(dir / "fleet" / "metrics.prom"));
  const std::string report = slurp(dir / "fleet" / "report.md");
  EXPECT_NE(report.find("**MERGED** from 3 run(s) of this plan on 3 node(s) (node01 … node03)"),
            std::string::npos)
      << report;
  EXPECT_NE(report.find("without a run, MISSING: node04"), std::string::npos) << report;
  // The merged directory is a run directory like any other: `report` re-renders it with the same verdict.
  const auto again = run_cli({"report", (dir / "fleet").string()}, dir / "again.txt");
  EXPECT_EQ(again.exit_code, 3) << again.output;
  // And a second merge into it replaces it (it holds a merge, not a run of its own).
  const auto replaced = run_cli({"report", "--merge", (dir / "node01").string(), (dir / "node02").string(),
                                 (dir / "node03").string(), "--out", (dir / "fleet").string()},
                                dir / "replaced.txt");
  EXPECT_EQ(replaced.exit_code, 0) << replaced.output;
}

TEST(fleet_merge, runs_of_two_plans_are_refused_naming_both_and_nothing_is_written) {
  const auto dir = fresh_temp_dir("merge-plans");
  write_text(dir / "a.yaml", plan_text("nightly-tiny", "loop: 1000"));
  write_text(dir / "b.yaml", plan_text("nightly-tiny", "loop: 2000"));  // same name, another plan
  ASSERT_EQ(run_as(dir / "a.yaml", dir / "a", "node01,node01").exit_code, 0);
  ASSERT_EQ(run_as(dir / "b.yaml", dir / "b", "node02,node02").exit_code, 0);
  const auto merged = run_cli(
      {"report", "--merge", (dir / "a").string(), (dir / "b").string(), "--out", (dir / "fleet").string()},
      dir / "merge.txt");
  EXPECT_EQ(merged.exit_code, 2) << merged.output;
  EXPECT_NE(merged.output.find("different plans"), std::string::npos) << merged.output;
  EXPECT_NE(merged.output.find((dir / "a").string()), std::string::npos) << merged.output;
  EXPECT_NE(merged.output.find((dir / "b").string()), std::string::npos) << merged.output;
  EXPECT_FALSE(fs::exists(dir / "fleet" / "run.json"));
  // Nor into a directory that holds a run of its own.
  const auto onto_run =
      run_cli({"report", "--merge", (dir / "a").string(), "--out", (dir / "b").string()}, dir / "onto.txt");
  EXPECT_EQ(onto_run.exit_code, 2) << onto_run.output;
}

TEST(drain, a_wrong_answer_drains_its_node_and_resume_returns_only_exacheck_s_fixed_node) {
  const auto dir = fresh_temp_dir("drain");
  write_fake_slurm(dir / "bin");
  write_text(dir / "states", "node01|drained|bad DIMM, ticket 4711\nnode02|idle|none\nnode03|idle|none\n");
  const scoped_env fake("FAKE_SLURM", dir.string());
  const scoped_env path("PATH", (dir / "bin").string() + ":" + std::getenv("PATH"));
  write_text(dir / "bad.yaml", plan_text("wrong", "loop: 1000, mode: wrong, rank: 1"));
  write_text(dir / "good.yaml", plan_text("wrong", "loop: 1000"));
  // Rank 1, on node02, answers wrongly; node01 (drained by an admin) passes.
  ASSERT_EQ(run_as(dir / "bad.yaml", dir / "bad", "node01,node02").exit_code, 1);

  // By default only printed: nothing changes.
  const auto printed = run_cli({"drain", (dir / "bad").string()}, dir / "printed.txt");
  EXPECT_EQ(printed.exit_code, 1) << printed.output;
  const std::string command =
      "scontrol update nodename=node02 state=drain reason='exacheck: cpu 1 selftest correctness INCORRECT "
      "run "
      "bad'";
  EXPECT_NE(printed.output.find(command), std::string::npos) << printed.output;
  EXPECT_FALSE(fs::exists(dir / "calls"));

  const auto applied = run_cli({"drain", (dir / "bad").string(), "--apply"}, dir / "applied.txt");
  EXPECT_EQ(applied.exit_code, 1) << applied.output;
  EXPECT_EQ(
      slurp(dir / "calls"),
      "update nodename=node02 state=drain reason=exacheck: cpu 1 selftest correctness INCORRECT run bad\n");
  EXPECT_NE(slurp(dir / "states").find("node01|drained|bad DIMM, ticket 4711"), std::string::npos);

  // Fixed: node02 passes now and comes back; node01 passes too, but its drain is not exacheck's.
  ASSERT_EQ(run_as(dir / "good.yaml", dir / "good", "node01,node02").exit_code, 0);
  const auto resumed = run_cli({"resume", (dir / "good").string(), "--apply"}, dir / "resumed.txt");
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(slurp(dir / "calls").find("update nodename=node02 state=resume"), std::string::npos);
  EXPECT_EQ(slurp(dir / "calls").find("nodename=node01"), std::string::npos) << slurp(dir / "calls");
  EXPECT_NE(resumed.output.find("left alone  node01"), std::string::npos) << resumed.output;
  EXPECT_NE(slurp(dir / "states").find("node02|idle|none"), std::string::npos);
}

TEST(drain, every_node_failing_is_over_the_cap_and_drains_nothing) {
  const auto dir = fresh_temp_dir("drain-cap");
  write_fake_slurm(dir / "bin");
  write_text(dir / "states", "node01|idle|none\nnode02|idle|none\n");
  const scoped_env fake("FAKE_SLURM", dir.string());
  const scoped_env path("PATH", (dir / "bin").string() + ":" + std::getenv("PATH"));
  write_text(dir / "bad.yaml", plan_text("wrong", "loop: 1000, mode: wrong"));  // every rank wrong
  ASSERT_EQ(run_as(dir / "bad.yaml", dir / "bad", "node01,node02").exit_code, 1);
  const auto capped = run_cli({"drain", (dir / "bad").string(), "--apply"}, dir / "capped.txt");
  EXPECT_EQ(capped.exit_code, 4) << capped.output;
  EXPECT_NE(capped.output.find("NOTHING was drained"), std::string::npos) << capped.output;
  EXPECT_FALSE(fs::exists(dir / "calls"));
  // Raised on purpose, both go.
  const auto raised =
      run_cli({"drain", (dir / "bad").string(), "--apply", "--max-nodes", "2"}, dir / "raised.txt");
  EXPECT_EQ(raised.exit_code, 1) << raised.output;
  EXPECT_NE(slurp(dir / "calls").find("nodename=node01"), std::string::npos);
  EXPECT_NE(slurp(dir / "calls").find("nodename=node02"), std::string::npos);
}

TEST(drain, without_slurm_the_commands_are_printed_and_not_applied) {
  const auto dir = fresh_temp_dir("drain-noslurm");
  write_text(dir / "bad.yaml", plan_text("wrong", "loop: 1000, mode: wrong, rank: 1"));
  ASSERT_EQ(run_as(dir / "bad.yaml", dir / "bad", "node01,node02").exit_code, 1);
  fs::create_directories(dir / "empty");
  const scoped_env path("PATH", (dir / "empty").string());  // neither sinfo nor scontrol
  const auto result = run_cli({"drain", (dir / "bad").string(), "--apply"}, dir / "out.txt");
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_NE(result.output.find("scontrol update nodename=node02 state=drain"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("could not apply"), std::string::npos) << result.output;
  const auto resume = run_cli({"resume", (dir / "bad").string(), "--apply"}, dir / "resume.txt");
  EXPECT_EQ(resume.exit_code, 3) << resume.output;
}
