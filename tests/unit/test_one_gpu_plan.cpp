// configs/plans/one-gpu.yaml, the plan a node with one GPU runs: every GPU benchmark on
// one rank of the cuda backend, at sizes that reach peak on an H100 or H200, in a few minutes with short
// time-outs. What it must cover is read from the suites' own tables (dtypes, engines), so a precision added
// to a suite fails here until the plan measures it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "harness/plan/plan.hpp"
#include "harness/core/registry.hpp"
#include "harness/core/suite.hpp"
#include "harness/plan/system_references.hpp"
#include "kernels/cuda/flops_types.hpp"

using namespace exacheck;
namespace fs = std::filesystem;

namespace {
const fs::path configs = fs::path(EXACHECK_SOURCE_DIR) / "configs";
constexpr std::uint64_t mib = std::uint64_t{1} << 20;

const plan& one_gpu_plan() {
  static const plan p = load_plan((configs / "plans/one-gpu.yaml").string(), registry::instance());
  return p;
}

const std::vector<expanded_case>& launches() {
  static const auto all = expand(one_gpu_plan(), registry::instance());
  return all;
}

std::vector<const expanded_case*> launches_of(const std::string& benchmark) {
  std::vector<const expanded_case*> found;
  for (const auto& c : launches())
    if (c.benchmark == benchmark) found.push_back(&c);
  return found;
}

std::vector<std::string> allowed_values(const std::string& benchmark, const std::string& param) {
  const suite* s = registry::instance().find(benchmark);
  return find_param(s->parameters(benchmark), param)->allowed;
}

// The largest byte size a launch runs (`bytes` is a list swept inside the worker).
std::uint64_t largest_bytes(const expanded_case& c) {
  const auto& bytes = c.params.at("bytes");
  if (!bytes.is_array()) return bytes.get<std::uint64_t>();
  std::uint64_t largest = 0;
  for (const auto& b : bytes) largest = std::max(largest, b.get<std::uint64_t>());
  return largest;
}
}  // namespace

TEST(one_gpu_plan, runs_every_benchmark_on_one_rank_of_the_cuda_backend_with_short_time_outs) {
  std::set<std::string> benchmarks;
  for (const auto& c : launches()) {
    SCOPED_TRACE(c.id);
    benchmarks.insert(c.benchmark);
    EXPECT_EQ(c.backend,
              "cuda");  // never auto: on a node without a usable GPU it is refused, not run on CPUs
    EXPECT_EQ(c.ranks, 1);
    EXPECT_EQ(c.launcher, "mpirun");
    EXPECT_FALSE(c.allow_gpu_sharing);
    EXPECT_LE(c.timeout_s, 60.0);  // a hang costs a minute at most, never the device check's budget
  }
  auto gpu_benchmarks = registry::instance().benchmark_names();
  std::erase(gpu_benchmarks, "selftest");  // the harness's own test benchmark
  EXPECT_EQ(benchmarks, std::set<std::string>(gpu_benchmarks.begin(), gpu_benchmarks.end()));
  // A few seconds a launch (start, CUDA context, measurement, check): 2-3 minutes in all.
  EXPECT_LE(launches().size(), 32u);
}

TEST(one_gpu_plan, is_judged_against_the_h200_system_file_whose_references_all_apply) {
  ASSERT_TRUE(one_gpu_plan().system_file);
  EXPECT_EQ(fs::path(*one_gpu_plan().system_file).filename(), "h200-sxm.yaml");
  const auto checked =
      load_system_for_plan(*one_gpu_plan().system_file, one_gpu_plan(), registry::instance());
  EXPECT_EQ(checked.system.name, "h200-sxm");
  EXPECT_GT(checked.references.apply, 0u);
  EXPECT_EQ(checked.references.apply, checked.references.total);
}

TEST(one_gpu_plan, gemm_runs_every_dtype_at_8192_cubed) {
  std::set<std::string> dtypes;
  for (const auto* c : launches_of("gemm")) {
    SCOPED_TRACE(c->id);
    dtypes.insert(c->params.at("dtype").get<std::string>());
    for (const char* dimension : {"m", "n", "k"}) EXPECT_GE(c->params.at(dimension).get<int>(), 8192);
  }
  const auto all = allowed_values("gemm", "dtype");
  EXPECT_EQ(dtypes, std::set<std::string>(all.begin(), all.end()));
}

TEST(one_gpu_plan, flops_runs_every_precision_on_every_engine_that_has_a_kernel_for_it) {
  std::set<std::pair<std::string, std::string>> measured;  // (dtype, engine as the cuda backend resolves it)
  for (const auto* c : launches_of("flops")) {
    const auto dtype = c->params.at("dtype").get<std::string>();
    measured.insert(
        {dtype, cuda::flops_types::resolve_engine(dtype, c->params.at("engine").get<std::string>())});
  }
  int pairs = 0;
  for (const auto& dtype : allowed_values("flops", "dtype"))
    for (const char* engine : {"cuda_core", "tensor_core"}) {
      if (!cuda::flops_types::kernel_for(dtype, engine)) continue;
      ++pairs;
      EXPECT_TRUE(measured.count({dtype, engine})) << dtype << " on " << engine;
    }
  EXPECT_EQ(pairs, 10);  // 4 on the CUDA cores, 6 on the tensor cores
  EXPECT_EQ(measured.size(), launches_of("flops").size()) << "a precision measured twice on one engine";
}

TEST(one_gpu_plan, memory_benchmarks_move_far_more_than_the_l2_holds) {
  // H100 and H200 have 50-60 MB of L2: STREAM arrays of at least 1 GiB, copies of at least 256 MiB.
  const auto membw = launches_of("membw");
  ASSERT_FALSE(membw.empty());
  for (const auto* c : membw)
    EXPECT_GE(c->params.at("array_bytes").get<std::uint64_t>(), 1024 * mib) << c->id;
  std::set<std::string> directions;
  for (const auto* c : launches_of("copybw")) {
    directions.insert(c->params.at("direction").get<std::string>());
    EXPECT_GE(largest_bytes(*c), 256 * mib) << c->id;
  }
  EXPECT_EQ(directions, (std::set<std::string>{"h2d", "d2h", "d2d"}));  // p2p needs a second GPU
}

TEST(one_gpu_plan, each_collective_runs_from_the_latency_point_to_a_large_message) {
  for (const char* collective :
       {"allreduce", "allgather", "reduce_scatter", "broadcast", "alltoall", "reduce", "sendrecv"}) {
    const auto found = launches_of(collective);
    ASSERT_FALSE(found.empty()) << collective;
    for (const auto* c : found) {
      const auto& bytes = c->params.at("bytes");
      EXPECT_TRUE(std::find(bytes.begin(), bytes.end(), 8) != bytes.end()) << c->id;
      EXPECT_GE(largest_bytes(*c), 256 * mib) << c->id;
    }
  }
}
