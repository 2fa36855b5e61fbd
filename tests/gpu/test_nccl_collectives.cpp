// The NCCL backend of the collectives (kernels/cuda/nccl_collectives.cpp) on this process's GPU: every
// collective in every dtype (bf16, fp16 and, on compute capability 9.0+, fp8 included), out of place and in
// place, is exact at several sizes through the collectives suite (sizes out of order, so buffers both grow
// and are reused); CUDA-graph timing is exact too; the backend round-trips its buffers directly, misuse is a
// clear error, and a planted wrong element is reported INCORRECT, in place or not. One process is one NCCL
// rank: NCCL with one rank is a supported configuration (single-GPU nodes). Run under `mpirun -np N`, the
// same tests run across N ranks; with N above the GPU count (ranks share GPUs, which NCCL refuses) only
// ranks_sharing_a_gpu_skip_every_collective_instead_of_failing_in_nccl applies.
//
// MPI is initialised by a global test environment registered from a static initialiser, which works with
// gtest_main's main(); it initialises MPI only where a GPU is visible (and never for --gtest_list_tests,
// which runs no environment), so a GPU-less machine never starts MPI. Every test skips, with the runtime's
// reason, where no CUDA device is visible.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "../support/faulty_collective_backend.hpp"
#include "../support/skip_without_gpu.hpp"
#include "harness/core/backends.hpp"
#include "harness/node/gpu_runtime.hpp"
#include "suites/collectives/collective_formulas.hpp"
#include "suites/collectives/collectives_suite.hpp"

using namespace exacheck;
using namespace exacheck::collectives;

namespace {

class mpi_environment final : public ::testing::Environment {
 public:
  void SetUp() override {
    if (exacheck::gpus().device_count() == 0) return;
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) return;
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    m_initialized_here = true;
  }
  void TearDown() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (m_initialized_here && !finalized) MPI_Finalize();
  }

 private:
  bool m_initialized_here = false;
};

[[maybe_unused]] ::testing::Environment* const k_mpi_environment =
    ::testing::AddGlobalTestEnvironment(new mpi_environment);

// What the worker sets up: this rank's place in MPI_COMM_WORLD, its GPU selected, backend "cuda".
run_context cuda_context() {
  run_context ctx;
  ctx.comm = MPI_COMM_WORLD;
  MPI_Comm_rank(ctx.comm, &ctx.rank);
  MPI_Comm_size(ctx.comm, &ctx.ranks);
  ctx.local_rank = ctx.rank;
  ctx.local_ranks = ctx.ranks;
  ctx.backend = "cuda";
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  ctx.host = host;
  ctx.measurement.warmup_iterations = 1;
  ctx.measurement.min_iterations = 3;
  ctx.measurement.max_iterations = 10;
  ctx.measurement.min_time_s = 0;
  ctx.measurement.max_time_s = 0.2;
  exacheck::gpus().select_device(ctx.rank % exacheck::gpus().device_count());
  ctx.gpu_pci_bus_id =
      exacheck::gpus().device_properties(ctx.rank % exacheck::gpus().device_count()).value("pci_bus_id", "");
  return ctx;
}

using exacheck::testing::faulty_backend;
using exacheck::testing::k_fault_index;

// This rank's device's compute capability major (fp8 collectives need 9).
int compute_capability_major(const run_context& ctx) {
  const std::string cc = exacheck::gpus()
                             .device_properties(ctx.rank % exacheck::gpus().device_count())
                             .value("compute_capability", "0.0");
  return std::stoi(cc.substr(0, cc.find('.')));
}

bool is_fp8(element_type dtype) {
  return dtype == element_type::fp8_e4m3 || dtype == element_type::fp8_e5m2;
}

// NCCL refuses exactly these points: alltoall and sendrecv in place (no in-place form), and fp8 below compute
// capability 9.0 (or with NCCL headers older than 2.24, said so in the reason).
bool expect_refused(collective op, element_type dtype, bool in_place, int cc_major) {
  return (in_place && (op == collective::alltoall || op == collective::sendrecv)) ||
         (is_fp8(dtype) && cc_major < 9);
}

bool reason_explains(const std::string& reason, collective op, element_type dtype, bool in_place) {
  const bool in_place_p2p = in_place && (op == collective::alltoall || op == collective::sendrecv);
  return (in_place_p2p && reason.find("NCCL has no in-place") != std::string::npos) ||
         (is_fp8(dtype) && (reason.find("compute capability 9.0") != std::string::npos ||
                            reason.find("NCCL 2.24") != std::string::npos));
}

}  // namespace

TEST(nccl_collectives, names_itself_nccl_with_the_library_version) {
  SKIP_WITHOUT_GPU();
  const auto backend = exacheck::make_backend<collective_backend>(cuda_context());
  EXPECT_EQ(backend->name(), "nccl");
  EXPECT_EQ(backend->library_version().rfind("NCCL 2.", 0), 0u) << backend->library_version();
  EXPECT_GE(backend->max_elements(), std::size_t{1} << 40);
}

TEST(nccl_collectives, every_collective_dtype_and_in_place_form_is_exact_through_the_suite) {
  SKIP_WITHOUT_GPU();
  const run_context ctx = cuda_context();
  const int cc_major = compute_capability_major(ctx);
  const auto suite = make_collectives_suite();
  // Out of order: buffers grow (8 → 65536 → 1 MiB + 12) and are reused for smaller sizes afterwards.
  const std::vector<std::size_t> sizes = {8, 65536, 100, (std::size_t{1} << 20) + 12, 4096};
  for (bool in_place : {false, true})
    for (collective op : all_collectives())
      for (element_type dtype : all_element_types()) {
        const std::string where =
            std::string(to_string(op)) + " " + std::string(to_string(dtype)) + (in_place ? " in place" : "");
        const int root = ctx.ranks - 1;
        const auto points = suite->run(
            ctx, to_string(op),
            {{"bytes", sizes}, {"dtype", to_string(dtype)}, {"root", root}, {"in_place", in_place}});
        ASSERT_EQ(points.size(), sizes.size()) << where;
        for (std::size_t i = 0; i < sizes.size(); ++i) {
          const point_result& point = points[i];
          const auto layout = layout_for_bytes(op, dtype, sizes[i], ctx.ranks, root);
          if (!layout) {
            EXPECT_TRUE(point.skipped_reason) << where << " " << sizes[i] << " B";
            continue;
          }
          if (point.skipped_reason) {
            // Refused points say why; on an H100 with NCCL ≥ 2.24 fp8 runs, so only in-place p2p is refused.
            EXPECT_TRUE(reason_explains(*point.skipped_reason, op, dtype, in_place))
                << where << " " << sizes[i] << " B: " << *point.skipped_reason;
            continue;
          }
          EXPECT_FALSE(expect_refused(op, dtype, in_place, cc_major)) << where << ": ran but NCCL refuses it";
          EXPECT_EQ(point.params.value("in_place", !in_place), in_place) << where;
          EXPECT_TRUE(point.check.checked) << where << " " << sizes[i] << " B";
          EXPECT_TRUE(point.check.passed) << where << " " << sizes[i] << " B: " << point.check.detail;
          ASSERT_FALSE(point.metrics.empty()) << where;
          for (const auto& m : point.metrics)
            EXPECT_GT(m.value, 0) << where << " " << sizes[i] << " B: " << m.name;
          ASSERT_TRUE(point.slowest_rank) << where;
          EXPECT_GE(point.slowest_rank->ratio, 1.0) << where;
          EXPECT_FALSE(point.slowest_rank->host.empty()) << where;
        }
      }
}

TEST(nccl_collectives, bf16_and_fp8_run_where_nccl_and_the_device_support_them) {
  SKIP_WITHOUT_GPU();
  const run_context ctx = cuda_context();
  const auto backend = exacheck::make_backend<collective_backend>(ctx);
  for (element_type dtype : {element_type::bf16, element_type::fp16})
    EXPECT_FALSE(backend->cannot_run(*layout_for_bytes(collective::allreduce, dtype, 64, ctx.ranks, 0)))
        << to_string(dtype);
  const auto fp8 = layout_for_bytes(collective::allreduce, element_type::fp8_e4m3, 64, ctx.ranks, 0);
  const auto refused = backend->cannot_run(*fp8);
  if (compute_capability_major(ctx) < 9) {
    ASSERT_TRUE(refused);
    EXPECT_NE(refused->find("compute capability 9.0"), std::string::npos) << *refused;
  } else if (refused) {
    EXPECT_NE(refused->find("NCCL 2.24"), std::string::npos) << *refused;  // an older NCCL: said so
  }
  auto in_place = *layout_for_bytes(collective::alltoall, element_type::fp32, 64 * ctx.ranks, ctx.ranks, 0);
  in_place.in_place = true;
  ASSERT_TRUE(backend->cannot_run(in_place));
  EXPECT_THROW(backend->prepare(in_place), std::invalid_argument);
}

TEST(nccl_collectives, cuda_graph_timing_is_exact_and_said_in_the_time_metric) {
  SKIP_WITHOUT_GPU();
  const run_context ctx = cuda_context();
  const auto suite = make_collectives_suite();
  const std::vector<std::size_t> sizes = {8, 4096, 65536};
  for (bool in_place : {false, true})
    for (collective op : all_collectives())
      for (element_type dtype : {element_type::fp32, element_type::bf16}) {
        const std::string where = std::string(to_string(op)) + " " + std::string(to_string(dtype)) +
                                  (in_place ? " in place" : "") + " graph";
        const auto points = suite->run(
            ctx, to_string(op),
            {{"bytes", sizes}, {"dtype", to_string(dtype)}, {"in_place", in_place}, {"cuda_graph", true}});
        ASSERT_EQ(points.size(), sizes.size()) << where;
        for (std::size_t i = 0; i < sizes.size(); ++i) {
          const point_result& point = points[i];
          if (point.skipped_reason) {
            EXPECT_TRUE(!layout_for_bytes(op, dtype, sizes[i], ctx.ranks, 0) ||
                        reason_explains(*point.skipped_reason, op, dtype, in_place))
                << where << ": " << *point.skipped_reason;
            continue;
          }
          EXPECT_TRUE(point.check.passed) << where << " " << sizes[i] << " B: " << point.check.detail;
          EXPECT_EQ(point.params.value("cuda_graph", false), true) << where;
          const auto time = std::find_if(point.metrics.begin(), point.metrics.end(),
                                         [](const metric& m) { return m.name == "time"; });
          ASSERT_NE(time, point.metrics.end()) << where;
          EXPECT_GT(time->value, 0) << where;
          EXPECT_NE(time->description.find("CUDA graph"), std::string::npos) << time->description;
          for (const auto& w : point.warnings)
            EXPECT_EQ(w.find("cuda_graph: true ignored"), std::string::npos) << where << ": " << w;
        }
      }
}

TEST(nccl_collectives, time_batch_uses_device_time_and_graph_replays_leave_the_known_result) {
  SKIP_WITHOUT_GPU();
  const run_context ctx = cuda_context();
  const auto backend = exacheck::make_backend<collective_backend>(ctx);
  EXPECT_TRUE(backend->supports_graphs());
  const auto layout = layout_for_bytes(collective::allreduce, element_type::bf16, 1 << 20, ctx.ranks, 0);
  ASSERT_TRUE(layout);
  backend->prepare(*layout);
  backend->fill_output(poison_value);
  backend->write_input(make_inputs(*layout, ctx.rank));
  backend->run();  // warm-up: connections, first launch
  const batch_time one_by_one = backend->time_batch(8, false);
  const batch_time graph = backend->time_batch(8, true);  // captures once, then times the graph's launch
  const batch_time graph_again = backend->time_batch(8, true);
  for (const batch_time& taken : {one_by_one, graph, graph_again}) {
    EXPECT_EQ(taken.clock, batch_clock::device);
    EXPECT_GT(taken.seconds, 0);
    EXPECT_LT(taken.seconds, 10.0);
  }
  const auto mismatch = find_output_mismatch(*layout, ctx.rank, backend->read_output());
  EXPECT_FALSE(mismatch) << "index " << mismatch->index << " expected " << mismatch->expected << " got "
                         << mismatch->got;
}

TEST(nccl_collectives, backend_round_trips_poison_and_computes_the_known_result) {
  SKIP_WITHOUT_GPU();
  const run_context ctx = cuda_context();
  const auto backend = exacheck::make_backend<collective_backend>(ctx);
  for (bool in_place : {false, true})
    for (element_type dtype : {element_type::fp32, element_type::bf16, element_type::fp16})
      for (collective op : all_collectives()) {
        const std::string where =
            std::string(to_string(op)) + " " + std::string(to_string(dtype)) + (in_place ? " in place" : "");
        auto layout = layout_for_bytes(op, dtype, 1000 * element_size(dtype) * ctx.ranks, ctx.ranks, 0);
        ASSERT_TRUE(layout);
        layout->in_place = in_place;
        if (backend->cannot_run(*layout)) continue;  // in-place alltoall / sendrecv: tested above
        backend->prepare(*layout);
        backend->fill_output(poison_value);
        const std::vector<double> poisoned = backend->read_output();
        ASSERT_EQ(poisoned.size(), layout->recv_count) << where;
        for (double value : poisoned) ASSERT_EQ(value, poison_value) << where;
        if (op != collective::broadcast || ctx.rank == layout->root)
          backend->write_input(make_inputs(*layout, ctx.rank));
        backend->run();
        const std::vector<double> output = backend->read_output();
        if (!output_is_defined(*layout, ctx.rank)) continue;
        const auto mismatch = find_output_mismatch(*layout, ctx.rank, output);
        EXPECT_FALSE(mismatch) << where << ": index " << mismatch->index << " expected " << mismatch->expected
                               << " got " << mismatch->got;
      }
}

TEST(nccl_collectives, misuse_is_a_clear_error) {
  SKIP_WITHOUT_GPU();
  const run_context ctx = cuda_context();
  const auto backend = exacheck::make_backend<collective_backend>(ctx);
  EXPECT_THROW(backend->run(), std::logic_error);
  EXPECT_THROW(backend->read_output(), std::logic_error);
  const auto layout = layout_for_bytes(collective::allreduce, element_type::fp64, 64, ctx.ranks, 0);
  ASSERT_TRUE(layout);
  auto wrong_ranks = *layout;
  wrong_ranks.ranks = ctx.ranks + 1;
  EXPECT_THROW(backend->prepare(wrong_ranks), std::invalid_argument);
  backend->prepare(*layout);
  EXPECT_THROW(backend->write_input(std::vector<double>(layout->send_count + 1, 1.0)), std::invalid_argument);
}

TEST(nccl_collectives, planted_wrong_element_is_reported_incorrect_in_place_or_not) {
  SKIP_WITHOUT_GPU();
  const run_context ctx = cuda_context();
  const int last_rank = ctx.ranks - 1;
  const auto planted = wrap_backend<collective_backend>(
      "cuda", [&](std::unique_ptr<collective_backend> real, const run_context& c) {
        return std::make_unique<faulty_backend>(std::move(real), c.rank == last_rank);
      });
  const auto suite = make_collectives_suite();
  for (bool in_place : {false, true})
    for (const char* dtype : {"int32", "bf16"}) {
      const auto points =
          suite->run(ctx, "allreduce",
                     {{"bytes", nlohmann::json::array({4096})}, {"dtype", dtype}, {"in_place", in_place}});
      ASSERT_EQ(points.size(), 1u);
      EXPECT_TRUE(points[0].check.checked) << dtype << " in place " << in_place;
      EXPECT_FALSE(points[0].check.passed) << dtype << " in place " << in_place;
      EXPECT_EQ(
          points[0].check.detail.rfind("rank " + std::to_string(last_rank) +
                                           ": first wrong element at index " + std::to_string(k_fault_index),
                                       0),
          0u)
          << points[0].check.detail;
    }
}

TEST(nccl_collectives, ranks_sharing_a_gpu_skip_every_collective_instead_of_failing_in_nccl) {
  SKIP_WITHOUT_GPU();
  const run_context ctx = cuda_context();
  if (ctx.ranks <= exacheck::gpus().device_count())
    GTEST_SKIP() << "every rank has a GPU of its own; run under mpirun -np N with N above the "
                 << exacheck::gpus().device_count() << " GPU(s) here to see ranks share one";
  // Ranks r and r + GPUs share a GPU (cuda_context binds round robin): every point SKIPPED, on every rank,
  // where ncclCommInitRank would fail.
  const std::vector<std::size_t> sizes = {8, 1 << 20};
  const auto points = make_collectives_suite()->run(ctx, "allreduce", {{"bytes", sizes}, {"dtype", "fp32"}});
  ASSERT_EQ(points.size(), sizes.size());
  for (const point_result& point : points) {
    ASSERT_TRUE(point.skipped_reason) << point.params.dump();
    EXPECT_EQ(point.skipped_reason->rfind("NCCL cannot run two ranks on one GPU: ranks 0 and " +
                                              std::to_string(exacheck::gpus().device_count()) + " share GPU ",
                                          0),
              0u)
        << *point.skipped_reason;
  }
}
