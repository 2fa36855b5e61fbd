// The collectives suite under real `mpirun` ranks (1, 2 and 4; 4 oversubscribes a 2-core machine).
// This one program has two roles. Started by ctest, its TESTs run `mpirun -np N --oversubscribe` on this very
// program with EXACHECK_IN_MPIRUN=1. Under mpirun (that variable set) it never reaches gtest: a static
// initialiser runs the MPI driver below — every collective at several sizes and dtypes, out of place and in
// place (MPI_IN_PLACE), through the suite, each point's correctness, metrics and slowest rank checked on
// every rank; the narrow dtypes SKIPPED with the reason; cuda_graph ignored with a warning — and exits 0 only
// when everything holds. With EXACHECK_PLANT_FAULT=1 the driver wraps the backend so one rank's output is
// wrong, and succeeds only when every point, in place or not, reports INCORRECT naming that rank and element.
// Ranks that share a GPU on the cuda backend get every collective SKIPPED (an MPI backend stands in for
// NCCL). The driver also runs the flops suite across the ranks, whose calibration and stop decision are
// collective.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

#include "../support/faulty_collective_backend.hpp"
#include "harness/controller/process.hpp"
#include "harness/core/backends.hpp"
#include "harness/node/gpu_runtime.hpp"
#include "kernels/cpu/mpi_collectives.hpp"
#include "kernels/register_backends.hpp"
#include "suites/collectives/collective_ranks.hpp"
#include "suites/collectives/collectives_suite.hpp"
#include "suites/flops/flops_suite.hpp"

using namespace exacheck;
using namespace exacheck::collectives;

namespace {

using exacheck::testing::faulty_backend;
using exacheck::testing::k_fault_index;

struct driver_state {
  run_context ctx;
  std::ostringstream errors;
  int failures = 0;
  std::string example_detail;           // one planted-fault report, printed for the log
  std::string example_in_place_detail;  // the same, in place
  std::vector<std::string> hosts;       // every rank's host, by rank
  void fail(const std::string& what) {
    ++failures;
    errors << "rank " << ctx.rank << ": " << what << "\n";
  }
};

const metric* find_metric(const point_result& point, std::string_view name) {
  for (const auto& m : point.metrics)
    if (m.name == name) return &m;
  return nullptr;
}

// The same value on every rank? (global metrics must be identical everywhere)
bool same_on_every_rank(double value, MPI_Comm comm) {
  double low = 0, high = 0;
  MPI_Allreduce(&value, &low, 1, MPI_DOUBLE, MPI_MIN, comm);
  MPI_Allreduce(&value, &high, 1, MPI_DOUBLE, MPI_MAX, comm);
  return low == high;
}

bool has_warning(const point_result& point, std::string_view text) {
  for (const auto& w : point.warnings)
    if (w.find(text) != std::string::npos) return true;
  return false;
}

void check_point(driver_state& s, collective op, element_type dtype, std::size_t bytes, int root,
                 const point_result& point, bool fault_planted, bool in_place) {
  const std::string where = std::string(to_string(op)) + " " + std::string(to_string(dtype)) +
                            (in_place ? " in place " : " ") + std::to_string(bytes) + " B: ";
  const auto layout = layout_for_bytes(op, dtype, bytes, s.ctx.ranks, root);
  if (!layout) {
    if (!point.skipped_reason) s.fail(where + "expected a skipped point");
    return;
  }
  if (point.skipped_reason) return s.fail(where + "unexpectedly skipped: " + *point.skipped_reason);
  if (point.params.at("bytes") != bytes) s.fail(where + "params.bytes is not the plan's size");
  if (point.derived.value("bytes", std::size_t{0}) != layout->bytes)
    s.fail(where + "derived.bytes is not the bytes moved");
  if (fault_planted) {
    const std::string expected_text = "rank " + std::to_string(s.ctx.ranks - 1) +
                                      ": first wrong element at index " + std::to_string(k_fault_index);
    if (layout->recv_count > k_fault_index &&
        (point.check.passed || point.check.detail.find(expected_text) != 0))
      s.fail(where + "planted fault not reported as '" + expected_text + "': " + point.check.detail);
    std::string& example = in_place ? s.example_in_place_detail : s.example_detail;
    if (example.empty() && !point.check.passed) example = where + point.check.detail;
    return;
  }
  if (point.params.value("in_place", !in_place) != in_place)
    s.fail(where + "params.in_place is not the run's");
  if (point.check.method.find("in place") == std::string::npos && in_place)
    s.fail(where + "in-place check method does not say how it was checked: " + point.check.method);
  if ((op == collective::broadcast && !in_place) != has_warning(point, "MPI_Bcast has no out-of-place form"))
    s.fail(where + "MPI_Bcast note present iff broadcast out of place");
  if (!point.slowest_rank || point.slowest_rank->rank < 0 || point.slowest_rank->rank >= s.ctx.ranks)
    return s.fail(where + "no slowest rank");
  if (point.slowest_rank->host != s.hosts[static_cast<std::size_t>(point.slowest_rank->rank)])
    s.fail(where + "slowest rank's host is not that rank's host");
  const metric* ratio = find_metric(point, "slowest_rank_ratio");
  if (!ratio || ratio->value < 1 || ratio->value != point.slowest_rank->ratio)
    s.fail(where + "slowest_rank_ratio missing, below 1 or not the record's ratio");
  if ((point.slowest_rank->ratio > k_slow_rank_warning_ratio) != has_warning(point, "slow rank: rank "))
    s.fail(where + "slow-rank warning present iff the ratio is above 1.10");
  if (!point.check.checked || !point.check.passed) s.fail(where + "incorrect: " + point.check.detail);
  if (point.scope != metric_scope::global) s.fail(where + "scope is not global");
  const metric* time = find_metric(point, "time");
  const metric* algbw = find_metric(point, "algbw");
  const metric* busbw = find_metric(point, "busbw");
  const metric* lat_min = find_metric(point, "latency_min");
  const metric* lat_avg = find_metric(point, "latency_avg");
  const metric* lat_max = find_metric(point, "latency_max");
  if (!time || !algbw || !lat_min || !lat_avg || !lat_max) return s.fail(where + "missing metric");
  const double factor = bus_bandwidth_factor(op, s.ctx.ranks);
  if ((busbw != nullptr) != (factor > 0)) s.fail(where + "busbw present iff its factor is not 0");
  for (const auto& m : point.metrics) {
    if (!std::isfinite(m.value) || m.value <= 0)
      s.fail(where + m.name + " not positive: " + std::to_string(m.value));
    if (!same_on_every_rank(m.value, s.ctx.comm)) s.fail(where + m.name + " differs between ranks");
  }
  const double expected_algbw = static_cast<double>(layout->bytes) / (time->value * 1e-6) / 1e9;
  if (std::abs(algbw->value - expected_algbw) > 1e-9 * expected_algbw)
    s.fail(where + "algbw != bytes / time");
  if (busbw && std::abs(busbw->value - algbw->value * factor) > 1e-9 * busbw->value)
    s.fail(where + "busbw != algbw × factor");
  if (!(lat_min->value <= lat_avg->value && lat_avg->value <= lat_max->value))
    s.fail(where + "latency min ≤ avg ≤ max violated");
  // Every iteration's max over ranks is ≥ each rank's own time, so their medians keep that order.
  if (time->value < lat_max->value * (1 - 1e-12)) s.fail(where + "time below the slowest rank's median");
  if (point.samples.size() != 2 || point.samples[0].values.size() != point.samples[1].values.size())
    s.fail(where + "expected per-rank and max-over-ranks samples of equal length");
}

// The cpu backend has no 16- or 8-bit floating point: every such point is SKIPPED with the reason, on every
// rank, and nothing is run (a rank that ran would leave the others waiting). cuda_graph is ignored, with a
// warning, and the point is still measured and exact.
void check_cpu_limits(driver_state& s, suite& collectives) {
  const std::vector<std::size_t> sizes = {64, 4096};
  for (collective op : all_collectives())
    for (element_type dtype : all_element_types()) {
      if (!is_narrow(dtype)) continue;
      const auto points =
          collectives.run(s.ctx, to_string(op), {{"bytes", sizes}, {"dtype", to_string(dtype)}});
      for (const auto& point : points)
        if (!point.skipped_reason ||
            point.skipped_reason->find("the cpu backend (MPI) has no " + std::string(to_string(dtype))) ==
                std::string::npos)
          s.fail(std::string(to_string(op)) + " " + std::string(to_string(dtype)) +
                 ": not SKIPPED with the reason");
    }
  const auto graphed =
      collectives.run(s.ctx, "allreduce",
                      {{"bytes", nlohmann::json::array({4096})}, {"dtype", "fp32"}, {"cuda_graph", true}});
  if (graphed.size() != 1 || !graphed[0].check.passed || !has_warning(graphed[0], "cuda_graph: true ignored"))
    s.fail("cuda_graph on the cpu backend: expected an exact point with the 'ignored' warning");
}

// Ranks that share a GPU on the cuda backend (allow_gpu_sharing): NCCL refuses them in ncclCommInitRank, so
// every point is SKIPPED with the reason on every rank and no backend is built; ranks with a GPU each run. An
// MPI backend stands in for NCCL as the table's "cuda" collectives backend while this runs,
// ctx.gpu_pci_bus_id for the bound GPU (every rank here is on one host).
void check_gpu_sharing(driver_state& s) {
  int backends_built = 0;
  const scoped_backend<collective_backend> nccl_stand_in(
      "cuda", [&](const run_context& ctx) -> std::unique_ptr<collective_backend> {
        ++backends_built;
        return std::make_unique<mpi_collective_backend>(ctx.comm);
      });
  const auto suite = make_collectives_suite();
  const std::vector<std::size_t> sizes = {8, 4096};
  run_context cuda = s.ctx;
  cuda.backend = "cuda";
  cuda.gpu_pci_bus_id = "0000:19:00.0";  // every rank on one GPU
  const auto shared = suite->run(cuda, "allreduce", {{"bytes", sizes}, {"dtype", "fp32"}});
  if (shared.size() != sizes.size()) return s.fail("gpu sharing: wrong number of points");
  const std::string expected =
      "NCCL cannot run two ranks on one GPU: ranks 0 and 1 share GPU 0000:19:00.0 on " + s.hosts[0];
  for (const auto& point : shared) {
    const std::string where = "gpu sharing, " + point.params.dump();
    if (s.ctx.ranks == 1 && (point.skipped_reason || !point.check.passed))
      s.fail(where + ": one rank on its GPU did not run exactly");
    if (s.ctx.ranks > 1 && (!point.skipped_reason || point.skipped_reason->rfind(expected, 0) != 0))
      s.fail(where + ": not SKIPPED with '" + expected + "…' but '" + point.skipped_reason.value_or("ran") +
             "'");
    if (point.params.value("bytes", 0) == 0 || point.params.value("dtype", "") != "fp32")
      s.fail(where + ": a skipped point lost its identity");
  }
  if (backends_built != (s.ctx.ranks == 1 ? 1 : 0))
    s.fail("gpu sharing: " + std::to_string(backends_built) + " backends built (NCCL would have failed)");

  cuda.gpu_pci_bus_id = "0000:" + std::to_string(10 + s.ctx.rank) + ":00.0";  // a GPU each
  for (const auto& point : suite->run(cuda, "allreduce", {{"bytes", sizes}, {"dtype", "fp32"}}))
    if (point.skipped_reason || !point.check.passed)
      s.fail("a GPU per rank: " + point.params.dump() +
             " did not run exactly: " + point.skipped_reason.value_or(point.check.detail));
}

// The flops suite across ranks too: its calibration (max over ranks) and stop agreement (all ranks done) are
// collective, so every rank must finish with the same parameters and a correct answer.
void check_flops(driver_state& s) {
  const auto points = make_flops_suite()->run(s.ctx, "flops", {{"dtype", "fp64"}, {"inner_iterations", 0}});
  if (points.size() != 1) return s.fail("flops: expected one point");
  const point_result& point = points[0];
  if (!point.check.passed) s.fail("flops: incorrect: " + point.check.detail);
  if (point.metrics.empty() || !(point.metrics[0].value > 0)) s.fail("flops: no positive tflops");
  const auto steps = static_cast<double>(point.derived.at("inner_iterations").get<std::uint64_t>());
  if (!same_on_every_rank(steps, s.ctx.comm)) s.fail("flops: inner_iterations differ between ranks");
  if (!same_on_every_rank(static_cast<double>(point.samples.at(0).values.size()), s.ctx.comm))
    s.fail("flops: ranks ran different sample counts");
}

int run_driver() {
  // Before gtest's main (a static initialiser below), so before the tests' main registers them.
  register_backends();
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  driver_state s;
  MPI_Comm_rank(MPI_COMM_WORLD, &s.ctx.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &s.ctx.ranks);
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, s.ctx.rank, MPI_INFO_NULL, &node);
  MPI_Comm_rank(node, &s.ctx.local_rank);
  MPI_Comm_size(node, &s.ctx.local_ranks);
  MPI_Comm_free(&node);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  s.ctx.host = host;
  s.ctx.measurement.warmup_iterations = 1;
  s.ctx.measurement.min_iterations = 3;
  s.ctx.measurement.max_iterations = 10;
  s.ctx.measurement.min_time_s = 0;
  s.ctx.measurement.max_time_s = 0.2;
  const bool plant_fault = std::getenv("EXACHECK_PLANT_FAULT") != nullptr;
  const int last_rank = s.ctx.ranks - 1;
  try {
    s.hosts = collectives::gather_hosts(s.ctx);
    std::optional<scoped_backend<collective_backend>> planted;
    if (plant_fault)
      planted.emplace(wrap_backend<collective_backend>(
          "cpu", [&](std::unique_ptr<collective_backend> real, const run_context& ctx) {
            return std::make_unique<faulty_backend>(std::move(real), ctx.rank == last_rank);
          }));
    auto suite = make_collectives_suite();
    const std::vector<std::size_t> sizes = {8, 100, 4096, 65536};
    // In place last, so that the first planted fault reported is the out-of-place allreduce's.
    const auto ops = plant_fault ? std::vector<collective>{collective::allreduce, collective::reduce,
                                                           collective::allgather, collective::reduce_scatter,
                                                           collective::alltoall,  collective::sendrecv}
                                 : all_collectives();
    for (bool in_place : {false, true})
      for (collective op : ops)
        for (element_type dtype : {element_type::int32, element_type::fp32, element_type::fp64}) {
          const int root = last_rank;  // a root other than 0 wherever there are several ranks
          const auto points = suite->run(
              s.ctx, to_string(op),
              {{"bytes", sizes}, {"dtype", to_string(dtype)}, {"root", root}, {"in_place", in_place}});
          if (points.size() != sizes.size()) s.fail(std::string(to_string(op)) + ": wrong number of points");
          for (std::size_t i = 0; i < std::min(points.size(), sizes.size()); ++i)
            check_point(s, op, dtype, sizes[i], root, points[i], plant_fault, in_place);
        }
    if (!plant_fault) {
      check_cpu_limits(s, *suite);
      check_gpu_sharing(s);
      check_flops(s);
    }
    // Another backend must be a clear error, not a crash.
    run_context other = s.ctx;
    other.backend = "rocm";  // a backend this build does not have
    try {
      make_collectives_suite()->run(other, "allreduce",
                                    {{"bytes", nlohmann::json::array({8})}, {"dtype", "fp32"}});
      s.fail("backend rocm did not throw");
    } catch (const std::runtime_error& e) {
      const std::string expected =
          std::string("backend 'rocm' is not available for allreduce in this build (available: ") +
          (gpus().built() ? "cpu, cuda)" : "cpu)");
      if (std::string(e.what()) != expected) s.fail(std::string("unexpected message: ") + e.what());
    }
  } catch (const std::exception& e) {
    s.fail(std::string("exception: ") + e.what());
  }
  if (s.failures) std::cerr << s.errors.str() << std::flush;
  int mine = s.failures, total = 0;
  MPI_Allreduce(&mine, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (s.ctx.rank == 0) {
    if (plant_fault) {
      std::cout << "collectives driver: planted fault reported: " << s.example_detail << "\n";
      std::cout << "collectives driver: planted fault reported in place: " << s.example_in_place_detail
                << "\n";
    }
    std::cout << "collectives driver: " << s.ctx.ranks << " ranks, " << total << " failures\n";
  }
  MPI_Finalize();
  return total == 0 ? 0 : 1;
}

// Under mpirun, run the driver before gtest's main and exit with its status.
const bool k_driver_ran = [] {
  if (std::getenv("EXACHECK_IN_MPIRUN") != nullptr) std::exit(run_driver());
  return false;
}();

std::string self_path() {
  return std::filesystem::read_symlink("/proc/self/exe").string();
}

process_result run_under_mpirun(int ranks, bool plant_fault, std::string& log) {
  const auto log_path =
      std::filesystem::temp_directory_path() /
      ("exacheck-collectives-mpi-" + std::to_string(getpid()) + "-" + std::to_string(ranks) + ".log");
  std::filesystem::remove(log_path);
  std::map<std::string, std::string> environment = {
      {"EXACHECK_IN_MPIRUN", "1"}, {"OMPI_ALLOW_RUN_AS_ROOT", "1"}, {"OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"}};
  if (plant_fault) environment["EXACHECK_PLANT_FAULT"] = "1";
  const std::vector<std::string> argv = {"mpirun", "-np", std::to_string(ranks), "--oversubscribe",
                                         self_path()};
  const auto result = run_process(argv, environment, log_path.string(), 300.0, nullptr);
  log = tail_of_file(log_path.string(), 60);
  std::filesystem::remove(log_path);
  return result;
}

class collectives_under_mpirun : public ::testing::TestWithParam<int> {};

}  // namespace

TEST_P(collectives_under_mpirun, every_collective_is_correct_with_consistent_metrics) {
  std::string log;
  const auto result = run_under_mpirun(GetParam(), false, log);
  EXPECT_EQ(result.how, process_result::ending::exited) << result.error << "\n" << log;
  EXPECT_EQ(result.exit_code, 0) << log;
  EXPECT_NE(log.find("0 failures"), std::string::npos) << log;
}

TEST_P(collectives_under_mpirun, planted_wrong_element_is_reported_incorrect) {
  std::string log;
  const auto result = run_under_mpirun(GetParam(), true, log);
  EXPECT_EQ(result.how, process_result::ending::exited) << result.error << "\n" << log;
  EXPECT_EQ(result.exit_code, 0) << log;
  EXPECT_NE(log.find("planted fault reported: allreduce int32 100 B: rank " + std::to_string(GetParam() - 1) +
                     ": first wrong element at index 3"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("planted fault reported in place: allreduce int32 in place 100 B: rank " +
                     std::to_string(GetParam() - 1) + ": first wrong element at index 3"),
            std::string::npos)
      << log;
}

INSTANTIATE_TEST_SUITE_P(ranks, collectives_under_mpirun, ::testing::Values(1, 2, 4),
                         [](const auto& info) { return std::to_string(info.param) + "_ranks"; });
