// Where a case's ranks go and the argv that starts them (harness/controller/launch_layout.hpp): inside a
// Slurm allocation every size comes from the allocation, for srun and mpirun alike; mpirun outside Slurm
// takes the hosts it is given; a layout that cannot be given is a usage error naming the case.
#include <gtest/gtest.h>

#include <algorithm>

#include "../support/slurm_allocation_fixtures.hpp"
#include "harness/controller/launch_layout.hpp"
#include "harness/core/errors.hpp"

using namespace exacheck;
using exacheck::testing::usage_error_of;

namespace {
using strings = std::vector<std::string>;

bool contains_sequence(const strings& argv, const strings& sequence) {
  return std::search(argv.begin(), argv.end(), sequence.begin(), sequence.end()) != argv.end();
}
bool has(const strings& argv, const std::string& word) {
  return std::find(argv.begin(), argv.end(), word) != argv.end();
}

slurm_allocation allocation(int nodes, int tasks_per_node, int cpus_per_node) {
  slurm_allocation a;
  a.job_id = "12";
  a.partition = "debug";
  a.node_list = "node[01-04]";
  for (int i = 1; i <= nodes; ++i) a.nodes.push_back("node0" + std::to_string(i));
  a.tasks_per_node.assign(static_cast<std::size_t>(nodes), tasks_per_node);
  a.cpus_per_node.assign(static_cast<std::size_t>(nodes), cpus_per_node);
  a.tasks = nodes * tasks_per_node;
  return a;
}

expanded_case a_case(const std::string& launcher, int ranks) {
  expanded_case c;
  c.name = "allreduce";
  c.launcher = launcher;
  c.ranks = ranks;
  return c;
}

// The layout's argv with a worker, as the controller builds it.
strings argv_of(const launch_layout& layout) {
  launch_request request = layout.request;
  request.worker_argv = {"/opt/exacheck", "worker", "--case", "/runs/r/cases/c/case.json"};
  return build_launch_command(request).argv;
}

// The controller of `salloc -N 4 --ntasks-per-node=1` on the dev cluster: a 2-CPU login node, 1 CPU per task.
const launch_site salloc_site{allocation(4, 1, 1), 2};
}  // namespace

TEST(launch_layout, srun_in_an_allocation_asks_for_the_cpus_the_allocation_has_not_the_controllers) {
  const auto layout = lay_out_case(a_case("srun", 2), salloc_site);
  const auto argv = argv_of(layout);
  // Was --cpus-per-task=2 (the controller's mask): "More processors requested than permitted".
  EXPECT_TRUE(has(argv, "--cpus-per-task=1")) << ::testing::PrintToString(argv);
  EXPECT_TRUE(has(argv, "--ntasks=2"));
  EXPECT_TRUE(has(argv, "--nodes=2"));  // the 2 ranks over as few nodes as hold them: no srun warning
  EXPECT_TRUE(has(argv, "--ntasks-per-node=1"));
  EXPECT_EQ(layout.threads_per_rank, 1);
  EXPECT_TRUE(layout.expected_hosts.empty());  // srun picks which 2 of the 4 nodes
}

TEST(launch_layout, ranks_all_in_an_allocation_is_every_task_on_every_node) {
  auto c = a_case("srun", all_ranks);
  const auto layout = lay_out_case(c, salloc_site);
  EXPECT_EQ(layout.ranks, 4);
  EXPECT_EQ(layout.expected_hosts, (strings{"node01", "node02", "node03", "node04"}));
  const auto argv = argv_of(layout);
  EXPECT_TRUE(contains_sequence(argv, {"srun", "--ntasks=4", "--nodes=4", "--cpus-per-task=1"}))
      << ::testing::PrintToString(argv);
}

TEST(launch_layout, threads_come_from_the_allocations_cpus_per_node_over_its_tasks) {
  const launch_site site{allocation(4, 4, 64), 2};
  const auto layout = lay_out_case(a_case("srun", all_ranks), site);
  EXPECT_EQ(layout.ranks, 16);
  EXPECT_EQ(layout.threads_per_rank, 16);
  EXPECT_TRUE(has(argv_of(layout), "--cpus-per-task=16"));
}

TEST(launch_layout, mpirun_in_an_allocation_gets_ranks_per_node_and_cores_from_the_allocation) {
  // Was: -np 4 on the controller's 2 CPUs, --oversubscribe, one thread each.
  const launch_site site{allocation(4, 2, 16), 2};
  const auto layout = lay_out_case(a_case("mpirun", all_ranks), site);
  const auto argv = argv_of(layout);
  EXPECT_TRUE(contains_sequence(argv, {"mpirun", "-np", "8"})) << ::testing::PrintToString(argv);
  EXPECT_TRUE(contains_sequence(argv, {"--map-by", "ppr:2:node:PE=8", "--bind-to", "core"}));
  EXPECT_FALSE(has(argv, "--oversubscribe"));
  // Open MPI takes the hosts from SLURM_* itself.
  EXPECT_FALSE(has(argv, "--host"));
  EXPECT_FALSE(has(argv, "--hostfile"));
  EXPECT_EQ(layout.threads_per_rank, 8);
  EXPECT_EQ(layout.expected_hosts.size(), 4u);
}

TEST(launch_layout, mpirun_in_an_uneven_allocation_maps_by_slot) {
  slurm_allocation a = allocation(2, 1, 2);
  a.tasks_per_node = {2, 1};
  a.cpus_per_node = {2, 1};
  a.tasks = 3;
  const auto argv = argv_of(lay_out_case(a_case("mpirun", all_ranks), {a, 2}));
  EXPECT_TRUE(contains_sequence(argv, {"-np", "3", "--map-by", "slot:PE=1"}))
      << ::testing::PrintToString(argv);
}

TEST(launch_layout, more_ranks_than_the_allocation_has_is_refused_naming_case_and_job) {
  const auto message = usage_error_of([] { lay_out_case(a_case("srun", 8), salloc_site); });
  EXPECT_NE(message.find("case 'allreduce': 8 ranks"), std::string::npos) << message;
  EXPECT_NE(message.find("Slurm job 12"), std::string::npos) << message;
  EXPECT_NE(message.find("--ranks all"), std::string::npos) << message;
}

TEST(launch_layout, ranks_per_node_beyond_the_allocations_tasks_per_node_is_refused) {
  auto c = a_case("srun", 4);
  c.ranks_per_node = 4;
  const auto message = usage_error_of([&] { lay_out_case(c, salloc_site); });
  EXPECT_NE(message.find("ranks_per_node 4"), std::string::npos) << message;
}

TEST(launch_layout, ranks_all_outside_an_allocation_and_without_hosts_says_why) {
  const launch_site here{std::nullopt, 8};
  const auto message = usage_error_of([] { lay_out_case(a_case("mpirun", all_ranks), {std::nullopt, 8}); });
  EXPECT_NE(message.find("case 'allreduce'"), std::string::npos) << message;
  EXPECT_NE(message.find("SLURM_JOB_ID is not set"), std::string::npos) << message;
  EXPECT_NE(message.find("--hostfile"), std::string::npos) << message;
  EXPECT_NE(usage_error_of([&] { lay_out_case(a_case("local", all_ranks), here); }).find("SLURM_JOB_ID"),
            std::string::npos);
}

TEST(launch_layout, outside_slurm_mpirun_on_this_node_keeps_the_controllers_cpus) {
  const auto layout = lay_out_case(a_case("mpirun", 2), {std::nullopt, 8});
  EXPECT_EQ(layout.threads_per_rank, 4);
  EXPECT_TRUE(contains_sequence(argv_of(layout), {"--map-by", "slot:PE=4"}));
  EXPECT_TRUE(layout.expected_hosts.empty());
}

TEST(launch_layout, mpirun_with_hosts_and_slots_spreads_ranks_all_over_them) {
  auto c = a_case("mpirun", all_ranks);
  c.hosts = {parse_host_list("a:4,b:4", "--hosts"), ""};
  const auto layout = lay_out_case(c, {std::nullopt, 2});
  const auto argv = argv_of(layout);
  EXPECT_TRUE(contains_sequence(argv, {"mpirun", "-np", "8", "--host", "a:4,b:4"}))
      << ::testing::PrintToString(argv);
  EXPECT_TRUE(contains_sequence(argv, {"--map-by", "ppr:4:node:PE=1"}));
  EXPECT_EQ(layout.expected_hosts, (strings{"a", "b"}));
  EXPECT_FALSE(layout.warning);  // the slots stand for the CPUs
}

TEST(launch_layout, cpus_per_node_sets_the_threads_of_mpiruns_hosts) {
  auto c = a_case("mpirun", all_ranks);
  c.hosts = {parse_host_list("a:4,b:4", "--hosts"), ""};
  c.cpus_per_node = 32;
  const auto layout = lay_out_case(c, {std::nullopt, 2});
  EXPECT_EQ(layout.threads_per_rank, 8);
  EXPECT_TRUE(contains_sequence(argv_of(layout), {"--map-by", "ppr:4:node:PE=8"}));
}

TEST(launch_layout, hosts_without_slots_or_cpus_assume_the_controllers_cpus_with_a_warning) {
  auto c = a_case("mpirun", 2);
  c.hosts = {parse_host_list("a,b", "--hosts"), ""};
  const auto layout = lay_out_case(c, {std::nullopt, 6});
  EXPECT_EQ(layout.threads_per_rank, 6);
  ASSERT_TRUE(layout.warning);
  EXPECT_NE(layout.warning->find("a, b"), std::string::npos) << *layout.warning;
  EXPECT_NE(layout.warning->find("6 CPU(s)"), std::string::npos) << *layout.warning;
  EXPECT_NE(layout.warning->find("cpus_per_node"), std::string::npos) << *layout.warning;
}

TEST(launch_layout, a_hostfile_is_passed_as_mpiruns_hostfile) {
  auto c = a_case("mpirun", all_ranks);
  c.hosts = {parse_hostfile_text("a slots=2\nb slots=2\n", "hosts.txt"), "/etc/exacheck/hosts.txt"};
  const auto argv = argv_of(lay_out_case(c, {std::nullopt, 2}));
  EXPECT_TRUE(contains_sequence(argv, {"-np", "4", "--hostfile", "/etc/exacheck/hosts.txt"}))
      << ::testing::PrintToString(argv);
  EXPECT_FALSE(has(argv, "--host"));
}

TEST(launch_layout, more_ranks_than_the_hosts_slots_is_refused) {
  auto c = a_case("mpirun", 3);
  c.hosts = {parse_host_list("a,b", "--hosts"), ""};
  const auto message = usage_error_of([&] { lay_out_case(c, {std::nullopt, 2}); });
  EXPECT_NE(message.find("3 ranks, but the 2 host(s) given take 2"), std::string::npos) << message;
}

TEST(launch_layout, hosts_are_for_mpirun_only) {
  auto c = a_case("srun", 2);
  c.hosts = {parse_host_list("a,b", "--hosts"), ""};
  const auto message = usage_error_of([&] { lay_out_case(c, salloc_site); });
  EXPECT_NE(message.find("launcher mpirun, not srun"), std::string::npos) << message;
}

TEST(launch_layout, launcher_args_come_after_exacheck_own_and_before_the_worker) {
  auto c = a_case("mpirun", 2);
  c.launcher_args = {"--mca", "btl", "tcp,self"};
  const auto argv = argv_of(lay_out_case(c, {std::nullopt, 2}));
  EXPECT_TRUE(contains_sequence(
      argv, {"-x", "OPENBLAS_NUM_THREADS", "--mca", "btl", "tcp,self", "/opt/exacheck", "worker"}))
      << ::testing::PrintToString(argv);
  auto local = a_case("local", 1);
  local.launcher_args = {"--verbose"};
  EXPECT_THROW(argv_of(lay_out_case(local, {std::nullopt, 2})), usage_error);
}

TEST(launch_layout, expected_hosts_of_the_run_are_every_cases_each_once) {
  auto on_hosts = a_case("mpirun", all_ranks);
  on_hosts.hosts = {parse_host_list("b:1,c:1", "--hosts"), ""};
  auto more = a_case("mpirun", all_ranks);
  more.hosts = {parse_host_list("a:1,b:1", "--hosts"), ""};
  const std::vector<launch_layout> layouts{lay_out_case(on_hosts, {std::nullopt, 1}),
                                           lay_out_case(a_case("mpirun", 1), {std::nullopt, 1}),
                                           lay_out_case(more, {std::nullopt, 1})};
  EXPECT_EQ(expected_hosts_of(layouts), (strings{"b", "c", "a"}));
}

TEST(launch_record, rerun_line_sets_the_launchers_environment_and_quotes_the_argv) {
  EXPECT_EQ(rerun_line({{"OMPI_ALLOW_RUN_AS_ROOT", "1"}, {"OMPI_MCA_btl", "tcp,self"}},
                       {"mpirun", "-np", "2", "/a b/exacheck"}),
            "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_MCA_btl=tcp,self mpirun -np 2 '/a b/exacheck'");
  EXPECT_EQ(rerun_line({}, {"srun", "-n", "2"}), "srun -n 2");
}

TEST(launch_record, the_launch_relevant_variables_are_settings_not_the_jobs_identity) {
  for (const char* kept :
       {"OMPI_MCA_btl", "PMIX_MCA_gds", "OMP_NUM_THREADS", "NCCL_DEBUG", "UCX_TLS", "SLURM_MPI_TYPE",
        "SLURM_CPU_BIND", "SLURM_NTASKS_PER_NODE", "CUDA_VISIBLE_DEVICES"})
    EXPECT_TRUE(is_launch_relevant_variable(kept)) << kept;
  for (const char* dropped : {"SLURM_JOB_ID", "SLURM_JOB_NODELIST", "SLURM_NODEID", "PATH", "HOME", "OMPIX"})
    EXPECT_FALSE(is_launch_relevant_variable(dropped)) << dropped;
}
