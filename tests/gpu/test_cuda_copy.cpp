// The CUDA copy backend (kernels/cuda/cuda_copy.cpp) and copybw on it: h2d, d2h and d2d at small sizes (whole
// words and sizes that leave a byte tail) copy every byte, verified by the device-side and host-side pattern
// compares; a planted wrong byte is INCORRECT in every direction; the p2p matrix has one verified point per
// ordered pair of the visible GPUs with peer access, or is SKIPPED with "one GPU on this node" where there is
// one GPU. Every test skips, with the runtime's reason, where no CUDA device is visible.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "../support/quick_context.hpp"
#include "../support/skip_without_gpu.hpp"
#include "harness/core/backends.hpp"
#include "harness/node/gpu_runtime.hpp"
#include "suites/copybw/copybw.hpp"
#include "suites/copybw/copybw_suite.hpp"

using namespace exacheck;
using namespace exacheck::membw;
using exacheck::testing::find_metric;

namespace {

run_context cuda_context() {
  run_context ctx = exacheck::testing::quick_context();
  ctx.backend = "cuda";
  return ctx;
}

param_values copy_params(const std::string& direction, nlohmann::json bytes) {
  return {{"direction", direction}, {"bytes", std::move(bytes)}};
}

// The CUDA backend with one destination byte inverted after every timed copy.
class corrupting_backend final : public copy_backend {
 public:
  corrupting_backend(std::unique_ptr<copy_backend> inner, std::uint64_t offset)
      : m_inner(std::move(inner)), m_offset(offset) {}
  std::optional<std::string> unsupported_reason(copy_direction d) const override {
    return m_inner->unsupported_reason(d);
  }
  int peer_devices() const override { return m_inner->peer_devices(); }
  std::optional<std::string> peer_unavailable_reason(int s, int d) const override {
    return m_inner->peer_unavailable_reason(s, d);
  }
  void prepare(const copy_route& r, std::uint64_t bytes, std::uint64_t seed) override {
    m_inner->prepare(r, bytes, seed);
  }
  batch_time time_batch(int copies) override {
    const batch_time taken = m_inner->time_batch(copies);
    m_inner->corrupt_destination_for_testing(m_offset);
    return taken;
  }
  pattern_check check_destination() override { return m_inner->check_destination(); }
  void corrupt_destination_for_testing(std::uint64_t offset) override {
    m_inner->corrupt_destination_for_testing(offset);
  }
  std::string implementation() const override { return m_inner->implementation(); }

 private:
  std::unique_ptr<copy_backend> m_inner;
  std::uint64_t m_offset;
};

std::unique_ptr<copy_backend> make_backend() {
  exacheck::gpus().select_device(0);
  return exacheck::make_backend<copy_backend>(cuda_context());
}

}  // namespace

TEST(cuda_copy, every_direction_copies_every_byte_at_word_and_tail_sizes) {
  SKIP_WITHOUT_GPU();
  const auto backend = make_backend();
  for (const auto direction : {copy_direction::h2d, copy_direction::d2h, copy_direction::d2d})
    for (const std::uint64_t bytes : {1ull, 7ull, 4096ull, 1000003ull, 16ull << 20}) {
      SCOPED_TRACE(::testing::Message() << to_string(direction) << " " << bytes << " B");
      backend->prepare({direction, 0, 0}, bytes, copy_seed(1, 0, bytes, 0, 0));
      // Before any copy the destination holds the poison: the compare must see it.
      const pattern_check before = backend->check_destination();
      EXPECT_EQ(before.bytes_compared, bytes);
      EXPECT_GT(before.wrong_bytes, bytes / 2);
      const batch_time taken = backend->time_batch(3);
      EXPECT_GT(taken.seconds, 0);
      EXPECT_EQ(taken.clock, batch_clock::device);
      const pattern_check after = backend->check_destination();
      EXPECT_EQ(after.bytes_compared, bytes);
      EXPECT_EQ(after.wrong_bytes, 0u) << "first wrong byte " << after.first_wrong_offset;
      // One planted byte, at the end (the tail when bytes % 8 != 0), is found and named.
      backend->corrupt_destination_for_testing(bytes - 1);
      const pattern_check planted = backend->check_destination();
      EXPECT_EQ(planted.wrong_bytes, 1u);
      EXPECT_EQ(planted.first_wrong_offset, bytes - 1);
      EXPECT_EQ(planted.got, static_cast<std::uint8_t>(planted.expected ^ 0xFF));
    }
}

TEST(cuda_copy, implementation_names_the_copy_call_and_device) {
  SKIP_WITHOUT_GPU();
  const auto backend = make_backend();
  backend->prepare({copy_direction::h2d, 0, 0}, 4096, 1);
  EXPECT_NE(backend->implementation().find("pinned host"), std::string::npos) << backend->implementation();
  EXPECT_NE(backend->implementation().find("CUDA device 0"), std::string::npos) << backend->implementation();
  EXPECT_THROW(backend->prepare({copy_direction::d2d, 0, 0}, 0, 1), std::invalid_argument);
  EXPECT_THROW(backend->time_batch(1), std::logic_error);  // the failed prepare left no buffers
}

TEST(cuda_copy, copybw_suite_runs_verified_in_every_direction) {
  SKIP_WITHOUT_GPU();
  exacheck::gpus().select_device(0);
  const auto s = make_copybw_suite();
  for (const std::string direction : {"h2d", "d2h", "d2d"}) {
    SCOPED_TRACE(direction);
    const auto points = s->run(cuda_context(), "copybw", copy_params(direction, {4096, 8 << 20}));
    ASSERT_EQ(points.size(), 2u);
    for (const auto& point : points) {
      ASSERT_FALSE(point.skipped_reason) << *point.skipped_reason;
      EXPECT_TRUE(point.check.checked);
      EXPECT_TRUE(point.check.passed) << point.check.detail;
      const metric* bandwidth = find_metric(point, direction + "_bandwidth");
      ASSERT_NE(bandwidth, nullptr);
      EXPECT_GT(bandwidth->value, 0);
      EXPECT_NE(bandwidth->description.find("CUDA device"), std::string::npos) << bandwidth->description;
    }
  }
}

TEST(cuda_copy, planted_wrong_byte_is_incorrect_in_every_direction) {
  SKIP_WITHOUT_GPU();
  exacheck::gpus().select_device(0);
  const auto planted =
      wrap_backend<copy_backend>("cuda", [](std::unique_ptr<copy_backend> real, const run_context&) {
        return std::make_unique<corrupting_backend>(std::move(real), 4097);
      });
  const auto s = make_copybw_suite();
  for (const std::string direction : {"h2d", "d2h", "d2d"}) {
    SCOPED_TRACE(direction);
    const auto points = s->run(cuda_context(), "copybw", copy_params(direction, {1 << 20}));
    ASSERT_EQ(points.size(), 1u);
    EXPECT_TRUE(points[0].check.checked);
    EXPECT_FALSE(points[0].check.passed);
    EXPECT_NE(points[0].check.detail.find("byte 4097 wrong"), std::string::npos) << points[0].check.detail;
  }
}

TEST(cuda_copy, p2p_is_a_verified_matrix_or_skipped_on_one_gpu) {
  SKIP_WITHOUT_GPU();
  exacheck::gpus().select_device(0);
  const int gpus = exacheck::gpus().device_count();
  const auto s = make_copybw_suite();
  const auto points = s->run(cuda_context(), "copybw", copy_params("p2p", {1 << 20}));
  if (gpus == 1) {
    ASSERT_EQ(points.size(), 1u);
    ASSERT_TRUE(points[0].skipped_reason);
    EXPECT_NE(points[0].skipped_reason->find("one GPU on this node: no peer to copy to"), std::string::npos)
        << *points[0].skipped_reason;
    return;
  }
  const auto backend = exacheck::make_backend<copy_backend>(cuda_context());
  ASSERT_EQ(points.size(), static_cast<std::size_t>(gpus * (gpus - 1)));
  std::size_t i = 0;
  for (int src = 0; src < gpus; ++src)
    for (int dst = 0; dst < gpus; ++dst) {
      if (src == dst) continue;
      const auto& point = points[i++];
      SCOPED_TRACE(point.params.dump());
      EXPECT_EQ(point.params["src_gpu"], src);
      EXPECT_EQ(point.params["dst_gpu"], dst);
      if (backend->peer_unavailable_reason(src, dst)) {
        ASSERT_TRUE(point.skipped_reason);  // one process: no other node has the access either
        EXPECT_NE(point.skipped_reason->find("peer access"), std::string::npos);
        continue;
      }
      ASSERT_FALSE(point.skipped_reason) << *point.skipped_reason;
      EXPECT_TRUE(point.check.passed) << point.check.detail;
      const metric* bandwidth = find_metric(point, "p2p_bandwidth");
      ASSERT_NE(bandwidth, nullptr);
      EXPECT_GT(bandwidth->value, 0);
      EXPECT_NE(bandwidth->description.find("cudaMemcpyPeerAsync"), std::string::npos);
    }
  // The matrix leaves the rank on its own GPU: a backend made now works on device 0.
  const auto after =
      exacheck::make_backend<copy_backend>(cuda_context());  // no select_device: what p2p left current
  after->prepare({copy_direction::d2d, 0, 0}, 4096, 1);
  EXPECT_NE(after->implementation().find("CUDA device 0"), std::string::npos) << after->implementation();
}

TEST(cuda_copy, p2p_planted_wrong_byte_is_incorrect_where_there_are_peers) {
  SKIP_WITHOUT_GPU();
  exacheck::gpus().select_device(0);
  if (exacheck::gpus().device_count() < 2) GTEST_SKIP() << "one GPU: no p2p copy to corrupt";
  const auto backend = make_backend();
  if (const auto why_not = backend->peer_unavailable_reason(0, 1)) GTEST_SKIP() << *why_not;
  backend->prepare({copy_direction::p2p, 0, 1}, 1 << 20, 99);
  backend->time_batch(2);
  EXPECT_EQ(backend->check_destination().wrong_bytes, 0u);
  backend->corrupt_destination_for_testing(12345);
  const pattern_check check = backend->check_destination();
  EXPECT_EQ(check.wrong_bytes, 1u);
  EXPECT_EQ(check.first_wrong_offset, 12345u);
}
