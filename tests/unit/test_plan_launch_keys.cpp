// The plan keys that say where a case's ranks run (docs/plan-schema.md "Where the ranks run"): `ranks: all`,
// `hosts`, `hostfile`, `cpus_per_node`, `launcher_args`, in defaults and per case; a bad value names its
// file:line.
#include <gtest/gtest.h>

#include "harness/plan/hosts.hpp"
#include "harness/plan/plan.hpp"
#include "plan_test_support.hpp"

namespace exacheck {
namespace {

using testing::issue_with;

const std::string header = "schema: exacheck/plan/v1\nname: test\n";

class plan_launch_keys : public testing::plan_files {};

TEST_F(plan_launch_keys, ranks_all_hosts_and_launcher_args_reach_every_case_unless_a_case_sets_its_own) {
  const plan p = load(header +
                      "defaults:\n"
                      "  ranks: all\n"
                      "  hosts: [node01:4, node02:4]\n"
                      "  cpus_per_node: 64\n"
                      "  launcher_args: [--mca, btl, 'tcp,self']\n"
                      "cases:\n"
                      "  - {name: everywhere, benchmark: allreduce}\n"
                      "  - {name: pair, benchmark: allreduce, ranks: 2, hosts: [node03, node04],\n"
                      "     launcher_args: [--report-bindings]}\n");
  const auto cases = expand(p, m_registry);
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_EQ(cases[0].ranks, all_ranks);
  ASSERT_EQ(cases[0].hosts.hosts.size(), 2u);
  EXPECT_EQ(cases[0].hosts.hosts[1].host, "node02");
  EXPECT_EQ(cases[0].hosts.hosts[1].slots, 4);
  EXPECT_EQ(cases[0].cpus_per_node, 64);
  EXPECT_EQ(cases[0].launcher_args, (std::vector<std::string>{"--mca", "btl", "tcp,self"}));
  EXPECT_EQ(cases[1].ranks, 2);
  EXPECT_EQ(cases[1].hosts.hosts[0].host, "node03");
  EXPECT_EQ(cases[1].hosts.hosts[0].slots, 0);
  EXPECT_EQ(cases[1].launcher_args, (std::vector<std::string>{"--report-bindings"}));
}

TEST_F(plan_launch_keys, a_hostfile_is_read_relative_to_the_plan) {
  write("hosts/cluster.txt", "# the rack\nnode01 slots=2 max_slots=4\n\nnode02 slots=2  # second\n");
  const plan p =
      load(header + "defaults: {hostfile: hosts/cluster.txt}\ncases: [{name: a, benchmark: allreduce}]\n");
  const auto& hosts = p.defaults.hosts;
  ASSERT_EQ(hosts.hosts.size(), 2u);
  EXPECT_EQ(hosts.hosts[0].host, "node01");
  EXPECT_EQ(hosts.hosts[0].slots, 2);
  EXPECT_EQ(hosts.hostfile, (m_dir / "hosts/cluster.txt").string());
}

TEST_F(plan_launch_keys, bad_values_name_the_plan_line_and_what_was_expected) {
  write("bad-hosts.txt", "node01 slots=2\nnode02 slot=2\n");
  const auto issues = plan_issues(header +
                                  "defaults:\n"
                                  "  ranks: everything\n"  // line 4
                                  "  cpus_per_node: 0\n"   // line 5
                                  "cases:\n"
                                  "  - name: a\n"
                                  "    benchmark: allreduce\n"
                                  "    hosts: [node01, 'bad host', 'n2:0']\n"  // line 9
                                  "  - name: b\n"
                                  "    benchmark: allreduce\n"
                                  "    hostfile: bad-hosts.txt\n"  // line 12
                                  "  - name: c\n"
                                  "    benchmark: allreduce\n"
                                  "    hostfile: missing.txt\n"  // line 15
                                  "  - name: d\n"
                                  "    benchmark: allreduce\n"
                                  "    hosts: [a]\n"
                                  "    hostfile: bad-hosts.txt\n"  // line 19
                                  "    launcher_args: --mca\n");   // line 20
  const auto text = [&](int line) {
    std::string all;
    for (const auto& i : issues)
      if (i.where.line == line) all += i.to_string() + "\n";
    return all;
  };
  EXPECT_NE(
      text(4).find("defaults ranks is 'everything'; expected an integer >= 1 and <= 2147483647, or all"),
      std::string::npos)
      << text(4);
  EXPECT_NE(text(5).find("cpus_per_node is '0'"), std::string::npos) << text(5);
  EXPECT_NE(text(9).find("'bad host' is not a host name"), std::string::npos) << text(9);
  EXPECT_NE(text(9).find("'n2:0': the slots after ':'"), std::string::npos) << text(9);
  EXPECT_NE(text(12).find("bad-hosts.txt:2: unknown word 'slot=2'"), std::string::npos) << text(12);
  EXPECT_NE(text(15).find("missing.txt"), std::string::npos) << text(15);
  EXPECT_NE(text(15).find("does not exist"), std::string::npos) << text(15);
  EXPECT_NE(text(19).find("both hosts and hostfile"), std::string::npos) << text(19);
  EXPECT_NE(text(20).find("launcher_args is"), std::string::npos) << text(20);
  for (const auto& i : issues)
    EXPECT_NE(i.to_string().find("plan.yaml:"), std::string::npos) << i.to_string();
}

TEST(host_list, entries_with_and_without_slots) {
  const auto hosts = parse_host_list("a:4,b,c.example.org:1", "--hosts");
  ASSERT_EQ(hosts.size(), 3u);
  EXPECT_EQ(hosts[0].slots, 4);
  EXPECT_EQ(hosts[1].slots, 0);
  EXPECT_EQ(hosts[2].host, "c.example.org");
  EXPECT_EQ(host_argument(hosts), "a:4,b:1,c.example.org:1");
  for (const char* bad : {"", "a,,b", "a:", "a:x", "a:0", "-a", "a b"})
    EXPECT_THROW(parse_host_list(bad, "--hosts"), std::invalid_argument) << bad;
}

TEST(hostfile, an_empty_hostfile_or_a_bad_slot_count_names_the_file_and_line) {
  EXPECT_THROW(parse_hostfile_text("# nothing\n\n", "h.txt"), std::invalid_argument);
  try {
    parse_hostfile_text("a slots=2\nb slots=many\n", "h.txt");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("h.txt:2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace exacheck
