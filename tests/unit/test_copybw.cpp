// The copybw suite without a GPU: its parameters, the index-hash pattern and its compare (a wrong byte is
// found and named, at any offset and size), seeds, skip reasons, the cpu backend's host-memory
// d2d (measured and verified; a planted wrong byte is INCORRECT) and the shape of the p2p matrix (one point
// per ordered pair, through a fake backend of host-memory "GPUs").
#include <gtest/gtest.h>
#include <omp.h>

#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "../support/quick_context.hpp"
#include "harness/core/backends.hpp"
#include "harness/core/errors.hpp"
#include "harness/node/gpu_runtime.hpp"
#include "kernels/cpu/cpu_copy.hpp"
#include "suites/copybw/copybw.hpp"
#include "suites/copybw/copybw_suite.hpp"

using namespace exacheck;
using namespace exacheck::membw;
using exacheck::testing::find_metric;
using exacheck::testing::quick_context;

namespace {

param_values copy_params(const std::string& direction, nlohmann::json bytes) {
  return {{"direction", direction}, {"bytes", std::move(bytes)}};
}

// The real cpu backend with one destination byte inverted after every copy.
class corrupting_copy_backend final : public copy_backend {
 public:
  explicit corrupting_copy_backend(std::uint64_t offset) : m_inner(1, 0), m_offset(offset) {}
  std::optional<std::string> unsupported_reason(copy_direction d) const override {
    return m_inner.unsupported_reason(d);
  }
  int peer_devices() const override { return m_inner.peer_devices(); }
  std::optional<std::string> peer_unavailable_reason(int s, int d) const override {
    return m_inner.peer_unavailable_reason(s, d);
  }
  void prepare(const copy_route& r, std::uint64_t bytes, std::uint64_t seed) override {
    m_inner.prepare(r, bytes, seed);
  }
  batch_time time_batch(int copies) override {
    const batch_time taken = m_inner.time_batch(copies);
    m_inner.corrupt_destination_for_testing(m_offset);
    return taken;
  }
  pattern_check check_destination() override { return m_inner.check_destination(); }
  void corrupt_destination_for_testing(std::uint64_t offset) override {
    m_inner.corrupt_destination_for_testing(offset);
  }
  std::string implementation() const override { return m_inner.implementation(); }

 private:
  cpu_copy_backend m_inner;
  std::uint64_t m_offset;
};

// `gpus` host buffers standing in for GPUs, with peer access everywhere except `missing_src → missing_dst`.
class fake_peer_backend final : public copy_backend {
 public:
  // `routes` outlives the backend (the suite destroys it at the end of run): the routes it was prepared for.
  fake_peer_backend(int gpus, int missing_src, int missing_dst,
                    std::shared_ptr<std::vector<std::pair<int, int>>> routes)
      : routes(std::move(routes)), m_gpus(gpus), m_missing_src(missing_src), m_missing_dst(missing_dst) {}
  std::optional<std::string> unsupported_reason(copy_direction) const override { return std::nullopt; }
  int peer_devices() const override { return m_gpus; }
  std::optional<std::string> peer_unavailable_reason(int src, int dst) const override {
    if (src == m_missing_src && dst == m_missing_dst) return std::string("no peer access (fake)");
    return std::nullopt;
  }
  void prepare(const copy_route& route, std::uint64_t bytes, std::uint64_t seed) override {
    routes->push_back({route.src_device, route.dst_device});
    m_source.assign(bytes, 0);
    m_destination.assign(bytes, 0);
    fill_copy_pattern_range(m_source.data(), 0, bytes, seed);
    fill_copy_pattern_range(m_destination.data(), 0, bytes, poison_seed(seed));
    m_seed = seed;
  }
  batch_time time_batch(int copies) override {
    for (int c = 0; c < copies; ++c) std::memcpy(m_destination.data(), m_source.data(), m_source.size());
    return {1e-4 * copies, batch_clock::device};  // a fixed, known time: 1 MiB in 100 µs
  }
  pattern_check check_destination() override {
    return check_copy_pattern_range(m_destination.data(), 0, m_destination.size(), m_seed);
  }
  void corrupt_destination_for_testing(std::uint64_t offset) override { m_destination.at(offset) ^= 0xFF; }
  std::string implementation() const override { return "fake peers"; }

  std::shared_ptr<std::vector<std::pair<int, int>>> routes;

 private:
  int m_gpus, m_missing_src, m_missing_dst;
  std::vector<unsigned char> m_source, m_destination;
  std::uint64_t m_seed = 0;
};

}  // namespace

TEST(copybw, is_a_suite_of_its_own_with_direction_and_bytes) {
  const auto s = make_copybw_suite();
  EXPECT_EQ(s->benchmarks(), (std::vector<std::string>{"copybw"}));
  const auto specs = s->parameters("copybw");
  ASSERT_EQ(specs.size(), 2u);
  const auto* direction = find_param(specs, "direction");
  ASSERT_NE(direction, nullptr);
  EXPECT_EQ(direction->allowed, (std::vector<std::string>{"h2d", "d2h", "d2d", "p2p"}));
  EXPECT_EQ(direction->default_value, nlohmann::json({"h2d", "d2h", "d2d", "p2p"}));  // a sweep: all four
  EXPECT_FALSE(direction->swept_inside_worker);
  const auto* bytes = find_param(specs, "bytes");
  ASSERT_NE(bytes, nullptr);
  EXPECT_EQ(bytes->type, param_type::bytes);
  EXPECT_EQ(bytes->default_value, std::uint64_t{1} << 30);
  EXPECT_TRUE(bytes->swept_inside_worker);
  EXPECT_NE(s->description("copybw").find("p2p"), std::string::npos);
  EXPECT_NE(s->description("membw").find("STREAM"), std::string::npos);  // membw unchanged
}

TEST(copybw, directions_read_and_print_and_d2d_also_counts_read_plus_write) {
  for (const char* name : {"h2d", "d2h", "d2d", "p2p"}) {
    const auto direction = copy_direction_from_string(name);
    ASSERT_TRUE(direction) << name;
    EXPECT_EQ(to_string(*direction), name);
  }
  EXPECT_FALSE(copy_direction_from_string("h2h"));
  ASSERT_EQ(copy_metrics(copy_direction::d2d).size(), 2u);
  EXPECT_EQ(copy_metrics(copy_direction::d2d)[0].name, "d2d_bandwidth");
  EXPECT_EQ(copy_metrics(copy_direction::d2d)[0].bytes_factor, 1);
  EXPECT_EQ(copy_metrics(copy_direction::d2d)[1].name, "d2d_read_write_bandwidth");
  EXPECT_EQ(copy_metrics(copy_direction::d2d)[1].bytes_factor, 2);
  EXPECT_EQ(copy_metrics(copy_direction::h2d).at(0).name, "h2d_bandwidth");
  EXPECT_EQ(copy_metrics(copy_direction::d2h).at(0).name, "d2h_bandwidth");
  EXPECT_EQ(copy_metrics(copy_direction::p2p).at(0).name, "p2p_bandwidth");
}

TEST(copy_pattern, is_neither_constant_nor_zero_and_depends_on_the_seed) {
  std::set<std::uint64_t> words;
  for (std::uint64_t i = 0; i < 4096; ++i) words.insert(copy_pattern_word(i, 7));
  EXPECT_EQ(words.size(), 4096u);
  EXPECT_FALSE(words.count(0));
  EXPECT_NE(copy_pattern_word(0, 7), copy_pattern_word(0, 8));
  EXPECT_NE(poison_seed(7), 7u);
  EXPECT_EQ(copy_pattern_byte(9, 7), static_cast<std::uint8_t>(copy_pattern_word(1, 7) >> 8));
}

TEST(copy_pattern, fill_then_check_matches_at_any_offset_and_size_and_names_a_wrong_byte) {
  for (const std::uint64_t first : {0u, 3u, 8u, 13u})
    for (const std::size_t bytes : {1u, 7u, 8u, 9u, 63u, 64u, 1000u, 4099u}) {
      SCOPED_TRACE(::testing::Message() << "offset " << first << ", " << bytes << " B");
      std::vector<unsigned char> buffer(bytes);
      fill_copy_pattern_range(buffer.data(), first, bytes, 42);
      for (std::size_t i = 0; i < bytes; ++i) ASSERT_EQ(buffer[i], copy_pattern_byte(first + i, 42));
      pattern_check ok = check_copy_pattern_range(buffer.data(), first, bytes, 42);
      EXPECT_EQ(ok.bytes_compared, bytes);
      EXPECT_EQ(ok.wrong_bytes, 0u);
      const std::size_t planted = bytes / 2;
      buffer[planted] ^= 0x10;
      const pattern_check bad = check_copy_pattern_range(buffer.data(), first, bytes, 42);
      EXPECT_EQ(bad.wrong_bytes, 1u);
      EXPECT_EQ(bad.first_wrong_offset, first + planted);
      EXPECT_EQ(bad.expected, copy_pattern_byte(first + planted, 42));
      EXPECT_EQ(bad.got, static_cast<std::uint8_t>(bad.expected ^ 0x10));
    }
}

TEST(copy_pattern, whole_buffer_check_splits_over_threads_and_reports_the_lowest_wrong_byte) {
  const int threads = omp_get_max_threads();
  omp_set_num_threads(3);
  std::vector<unsigned char> buffer(100000);
  fill_copy_pattern(buffer.data(), buffer.size(), 5);
  EXPECT_EQ(check_copy_pattern(buffer.data(), buffer.size(), 5).wrong_bytes, 0u);
  buffer[90001] ^= 1;
  buffer[4321] ^= 1;
  const pattern_check check = check_copy_pattern(buffer.data(), buffer.size(), 5);
  EXPECT_EQ(check.bytes_compared, buffer.size());
  EXPECT_EQ(check.wrong_bytes, 2u);
  EXPECT_EQ(check.first_wrong_offset, 4321u);
  // A destination still holding the poison is wrong almost everywhere.
  fill_copy_pattern(buffer.data(), buffer.size(), poison_seed(5));
  EXPECT_GT(check_copy_pattern(buffer.data(), buffer.size(), 5).wrong_bytes, 99000u);
  omp_set_num_threads(threads);
}

TEST(copy_pattern, static_shares_cover_the_buffer_in_whole_cache_lines) {
  for (const std::uint64_t bytes : {0ull, 1ull, 100ull, 4096ull, 1000003ull, 1ull << 40})
    for (const int parts : {1, 3, 7, 64}) {
      std::uint64_t next = 0;
      for (int part = 0; part < parts; ++part) {
        const byte_range share = static_share(bytes, parts, part);
        EXPECT_EQ(share.begin, next) << bytes << " / " << parts;
        EXPECT_LE(share.begin, share.end);
        if (share.end != bytes) {
          EXPECT_EQ(share.end % 64, 0u);
        }
        next = share.end;
      }
      EXPECT_EQ(next, bytes) << bytes << " / " << parts;
    }
}

TEST(copybw, seeds_differ_per_rank_size_and_pair_and_are_never_zero) {
  std::set<std::uint64_t> seeds;
  for (int rank : {0, 1})
    for (std::uint64_t bytes : {4096u, 8192u})
      for (int src : {0, 1})
        for (int dst : {0, 1}) seeds.insert(copy_seed(12345, rank, bytes, src, dst));
  EXPECT_EQ(seeds.size(), 16u);
  EXPECT_FALSE(seeds.count(0));
  EXPECT_EQ(copy_seed(1, 2, 3, 4, 5), copy_seed(1, 2, 3, 4, 5));
}

TEST(copybw, correctness_names_the_first_wrong_byte_and_an_incomplete_compare) {
  pattern_check check;
  check.bytes_compared = 1024;
  const correctness ok = copy_correctness(check, 1024);
  EXPECT_TRUE(ok.checked);
  EXPECT_TRUE(ok.passed);
  EXPECT_EQ(ok.detail, "all 1024 bytes match the source pattern");
  check.wrong_bytes = 3;
  check.first_wrong_offset = 17;
  check.expected = 0xab;
  check.got = 0x54;
  const correctness wrong = copy_correctness(check, 1024);
  EXPECT_FALSE(wrong.passed);
  EXPECT_EQ(wrong.detail, "byte 17 wrong: expected 0xab, got 0x54; 3 of 1024 bytes wrong");
  check.wrong_bytes = 0;
  check.bytes_compared = 1000;
  EXPECT_FALSE(copy_correctness(check, 1024).passed);
}

TEST(copybw, one_gpu_has_no_peer_to_copy_to) {
  EXPECT_EQ(p2p_skip_reason(1, std::nullopt), "one GPU on this node: no peer to copy to");
  EXPECT_NE(p2p_skip_reason(1, std::string("3"))->find("CUDA_VISIBLE_DEVICES=3"), std::string::npos);
  EXPECT_FALSE(p2p_skip_reason(2, std::nullopt));
  EXPECT_FALSE(p2p_skip_reason(8, std::string("0,1,2,3,4,5,6,7")));
}

TEST(copybw, cpu_backend_skips_what_needs_a_gpu) {
  const auto s = make_copybw_suite();
  for (const char* direction : {"h2d", "d2h", "p2p"}) {
    SCOPED_TRACE(direction);
    const auto points = s->run(quick_context(), "copybw", copy_params(direction, {4096, 65536}));
    ASSERT_EQ(points.size(), 2u);  // one skipped point per size
    for (const auto& point : points) {
      ASSERT_TRUE(point.skipped_reason);
      EXPECT_NE(point.skipped_reason->find("needs a GPU"), std::string::npos) << *point.skipped_reason;
      EXPECT_TRUE(point.metrics.empty());
      EXPECT_EQ(point.params["direction"], direction);
    }
  }
}

TEST(copybw, cpu_d2d_is_measured_and_verified_at_every_size) {
  const auto s = make_copybw_suite();
  const auto points = s->run(quick_context(2), "copybw", copy_params("d2d", {1, 4099, 1 << 20}));
  ASSERT_EQ(points.size(), 3u);
  for (const auto& point : points) {
    SCOPED_TRACE(point.params.dump());
    ASSERT_FALSE(point.skipped_reason);
    EXPECT_EQ(point.params["direction"], "d2d");
    EXPECT_TRUE(point.check.checked);
    EXPECT_TRUE(point.check.passed) << point.check.detail;
    const metric* copied = find_metric(point, "d2d_bandwidth");
    const metric* read_write = find_metric(point, "d2d_read_write_bandwidth");
    ASSERT_NE(copied, nullptr);
    ASSERT_NE(read_write, nullptr);
    EXPECT_GT(copied->value, 0);
    EXPECT_DOUBLE_EQ(read_write->value, 2 * copied->value);
    EXPECT_EQ(copied->unit, "GB/s");
    EXPECT_EQ(copied->statistic, "median");
    ASSERT_EQ(point.samples.size(), 1u);
    EXPECT_GE(point.samples[0].values.size(), 3u);
    EXPECT_NE(copied->description.find("memcpy"), std::string::npos) << copied->description;
  }
}

TEST(copybw, planted_wrong_byte_is_incorrect_and_named) {
  const scoped_backend<copy_backend> planted(
      "cpu", [](const run_context&) { return std::make_unique<corrupting_copy_backend>(777); });
  const auto s = make_copybw_suite();
  const auto points = s->run(quick_context(), "copybw", copy_params("d2d", {4096}));
  ASSERT_EQ(points.size(), 1u);
  EXPECT_TRUE(points[0].check.checked);
  EXPECT_FALSE(points[0].check.passed);
  EXPECT_NE(points[0].check.detail.find("byte 777 wrong"), std::string::npos) << points[0].check.detail;
  EXPECT_NE(points[0].check.detail.find("1 of 4096 bytes wrong"), std::string::npos)
      << points[0].check.detail;
}

TEST(copybw, verification_off_is_recorded_as_not_verified) {
  const auto s = make_copybw_suite();
  run_context ctx = quick_context();
  ctx.verify = false;
  const auto points = s->run(ctx, "copybw", copy_params("d2d", {4096}));
  ASSERT_EQ(points.size(), 1u);
  EXPECT_FALSE(points[0].check.checked);
}

TEST(copybw, p2p_is_one_point_per_ordered_pair_and_a_pair_without_access_is_skipped) {
  const auto routes = std::make_shared<std::vector<std::pair<int, int>>>();
  const scoped_backend<copy_backend> planted(
      "cpu", [&](const run_context&) { return std::make_unique<fake_peer_backend>(3, 2, 0, routes); });
  const auto s = make_copybw_suite();
  const auto points = s->run(quick_context(), "copybw", copy_params("p2p", {std::uint64_t{1} << 20}));
  ASSERT_EQ(points.size(), 6u);  // 3 × 2 ordered pairs, row-major: (0,1) (0,2) (1,0) (1,2) (2,0) (2,1)
  const std::vector<std::pair<int, int>> pairs{{0, 1}, {0, 2}, {1, 0}, {1, 2}, {2, 0}, {2, 1}};
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto& point = points[i];
    SCOPED_TRACE(point.params.dump());
    EXPECT_EQ(point.params, (nlohmann::json{{"direction", "p2p"},
                                            {"bytes", std::uint64_t{1} << 20},
                                            {"src_gpu", pairs[i].first},
                                            {"dst_gpu", pairs[i].second}}));
    if (pairs[i] == std::pair{2, 0}) {
      ASSERT_TRUE(point.skipped_reason);
      EXPECT_EQ(*point.skipped_reason, "no peer access (fake)");
      continue;
    }
    ASSERT_FALSE(point.skipped_reason);
    EXPECT_TRUE(point.check.passed) << point.check.detail;
    const metric* bandwidth = find_metric(point, "p2p_bandwidth");
    ASSERT_NE(bandwidth, nullptr);
    EXPECT_NEAR(bandwidth->value, 1048576 / 1e-4 / 1e9, 1e-6);  // the fake's fixed 100 µs per copy
    EXPECT_NE(bandwidth->description.find("local rank 0"), std::string::npos) << bandwidth->description;
  }
  EXPECT_EQ(routes->size(), 5u);  // the pair without access was never prepared
}

TEST(cpu_copy, calls_before_prepare_and_routes_it_cannot_take_are_errors) {
  cpu_copy_backend backend(1, 0);
  EXPECT_THROW(backend.time_batch(1), std::logic_error);
  EXPECT_THROW(backend.check_destination(), std::logic_error);
  EXPECT_THROW(backend.prepare({copy_direction::h2d, 0, 0}, 4096, 1), std::invalid_argument);
  EXPECT_THROW(backend.prepare({copy_direction::d2d, 0, 0}, 0, 1), std::invalid_argument);
  backend.prepare({copy_direction::d2d, 0, 0}, 4096, 1);
  EXPECT_GT(backend.check_destination().wrong_bytes, 4000u);  // poisoned until the first copy
  EXPECT_EQ(backend.time_batch(1).clock, batch_clock::host);
  EXPECT_EQ(backend.check_destination().wrong_bytes, 0u);
  EXPECT_THROW(backend.corrupt_destination_for_testing(4096), std::out_of_range);
}
