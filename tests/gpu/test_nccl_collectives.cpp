// The NCCL backend of the collectives (kernels/cuda/nccl_collectives.cpp) on this process's GPU: every
// collective in every dtype is exact at several sizes through the collectives suite (sizes out of order, so
// buffers both grow and are reused), the backend round-trips its buffers directly, misuse is a clear error,
// and a planted wrong element is reported INCORRECT. One process is one NCCL rank: NCCL with one rank is a
// supported configuration (single-GPU nodes). Run under `mpirun -np N`, the same tests run across N ranks.
//
// MPI is initialised by a global test environment registered from a static initialiser, which works with
// gtest_main's main(); it initialises MPI only where a GPU is visible (and never for --gtest_list_tests,
// which runs no environment), so a GPU-less machine never starts MPI. Every test skips, with the runtime's
// reason, where no CUDA device is visible.
#include <gtest/gtest.h>
#include <mpi.h>

#include <memory>
#include <string>
#include <vector>

#include "../support/faulty_collective_backend.hpp"
#include "../support/skip_without_gpu.hpp"
#include "kernels/cuda_backend.hpp"
#include "suites/collectives/collective_formulas.hpp"
#include "suites/collectives/collectives_suite.hpp"

using namespace exacheck;
using namespace exacheck::collectives;

namespace {

class mpi_environment final : public ::testing::Environment {
 public:
  void SetUp() override {
    if (cuda::device_count() == 0) return;
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
  ctx.measurement.warmup_iterations = 1;
  ctx.measurement.min_iterations = 3;
  ctx.measurement.max_iterations = 10;
  ctx.measurement.min_time_s = 0;
  ctx.measurement.max_time_s = 0.2;
  cuda::select_device(ctx.rank % cuda::device_count());
  return ctx;
}

using exacheck::testing::faulty_backend;
using exacheck::testing::k_fault_index;

}  // namespace

TEST(nccl_collectives, names_itself_nccl_with_the_library_version) {
  SKIP_WITHOUT_GPU();
  const auto backend = cuda::make_collective_backend(cuda_context());
  EXPECT_EQ(backend->name(), "nccl");
  EXPECT_EQ(backend->library_version().rfind("NCCL 2.", 0), 0u) << backend->library_version();
  EXPECT_GE(backend->max_elements(), std::size_t{1} << 40);
}

TEST(nccl_collectives, every_collective_and_dtype_is_exact_through_the_suite) {
  SKIP_WITHOUT_GPU();
  const run_context ctx = cuda_context();
  const auto suite = make_collectives_suite();
  // Out of order: buffers grow (8 → 65536 → 1 MiB + 12) and are reused for smaller sizes afterwards.
  const std::vector<std::size_t> sizes = {8, 65536, 100, (std::size_t{1} << 20) + 12, 4096};
  for (collective op : all_collectives())
    for (element_type dtype : {element_type::int32, element_type::fp32, element_type::fp64}) {
      const std::string where = std::string(to_string(op)) + " " + std::string(to_string(dtype));
      const int root = ctx.ranks - 1;
      const auto points =
          suite->run(ctx, to_string(op), {{"bytes", sizes}, {"dtype", to_string(dtype)}, {"root", root}});
      ASSERT_EQ(points.size(), sizes.size()) << where;
      for (std::size_t i = 0; i < sizes.size(); ++i) {
        const point_result& point = points[i];
        const auto layout = layout_for_bytes(op, dtype, sizes[i], ctx.ranks, root);
        if (!layout) {
          EXPECT_TRUE(point.skipped_reason) << where << " " << sizes[i] << " B";
          continue;
        }
        ASSERT_FALSE(point.skipped_reason) << where << " " << sizes[i] << " B: " << *point.skipped_reason;
        EXPECT_TRUE(point.check.checked) << where << " " << sizes[i] << " B";
        EXPECT_TRUE(point.check.passed) << where << " " << sizes[i] << " B: " << point.check.detail;
        ASSERT_FALSE(point.metrics.empty()) << where;
        for (const auto& m : point.metrics)
          EXPECT_GT(m.value, 0) << where << " " << sizes[i] << " B: " << m.name;
      }
    }
}

TEST(nccl_collectives, backend_round_trips_poison_and_computes_the_known_result) {
  SKIP_WITHOUT_GPU();
  const run_context ctx = cuda_context();
  const auto backend = cuda::make_collective_backend(ctx);
  for (collective op : all_collectives()) {
    const auto layout = layout_for_bytes(op, element_type::fp32, 1000 * 4 * ctx.ranks, ctx.ranks, 0);
    ASSERT_TRUE(layout);
    backend->prepare(*layout);
    backend->fill_output(poison_value);
    const std::vector<double> poisoned = backend->read_output();
    ASSERT_EQ(poisoned.size(), layout->recv_count) << to_string(op);
    for (double value : poisoned) ASSERT_EQ(value, poison_value) << to_string(op);
    if (op != collective::broadcast || ctx.rank == layout->root)
      backend->write_input(make_inputs(*layout, ctx.rank));
    backend->run();
    const std::vector<double> output = backend->read_output();
    if (!output_is_defined(*layout, ctx.rank)) continue;
    const auto mismatch = find_output_mismatch(*layout, ctx.rank, output);
    EXPECT_FALSE(mismatch) << to_string(op) << ": index " << mismatch->index << " expected "
                           << mismatch->expected << " got " << mismatch->got;
  }
}

TEST(nccl_collectives, misuse_is_a_clear_error) {
  SKIP_WITHOUT_GPU();
  const run_context ctx = cuda_context();
  const auto backend = cuda::make_collective_backend(ctx);
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

TEST(nccl_collectives, planted_wrong_element_is_reported_incorrect) {
  SKIP_WITHOUT_GPU();
  const run_context ctx = cuda_context();
  const int last_rank = ctx.ranks - 1;
  const auto suite = make_collectives_suite([&](const run_context& c) -> std::unique_ptr<collective_backend> {
    return std::make_unique<faulty_backend>(cuda::make_collective_backend(c), c.rank == last_rank);
  });
  const auto points =
      suite->run(ctx, "allreduce", {{"bytes", nlohmann::json::array({4096})}, {"dtype", "int32"}});
  ASSERT_EQ(points.size(), 1u);
  EXPECT_TRUE(points[0].check.checked);
  EXPECT_FALSE(points[0].check.passed);
  EXPECT_EQ(
      points[0].check.detail.rfind("rank " + std::to_string(last_rank) + ": first wrong element at index " +
                                       std::to_string(k_fault_index),
                                   0),
      0u)
      << points[0].check.detail;
}
