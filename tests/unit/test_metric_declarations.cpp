// Every suite declares its metrics as data (suite::metrics), and the declaration is what the benchmark really
// reports: each benchmark of the registry is run in-process on the cpu backend at a tiny size, at every value
// of the parameters it sweeps across launches (copybw's directions), and every metric a point reports must be
// declared with the same unit, direction, statistic and scope, and every declared metric that applies to the
// point (its parameter values, the cpu backend, one rank) must be reported. References, spread rules and
// `exacheck list` read the declaration, so a metric renamed in a suite but not in its table fails here.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>

#include "../support/quick_context.hpp"
#include "harness/results/peak_table.hpp"
#include "harness/core/registry.hpp"

using namespace exacheck;

namespace {

// The collectives call MPI even on one rank: a singleton MPI (no mpirun) for the whole program, started only
// when tests run (never when ctest lists them).
class mpi_environment : public ::testing::Environment {
 public:
  void SetUp() override {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      int provided = 0;
      MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    }
  }
  void TearDown() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
};
[[maybe_unused]] const auto* const k_mpi = ::testing::AddGlobalTestEnvironment(new mpi_environment);

// Small sizes for every parameter that sets one, so that each benchmark runs in well under a second.
const nlohmann::json k_tiny = {{"m", 32},
                               {"n", 32},
                               {"k", 32},
                               {"verify_samples", 16},
                               {"array_bytes", 1 << 20},
                               {"ntimes", 3},
                               {"inner_iterations", 4096},
                               {"loop", 1000},
                               {"bytes", 65536}};

// Every launch the benchmark's parameter table gives at the tiny sizes: defaults, tiny overrides, a list
// default (copybw's directions) expanded into one launch per value, inner sweeps as one-element lists.
std::vector<param_values> launches_of(const std::vector<param_spec>& specs) {
  std::vector<param_values> launches{nlohmann::json::object()};
  for (const auto& spec : specs) {
    nlohmann::json value = k_tiny.contains(spec.name) ? k_tiny[spec.name] : spec.default_value;
    if (spec.swept_inside_worker) {
      for (auto& launch : launches)
        launch[spec.name] = value.is_array() ? value : nlohmann::json::array({value});
      continue;
    }
    std::vector<param_values> next;
    for (const auto& launch : launches)
      for (const auto& one : value.is_array() ? value : nlohmann::json::array({value})) {
        next.push_back(launch);
        next.back()[spec.name] = one;
      }
    launches = std::move(next);
  }
  return launches;
}

bool applies_on_one_cpu_rank(const metric_spec& spec, const nlohmann::json& point_params) {
  const bool backend_ok = spec.backends.empty() ||
                          std::find(spec.backends.begin(), spec.backends.end(), "cpu") != spec.backends.end();
  return !spec.derived && backend_ok && spec.min_ranks <= 1 && reported_where(spec, point_params);
}

class metric_declarations : public ::testing::TestWithParam<std::string> {};

TEST_P(metric_declarations, every_reported_metric_is_declared_and_every_declared_one_is_reported) {
  const std::string benchmark = GetParam();
  suite* s = registry::instance().find(benchmark);
  ASSERT_NE(s, nullptr);
  const auto declared = s->metrics(benchmark);
  ASSERT_FALSE(declared.empty()) << benchmark << " declares no metric";
  for (const auto& spec : declared) {
    EXPECT_FALSE(spec.unit.empty()) << spec.name;
    EXPECT_FALSE(spec.statistic.empty()) << spec.name;
    EXPECT_FALSE(spec.description.empty()) << spec.name;
    EXPECT_EQ(
        std::count_if(declared.begin(), declared.end(), [&](const auto& m) { return m.name == spec.name; }),
        1)
        << spec.name << " declared twice";
  }
  int measured_points = 0;
  for (const auto& params : launches_of(s->parameters(benchmark))) {
    SCOPED_TRACE(params.dump());
    const auto points = s->run(exacheck::testing::quick_context(), benchmark, params);
    ASSERT_FALSE(points.empty());
    for (const auto& point : points) {
      if (point.skipped_reason) {
        EXPECT_TRUE(point.metrics.empty()) << "a skipped point reports metrics";
        continue;
      }
      ++measured_points;
      for (const auto& m : point.metrics) {
        const metric_spec* spec = find_metric_spec(declared, m.name);
        ASSERT_NE(spec, nullptr) << benchmark << " reports '" << m.name << "', which it does not declare";
        EXPECT_EQ(m.unit, spec->unit) << m.name;
        EXPECT_EQ(m.better_is, spec->better_is) << m.name;
        EXPECT_EQ(m.statistic, spec->statistic) << m.name;
        EXPECT_EQ(point.scope, spec->scope) << m.name;
        EXPECT_TRUE(reported_where(*spec, point.params))
            << m.name << " reported outside " << spec->only_where;
      }
      for (const auto& spec : declared) {
        if (!applies_on_one_cpu_rank(spec, point.params)) continue;
        EXPECT_TRUE(exacheck::testing::find_metric(point, spec.name))
            << benchmark << " declares '" << spec.name << "' but did not report it at " << point.params;
      }
    }
  }
  EXPECT_GT(measured_points, 0) << benchmark << " measured nothing on the cpu backend";
}

INSTANTIATE_TEST_SUITE_P(every_benchmark, metric_declarations,
                         ::testing::ValuesIn(registry::instance().benchmark_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(metric_declarations, pct_of_peak_is_declared_where_exacheck_derives_it) {
  const auto& suites = registry::instance();
  for (const char* benchmark : {"gemm", "flops"}) {
    const auto metrics = reported_metrics(*suites.find(benchmark), benchmark);
    const metric_spec* derived = find_metric_spec(metrics, pct_of_peak_metric);
    ASSERT_NE(derived, nullptr) << benchmark;
    EXPECT_TRUE(derived->derived);
    EXPECT_EQ(derived->unit, "%");
    EXPECT_EQ(derived->statistic, find_metric_spec(metrics, peak_rate_metric)->statistic);
  }
  EXPECT_FALSE(find_metric_spec(reported_metrics(*suites.find("membw"), "membw"), pct_of_peak_metric));
}

TEST(metric_declarations, reporting_conditions_are_said_in_words) {
  metric_spec spec{.name = "busbw", .unit = "GB/s"};
  EXPECT_EQ(reporting_condition(spec), "");
  spec.only_where = {{"direction", "d2d"}};
  spec.backends = {"cuda"};
  spec.min_ranks = 2;
  EXPECT_EQ(reporting_condition(spec), "only where direction = d2d; cuda backend; 2 or more ranks");
  EXPECT_TRUE(reported_where(spec, {{"direction", "d2d"}, {"bytes", 8}}));
  EXPECT_FALSE(reported_where(spec, {{"direction", "h2d"}}));
}

}  // namespace
