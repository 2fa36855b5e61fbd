// Result accounting over crafted worker result files: a result that is not this launch's, that misses,
// repeats or invents a rank, that measured a point on fewer ranks than ran, or that holds a non-finite or
// physically impossible number is named as a problem (the case is then ERROR); a complete result has none.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "harness/results/physical_limits.hpp"
#include "harness/results/provenance.hpp"
#include "harness/results/result_accounting.hpp"
#include "harness/results/run_document.hpp"

using namespace exacheck;
using nlohmann::json;

namespace {

const json cpu_device = {{"kind", "cpu"},     {"name", "test CPU"},  {"threads", 1},
                         {"logical_cpus", 2}, {"max_clock_hz", 3e9}, {"vector_bits", 256}};

json metric_record(const std::string& name, json value, const std::string& unit = "TFLOP/s") {
  return {{"name", name},          {"value", std::move(value)}, {"unit", unit},
          {"statistic", "median"}, {"better", "higher"},        {"description", name}};
}

json point(json metrics, bool checked = true, const std::string& scope = "rank",
           json params = {{"dtype", "fp64"}, {"m", 1024}}) {
  return {{"params", std::move(params)},
          {"scope", scope},
          {"metrics", std::move(metrics)},
          {"samples", json::array()},
          {"correctness", {{"checked", checked}, {"passed", checked}, {"method", "sampled"}, {"detail", ""}}},
          {"skipped", nullptr},
          {"warnings", json::array()}};
}

json gemm_point(double tflops) {
  return point(json::array({metric_record("tflops", tflops)}));
}

json rank_record(int rank, json points, const std::string& backend = "cpu") {
  return {{"rank", rank},
          {"host", "node" + std::to_string(rank / 2)},
          {"local_rank", rank % 2},
          {"backend", backend},
          {"device", backend == "cpu" ? cpu_device : json{{"kind", "gpu"}, {"name", "test GPU"}}},
          {"points", std::move(points)},
          {"timing", {{"benchmark_s", 0.1}}}};
}

json result_of(json records, const std::string& case_id = "gemm-1", const std::string& token = "launch-1") {
  return {{"schema", "exacheck/case-result/v1"},
          {"case_id", case_id},
          {"token", token},
          {"benchmark", "gemm"},
          {"ranks", records.size()},
          {"rank_results", std::move(records)}};
}

json good_result(int ranks, double tflops = 0.05) {
  json records = json::array();
  for (int r = 0; r < ranks; ++r) records.push_back(rank_record(r, json::array({gemm_point(tflops)})));
  return result_of(records);
}

launched_case gemm_case(int ranks) {
  return {.case_id = "gemm-1", .token = "launch-1", .benchmark = "gemm", .ranks = ranks, .verify = true};
}

std::vector<std::string> problems_of(const json& result, const launched_case& launched = gemm_case(2),
                                     const json* peak_per_gpu = nullptr) {
  return account_for_result(result, launched, peak_per_gpu);
}

// The one problem, or a failure listing them all.
std::string only_problem(const std::vector<std::string>& problems) {
  EXPECT_EQ(problems.size(), 1u) << describe_problems(problems);
  return problems.empty() ? std::string() : problems.front();
}

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

}  // namespace

TEST(result_accounting, a_complete_result_of_this_launch_has_no_problem) {
  EXPECT_TRUE(problems_of(good_result(2)).empty()) << describe_problems(problems_of(good_result(2)));
  EXPECT_TRUE(problems_of(good_result(1), gemm_case(1)).empty());
}

TEST(result_accounting, missing_rank_is_named) {
  json result = good_result(4);
  result["rank_results"].erase(3);
  result["rank_results"].erase(1);
  const auto problem = only_problem(problems_of(result, gemm_case(4)));
  EXPECT_HAS(problem, "no result from ranks 1, 3 (2 of 4 launched)");
}

TEST(result_accounting, rank_reported_twice_is_named) {
  json result = good_result(2);
  result["rank_results"].push_back(result["rank_results"][1]);
  EXPECT_HAS(only_problem(problems_of(result)), "rank 1 reported more than once");
}

TEST(result_accounting, extra_or_negative_rank_is_named_with_the_ranks_launched) {
  json result = good_result(2);
  result["rank_results"].push_back(rank_record(2, json::array({gemm_point(0.05)})));
  result["rank_results"].push_back(rank_record(-1, json::array({gemm_point(0.05)})));
  EXPECT_HAS(only_problem(problems_of(result)), "ranks -1, 2 reported, but only ranks 0-1 were launched");
  json unnumbered = good_result(2);
  unnumbered["rank_results"][1].erase("rank");
  const auto problems = problems_of(unnumbered);
  EXPECT_HAS(describe_problems(problems), "1 rank result(s) carry no rank number");
  EXPECT_HAS(describe_problems(problems), "no result from rank 1");
}

TEST(result_accounting, a_worker_world_of_another_size_is_named) {
  json result = good_result(2);
  result["ranks"] = 3;
  EXPECT_HAS(only_problem(problems_of(result)), "the worker ran 3 ranks, 2 were launched");
}

TEST(result_accounting, another_cases_result_is_foreign_and_nothing_else_is_examined) {
  json result = good_result(2);
  result["case_id"] = "membw-9";
  result["rank_results"].erase(1);  // not reported: the file says nothing about this case
  EXPECT_HAS(only_problem(problems_of(result)),
             "foreign result: it is of case 'membw-9', not of this case 'gemm-1'");
}

TEST(result_accounting, a_result_without_this_launchs_token_is_foreign) {
  json stale = good_result(2);
  stale["token"] = "an-earlier-launch";
  EXPECT_HAS(only_problem(problems_of(stale)), "its launch token 'an-earlier-launch' is not this launch's");
  json none = good_result(2);
  none.erase("token");
  EXPECT_HAS(only_problem(problems_of(none)), "carries no launch token");
  none["token"] = "";
  EXPECT_HAS(only_problem(problems_of(none)), "carries no launch token");
}

TEST(result_accounting, something_else_than_a_case_result_is_named) {
  EXPECT_HAS(only_problem(problems_of(json::array())), "not a case result");
  json result = good_result(2);
  result["schema"] = "exacheck/run/v2";
  EXPECT_HAS(only_problem(problems_of(result)), "its schema is 'exacheck/run/v2'");
}

TEST(result_accounting, a_point_reported_by_fewer_ranks_than_ran_is_named) {
  json result = good_result(2);
  result["rank_results"][0]["points"].push_back(gemm_point(0.05));
  EXPECT_HAS(only_problem(problems_of(result)),
             "point 2/2 (dtype=fp64 m=1024): rank 1 (1 of 2 launched) did not report this rank-scoped point");
}

TEST(result_accounting, a_global_point_is_held_to_every_rank_too) {
  json records = json::array();
  for (int r = 0; r < 3; ++r) {
    json metrics = json::array({metric_record("busbw", 10.0, "GB/s")});
    if (r != 2) metrics.push_back(metric_record("algbw", 5.0, "GB/s"));
    records.push_back(rank_record(r, json::array({point(metrics, true, "global", {{"bytes", 8}})})));
  }
  launched_case launched = gemm_case(3);
  launched.benchmark = "allreduce";
  EXPECT_HAS(
      only_problem(problems_of(result_of(records), launched)),
      "point 1/1 (bytes=8): metric algbw measured by 2 of 3 ranks of this global point (not by rank 2)");
}

TEST(result_accounting, metrics_missing_on_the_same_ranks_are_named_together_with_the_ranks_own_word) {
  json result = good_result(2);
  json& p = result["rank_results"][1]["points"][0];
  p["metrics"] = json::array();
  p["warnings"] = json::array({"no peer access from GPU 0 to GPU 1 on node0"});
  result["rank_results"][0]["points"][0]["metrics"].push_back(metric_record("time", 0.01, "s"));
  EXPECT_HAS(
      only_problem(problems_of(result)),
      "metrics tflops, time measured by 1 of 2 ranks of this rank-scoped point (not by rank 1); rank 1 "
      "says: no peer access from GPU 0 to GPU 1 on node0");
}

TEST(result_accounting, correctness_checked_on_fewer_ranks_than_ran_is_named_when_verify_is_on) {
  json result = good_result(3);
  result["rank_results"][2]["points"][0]["correctness"]["checked"] = false;
  EXPECT_HAS(only_problem(problems_of(result, gemm_case(3))),
             "correctness checked on 2 of 3 ranks (not on rank 2)");
  launched_case unverified = gemm_case(3);
  unverified.verify = false;  // the plan turned verification off: no rank checks, and that is as asked
  EXPECT_TRUE(problems_of(result, unverified).empty());
}

TEST(result_accounting, no_points_at_all_is_named) {
  json result = good_result(2);
  for (auto& r : result["rank_results"]) r["points"] = json::array();
  EXPECT_HAS(only_problem(problems_of(result)), "no point: the result holds no measurement");
}

TEST(result_accounting, a_point_with_no_metric_and_no_correctness_check_is_named) {
  json result = good_result(2);
  for (auto& r : result["rank_results"]) r["points"][0] = point(json::array(), false);
  EXPECT_HAS(only_problem(problems_of(result)),
             "point 1/1 (dtype=fp64 m=1024): no metric and no correctness check");
  launched_case unverified = gemm_case(2);
  unverified.verify = false;  // still no checks at all
  EXPECT_EQ(problems_of(result, unverified).size(), 1u);
}

TEST(result_accounting, a_skipped_point_needs_no_metric) {
  json result = good_result(2);
  for (auto& r : result["rank_results"]) {
    r["points"][0] = point(json::array(), false);
    r["points"][0]["skipped"] = "dtype bf16 is not supported by the cpu backend";
  }
  EXPECT_TRUE(problems_of(result).empty()) << describe_problems(problems_of(result));
}

TEST(result_accounting, non_finite_values_are_named_with_their_ranks) {
  json result = good_result(4);
  result["rank_results"][1]["points"][0]["metrics"][0]["value"] = nullptr;  // how a worker writes NaN
  result["rank_results"][2]["points"][0]["metrics"][0]["value"] = INFINITY;
  result["rank_results"][3]["points"][0]["metrics"][0]["value"] = "fast";
  EXPECT_HAS(only_problem(problems_of(result, gemm_case(4))),
             "tflops is not a finite number (null, NaN or infinite) on ranks 1-3");
}

TEST(result_accounting, gemm_at_m_n_k_two_to_the_32_is_physically_impossible) {
  // 2·(2^32)^3 flops in a few seconds: 4e24 TFLOP/s, far above 1 EFLOP/s on any device.
  json records = json::array();
  for (int r = 0; r < 2; ++r) records.push_back(rank_record(r, json::array({gemm_point(4e24)}), "cuda"));
  const auto problem = only_problem(problems_of(result_of(records)));
  EXPECT_HAS(problem,
             "tflops = 4e+24 TFLOP/s on rank 0 is physically impossible: above the ceiling 1e+06 TFLOP/s");
  EXPECT_HAS(problem, "1 EFLOP/s per device");
  EXPECT_HAS(problem, "ranks 0-1 are above their ceiling");
}

TEST(result_accounting, a_rate_far_above_the_datasheet_is_impossible) {
  const json peaks = {{"bf16", 989.5}, {"fp64_tensor", 67}, {"unit", "TFLOP/s"}, {"hbm", "3.35 TB/s"}};
  json records = json::array();
  for (int r = 0; r < 2; ++r) {
    json p = point(json::array({metric_record("tflops", r == 1 ? 2500.0 : 1900.0)}), true, "rank",
                   {{"dtype", "bf16"}});
    records.push_back(rank_record(r, json::array({p}), "cuda"));
  }
  const auto problem = only_problem(problems_of(result_of(records), gemm_case(2), &peaks));
  EXPECT_HAS(problem,
             "tflops = 2500 TFLOP/s on rank 1 is physically impossible: above the ceiling 1979 TFLOP/s");
  EXPECT_HAS(problem, "2 × the datasheet peak peak_per_gpu.bf16 = 989.5 TFLOP/s");

  launched_case membw = gemm_case(1);
  membw.benchmark = "membw";
  const json triad = point(json::array({metric_record("triad_bandwidth", 30000.0, "GB/s")}), true, "rank",
                           {{"dtype", "fp64"}});
  EXPECT_HAS(only_problem(problems_of(result_of(json::array({rank_record(0, json::array({triad}), "cuda")})),
                                      membw, &peaks)),
             "above the ceiling 2.68e+04 GB/s (8 × the datasheet peak_per_gpu.hbm = 3.35 TB/s)");
  const json served_by_l2 = point(json::array({metric_record("triad_bandwidth", 7000.0, "GB/s")}), true,
                                  "rank", {{"dtype", "fp64"}});
  EXPECT_TRUE(problems_of(result_of(json::array({rank_record(0, json::array({served_by_l2}), "cuda")})),
                          membw, &peaks)
                  .empty());
}

TEST(result_accounting, a_cpu_rank_above_its_hosts_limit_is_impossible) {
  // 2 CPUs × 3 GHz × 2 × 4 FMA/cycle × 2 × 4 fp64 lanes of 256 bits = 0.384 TFLOP/s.
  EXPECT_TRUE(problems_of(good_result(2, 0.3)).empty());
  const auto problem = only_problem(problems_of(good_result(2, 1.0)));
  EXPECT_HAS(problem, "above the ceiling 0.384 TFLOP/s (this host's limit: 2 CPUs × 3 GHz");
  // A collective's bytes are nominal (a broadcast of one rank moves nothing): its global metrics are held to
  // the absolute ceilings only, not the host's.
  const json no_op =
      point(json::array({metric_record("busbw", 7391.0, "GB/s")}), true, "global", {{"bytes", 65536}});
  launched_case broadcast = gemm_case(1);
  broadcast.benchmark = "broadcast";
  EXPECT_TRUE(problems_of(result_of(json::array({rank_record(0, json::array({no_op}))})), broadcast).empty());
  // A GPU rank is not held to its host CPU's limit.
  json records = json::array();
  for (int r = 0; r < 2; ++r) records.push_back(rank_record(r, json::array({gemm_point(1.0)}), "cuda"));
  EXPECT_TRUE(problems_of(result_of(records)).empty());
}

TEST(result_accounting, a_rank_that_reported_its_own_error_is_not_also_blamed_for_its_points) {
  json result = good_result(2);
  result["rank_results"][1]["error"] = "selftest: error requested by the plan";
  result["rank_results"][1]["points"] = json::array();
  EXPECT_TRUE(problems_of(result).empty());
  result["rank_results"].push_back(result["rank_results"][0]);  // the rank set still counts
  EXPECT_HAS(only_problem(problems_of(result)), "rank 0 reported more than once");
}

TEST(result_accounting, rank_zero_alone_stands_for_global_points_only_in_simulate) {
  json records =
      json::array({rank_record(0, json::array({point(json::array({metric_record("busbw", 10.0, "GB/s")}),
                                                     true, "global", {{"bytes", 8}})}))});
  json result = result_of(records);
  result["ranks"] = 4;
  launched_case launched = gemm_case(4);
  launched.benchmark = "allreduce";
  EXPECT_HAS(only_problem(problems_of(result, launched)), "no result from ranks 1-3 (3 of 4 launched)");
  launched.global_points_from_rank_zero = true;
  EXPECT_TRUE(problems_of(result, launched).empty());
  json rank_scoped = good_result(4);
  rank_scoped["rank_results"] = json::array({rank_scoped["rank_results"][0]});
  EXPECT_HAS(only_problem(problems_of(rank_scoped, launched)), "no result from ranks 1-3");
}

TEST(result_accounting, rank_lists_are_ranges_and_bounded) {
  EXPECT_EQ(rank_list({9, 1, 2, 3, 5}), "1-3, 5, 9");
  EXPECT_EQ(rank_list({0, 2, 4, 6, 8}, 3), "0, 2, 4, … (+2 more)");
  std::vector<std::string> many(9, "a problem");
  const auto text = describe_problems(many);
  EXPECT_HAS(text, "and 4 more problem(s)");
}

TEST(result_accounting, launch_tokens_differ_from_launch_to_launch) {
  const auto a = new_launch_token(), b = new_launch_token();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

TEST(physical_limits, ceilings_are_stated_from_the_host_and_the_datasheet) {
  const cpu_capacity cpu{.logical_cpus = 2, .max_clock_hz = 3e9, .vector_bits = 512};
  EXPECT_DOUBLE_EQ(cpu_operations_ceiling(cpu, 64), 2 * 3e9 * 2 * 4 * 2 * 8);
  EXPECT_DOUBLE_EQ(cpu_operations_ceiling(cpu, 0), 2 * 3e9 * 2 * 4 * 2 * 64);  // unknown dtype: 8-bit lanes
  EXPECT_DOUBLE_EQ(cpu_bytes_ceiling(cpu), 2 * 3e9 * 2 * 4 * 64);
  EXPECT_DOUBLE_EQ(*datasheet_figure({{"hbm", "3.35 TB/s"}}, "hbm", "GB/s"), 3350);
  EXPECT_DOUBLE_EQ(*datasheet_figure({{"bf16", 989.5}, {"unit", "TFLOP/s"}}, "bf16", "GFLOP/s"), 989500);
  EXPECT_FALSE(datasheet_figure({{"hbm", "fast"}}, "hbm", "GB/s"));
  EXPECT_FALSE(ceiling_for("gemm", json::object(), "%", nullptr, std::nullopt));  // not a rate
  EXPECT_DOUBLE_EQ(ceiling_for("membw", json::object(), "GB/s", nullptr, std::nullopt)->value,
                   1e6);  // 1 PB/s
  // A record without the host's figures gets only the absolute ceilings; one with part of them, the most
  // generous assumption for the rest.
  EXPECT_FALSE(cpu_capacity_of({{"kind", "cpu"}}));
  const auto partial = cpu_capacity_of({{"kind", "cpu"}, {"logical_cpus", 4}});
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->vector_bits, 2048);
  EXPECT_DOUBLE_EQ(partial->max_clock_hz, 6e9);
}

TEST(physical_limits, the_widest_vector_is_read_from_the_cpu_flags) {
  EXPECT_EQ(widest_vector_bits("fpu sse sse2 avx fma avx2"), 256);
  EXPECT_EQ(widest_vector_bits("sse2 avx2 avx512f avx512bw"), 512);
  EXPECT_EQ(widest_vector_bits("fp asimd evtstrm sve"), 2048);
  EXPECT_EQ(widest_vector_bits("fp asimd"), 128);
  EXPECT_EQ(widest_vector_bits("vsx altivec"), 0);
  const cpu_info here = read_cpu_info();
  EXPECT_GT(here.logical_cpus, 0);
}

// Through complete_case_entry, as the controller calls it: the case is ERROR with the problem as its reason,
// and none of the result's numbers reaches run.json.
TEST(result_accounting, a_case_whose_result_does_not_account_for_its_ranks_is_error_not_pass) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("exacheck-test-accounting-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string result_file = (dir / "result.json").string();
  json result = good_result(2);
  result["rank_results"].erase(1);
  std::ofstream(result_file) << result.dump();
  json entry = {{"id", "gemm-1"},
                {"benchmark", "gemm"},
                {"params", {{"dtype", "fp64"}}},
                {"ranks", 2},
                {"verify", true},
                {"checks", json::array()},
                {"results", json::array()},
                {"timing", json::object()}};
  complete_case_entry(entry, process_result{}, result_file, (dir / "worker.log").string(), nullptr, 2,
                      "launch-1");
  EXPECT_EQ(entry["status"], "error");
  EXPECT_EQ(entry["outcome"], "ERROR");
  EXPECT_HAS(entry["message"].get<std::string>(), "no result from rank 1 (1 of 2 launched)");
  EXPECT_TRUE(entry["results"].empty());
  ASSERT_EQ(entry["checks"].size(), 1u);
  EXPECT_EQ(entry["checks"][0]["metric"], "run");
  EXPECT_EQ(entry["checks"][0]["outcome"], "ERROR");

  // The same file, complete: accounted for, judged, completed.
  std::ofstream(result_file) << good_result(2).dump();
  entry["checks"] = json::array();
  complete_case_entry(entry, process_result{}, result_file, (dir / "worker.log").string(), nullptr, 2,
                      "launch-1");
  EXPECT_EQ(entry["status"], "completed") << entry["message"];
  EXPECT_EQ(entry["outcome"], "PASS");
  std::filesystem::remove_all(dir);
}
