// The membw suite on one rank, in-process (one rank needs no MPI): the five STREAM kernels are measured and
// verified by scalar replay, a planted wrong element or dot is INCORRECT and named, bytes follow STREAM's
// counting, auto-sizing reaches 4 × the node's last-level cache, and pinned threads are unpinned afterwards.
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "../support/forwarding_backends.hpp"
#include "harness/core/backends.hpp"
#include "harness/core/errors.hpp"
#include "harness/node/gpu_runtime.hpp"
#include "kernels/cpu/cpu_stream.hpp"
#include "suites/membw/membw_sizing.hpp"
#include "suites/membw/membw_suite.hpp"
#include "suites/membw/stream_oracle.hpp"

using namespace exacheck;
using namespace exacheck::membw;
using exacheck::testing::forwarding_stream_backend;

namespace {

run_context quick_context(int threads = 1) {
  run_context ctx;
  ctx.threads = threads;
  ctx.measurement.max_time_s = 10;
  return ctx;
}

param_values membw_params(const std::string& dtype = "fp64", std::uint64_t array_bytes = 1 << 20,
                          int ntimes = 5) {
  return {{"array_bytes", array_bytes}, {"dtype", dtype}, {"scalar", 0.4}, {"ntimes", ntimes}};
}

point_result run_one(suite& s, const run_context& ctx, const param_values& params) {
  const auto points = s.run(ctx, "membw", params);
  EXPECT_EQ(points.size(), 1u);
  return points.empty() ? point_result{} : points.front();
}

// The real OpenMP backend with a fault planted after each batch of triads (one element of a) or in dot's sum.
class corrupting_backend final : public forwarding_stream_backend<cpu_stream_backend> {
 public:
  corrupting_backend(const run_context& ctx, bool corrupt_dot)
      : forwarding_stream_backend(std::make_unique<cpu_stream_backend>(ctx.threads, 0)), m_dot(corrupt_dot) {}
  stream_batch time_batch(stream_kernel kernel, int calls, double scalar) override {
    stream_batch batch = inner().time_batch(kernel, calls, scalar);
    if (kernel == stream_kernel::triad && !m_dot) inner().corrupt_array_for_testing('a', 77, 1e-9);
    if (kernel == stream_kernel::dot && m_dot) batch.dot_sum *= 1 + 1e-6;
    return batch;
  }

 private:
  bool m_dot;
};

// The real OpenMP backend dressed as a device: every kernel call reports a device time of its own, far from
// the wall time it took (as events on a GPU stream would, without the launch and synchronisation latency).
class device_timed_backend final : public forwarding_stream_backend<cpu_stream_backend> {
 public:
  explicit device_timed_backend(const run_context& ctx)
      : forwarding_stream_backend(std::make_unique<cpu_stream_backend>(ctx.threads, 0)) {}
  static constexpr double device_s = 0.25;
  stream_batch time_batch(stream_kernel kernel, int calls, double scalar) override {
    stream_batch batch = inner().time_batch(kernel, calls, scalar);
    batch.time = {device_s * calls, batch_clock::device};
    return batch;
  }
  std::string implementation() const override { return "a device"; }
};

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text << "\n";
}

// A fake /sys/devices/system/cpu: `cpus` CPUs, L1d, L2 and (when l3_groups > 0) an L3 shared by groups.
std::filesystem::path fake_sysfs(const std::string& name, int cpus, int l3_groups) {
  const auto root = std::filesystem::temp_directory_path() / fmt::format("exacheck_{}_{}", name, ::getpid());
  std::filesystem::remove_all(root);
  for (int cpu = 0; cpu < cpus; ++cpu) {
    const auto cache = root / fmt::format("cpu{}", cpu) / "cache";
    write_file(cache / "index0" / "level", "1");
    write_file(cache / "index0" / "type", "Data");
    write_file(cache / "index0" / "size", "48K");
    write_file(cache / "index1" / "level", "1");
    write_file(cache / "index1" / "type", "Instruction");
    write_file(cache / "index1" / "size", "32K");
    write_file(cache / "index2" / "level", "2");
    write_file(cache / "index2" / "type", "Unified");
    write_file(cache / "index2" / "size", "1024K");
    if (l3_groups > 0) {
      const int per_group = cpus / l3_groups, group = cpu / per_group;
      write_file(cache / "index3" / "level", "3");
      write_file(cache / "index3" / "type", "Unified");
      write_file(cache / "index3" / "size", "32768K");
      write_file(cache / "index3" / "shared_cpu_list",
                 fmt::format("{}-{}", group * per_group, group * per_group + per_group - 1));
    }
  }
  write_file(root / "online", fmt::format("0-{}", cpus - 1));
  return root;
}

}  // namespace

TEST(membw_suite, declares_its_parameters_with_units_defaults_and_allowed_values) {
  const auto s = make_membw_suite();
  EXPECT_EQ(s->benchmarks(), (std::vector<std::string>{"membw"}));  // copybw: its own suite
  const auto specs = s->parameters("membw");
  ASSERT_EQ(specs.size(), 4u);
  const auto* bytes = find_param(specs, "array_bytes");
  ASSERT_NE(bytes, nullptr);
  EXPECT_EQ(bytes->type, param_type::bytes);
  EXPECT_EQ(bytes->unit, "B");
  EXPECT_EQ(bytes->default_value, 0);
  const auto* dtype = find_param(specs, "dtype");
  ASSERT_NE(dtype, nullptr);
  EXPECT_EQ(dtype->default_value, "fp64");
  EXPECT_EQ(dtype->allowed, (std::vector<std::string>{"fp64", "fp32"}));
  const auto* scalar = find_param(specs, "scalar");
  ASSERT_NE(scalar, nullptr);
  EXPECT_EQ(scalar->type, param_type::number);
  EXPECT_EQ(scalar->default_value, 0.4);
  const auto* ntimes = find_param(specs, "ntimes");
  ASSERT_NE(ntimes, nullptr);
  EXPECT_EQ(ntimes->type, param_type::integer);
  EXPECT_EQ(ntimes->default_value, 20);
  EXPECT_EQ(ntimes->min, 2.0);
}

TEST(stream_formulas, bytes_count_the_arrays_each_kernel_moves) {
  EXPECT_EQ(stream_bytes(stream_kernel::copy, 1000, 8), 16000u);
  EXPECT_EQ(stream_bytes(stream_kernel::scale, 1000, 8), 16000u);
  EXPECT_EQ(stream_bytes(stream_kernel::add, 1000, 8), 24000u);
  EXPECT_EQ(stream_bytes(stream_kernel::triad, 1000, 8), 24000u);
  EXPECT_EQ(stream_bytes(stream_kernel::dot, 1000, 4), 8000u);
  std::vector<std::string> labels;
  for (const auto& info : stream_kernels) labels.emplace_back(info.label);
  EXPECT_EQ(labels, (std::vector<std::string>{"copy", "scale", "add", "triad", "dot"}));  // STREAM's order
  EXPECT_EQ(kernel_info(stream_kernel::triad).formula, "a[i] = b[i] + scalar * c[i]");
}

TEST(stream_formulas, auto_size_puts_four_times_the_llc_on_the_node) {
  const std::uint64_t mib = 1 << 20;
  EXPECT_EQ(auto_array_bytes(32 * mib, 1, 8), 128 * mib);
  EXPECT_EQ(auto_array_bytes(32 * mib, 2, 8), 64 * mib);
  EXPECT_EQ(auto_array_bytes(0, 1, 8), 4 * fallback_llc_bytes);  // unreadable: the documented fallback
  for (int ranks : {3, 7, 96}) {
    const std::uint64_t per_rank = auto_array_bytes(32 * mib, ranks, 8);
    EXPECT_GE(per_rank * static_cast<std::uint64_t>(ranks), 128 * mib) << ranks;
    EXPECT_EQ(per_rank % 64, 0u) << ranks;
  }
}

TEST(stream_formulas, llc_is_the_highest_level_times_its_distinct_instances) {
  const auto two_l3 = fake_sysfs("two_l3", 4, 2);
  const last_level_cache llc = read_last_level_cache(two_l3.string());
  EXPECT_EQ(llc.level, 3);
  EXPECT_EQ(llc.instance_bytes, 32u << 20);
  EXPECT_EQ(llc.instances, 2);
  EXPECT_EQ(llc.total_bytes(), 64u << 20);
  const auto l2_only = fake_sysfs("l2_only", 2, 0);
  EXPECT_EQ(read_last_level_cache(l2_only.string()).level, 2);
  EXPECT_EQ(read_last_level_cache(l2_only.string()).instance_bytes, 1u << 20);
  EXPECT_EQ(read_last_level_cache("/nonexistent/cpu").total_bytes(), 0u);
  std::filesystem::remove_all(two_l3);
  std::filesystem::remove_all(l2_only);
}

TEST(stream_formulas, replay_follows_copy_scale_add_triad) {
  const stream_expected one = replay_stream("fp64", 0.4, 1, 1000);
  EXPECT_DOUBLE_EQ(one.c, 0.1 + 0.4 * 0.1);
  EXPECT_DOUBLE_EQ(one.b, 0.4 * 0.1);
  EXPECT_DOUBLE_EQ(one.a, 0.04 + 0.4 * 0.14);
  EXPECT_DOUBLE_EQ(one.dot, 1000 * one.a * one.b);
  const stream_expected none = replay_stream("fp64", 0.4, 0, 10);
  EXPECT_EQ(none.a, initial_a);
  EXPECT_EQ(none.dot, 0.0);
  EXPECT_EQ(element_tolerance("fp64"), 1e-13);
  EXPECT_EQ(element_tolerance("fp32"), 1e-6);
}

TEST(membw_suite, every_kernel_is_measured_and_verified) {
  const auto s = make_membw_suite();
  for (const std::string dtype : {"fp64", "fp32"}) {
    SCOPED_TRACE(dtype);
    const auto params = membw_params(dtype, 1 << 20, 5);
    const point_result point = run_one(*s, quick_context(2), params);
    ASSERT_FALSE(point.skipped_reason);
    EXPECT_EQ(point.params, params);
    EXPECT_EQ(point.derived, nlohmann::json({{"array_bytes_used", 1 << 20}}));  // the size measured
    EXPECT_EQ(point.scope, metric_scope::rank);
    EXPECT_TRUE(point.check.checked);
    EXPECT_TRUE(point.check.passed) << point.check.detail;
    ASSERT_EQ(point.metrics.size(), 5u);
    ASSERT_EQ(point.samples.size(), 5u);
    for (std::size_t k = 0; k < stream_kernels.size(); ++k) {
      const std::string label(stream_kernels[k].label);
      EXPECT_EQ(point.metrics[k].name, label + "_bandwidth");
      EXPECT_EQ(point.metrics[k].unit, "GB/s");
      EXPECT_EQ(point.metrics[k].statistic, "best_excluding_first");
      EXPECT_EQ(point.metrics[k].better_is, better::higher);
      EXPECT_EQ(point.samples[k].name, label + "_time");
      ASSERT_EQ(point.samples[k].values.size(), 5u);
      // GB/s = bytes / best time excluding the first iteration / 1e9.
      const auto& times = point.samples[k].values;
      const double best = *std::min_element(times.begin() + 1, times.end());
      const double elements = (1 << 20) / (dtype == "fp64" ? 8.0 : 4.0);
      EXPECT_DOUBLE_EQ(point.metrics[k].value,
                       stream_kernels[k].arrays_moved * elements * (dtype == "fp64" ? 8 : 4) / best / 1e9);
    }
    EXPECT_NE(point.metrics[3].description.find("pinned to CPUs"), std::string::npos)
        << point.metrics[3].description;
  }
}

TEST(membw_suite, host_backends_are_timed_by_a_steady_clock_and_say_so) {
  const point_result point = run_one(*make_membw_suite(), quick_context(), membw_params("fp64", 1 << 20, 3));
  ASSERT_EQ(point.metrics.size(), 5u);
  for (const auto& m : point.metrics)
    EXPECT_NE(m.description.find("timed by a steady clock around each blocking call"), std::string::npos)
        << m.description;
}

TEST(membw_suite, a_backend_with_device_time_is_timed_by_it_not_by_the_host_clock) {
  const scoped_backend<stream_backend> planted(
      "cpu", [](const run_context& ctx) { return std::make_unique<device_timed_backend>(ctx); });
  const auto s = make_membw_suite();
  const point_result point = run_one(*s, quick_context(), membw_params("fp64", 1 << 20, 4));
  EXPECT_TRUE(point.check.passed) << point.check.detail;
  ASSERT_EQ(point.metrics.size(), 5u);
  ASSERT_EQ(point.samples.size(), 5u);
  for (std::size_t k = 0; k < stream_kernels.size(); ++k) {
    SCOPED_TRACE(std::string(stream_kernels[k].label));
    // Every sample is the device's time, never the wall time around the call (microseconds here).
    EXPECT_EQ(point.samples[k].values, std::vector<double>(4, device_timed_backend::device_s));
    EXPECT_DOUBLE_EQ(point.metrics[k].value,
                     stream_kernels[k].arrays_moved * double(1 << 20) / device_timed_backend::device_s / 1e9);
    EXPECT_NE(point.metrics[k].description.find("timed by device events"), std::string::npos)
        << point.metrics[k].description;
  }
}

TEST(membw_suite, auto_size_is_used_when_array_bytes_is_zero) {
  const auto s = make_membw_suite();
  const point_result point = run_one(*s, quick_context(2), membw_params("fp64", 0, 2));
  EXPECT_TRUE(point.check.passed) << point.check.detail;
  // The point stays array_bytes 0 (auto) whatever this node's caches gave; the size used is derived.
  EXPECT_EQ(point.params, membw_params("fp64", 0, 2));
  EXPECT_GT(point.derived.at("array_bytes_used").get<std::uint64_t>(), 0u);
  EXPECT_NE(point.metrics.at(0).description.find("auto:"), std::string::npos)
      << point.metrics.at(0).description;
}

TEST(membw_suite, planted_wrong_element_is_incorrect_and_named) {
  const scoped_backend<stream_backend> planted(
      "cpu", [](const run_context& ctx) { return std::make_unique<corrupting_backend>(ctx, false); });
  const auto s = make_membw_suite();
  const point_result point = run_one(*s, quick_context(), membw_params());
  EXPECT_TRUE(point.check.checked);
  EXPECT_FALSE(point.check.passed);
  EXPECT_NE(point.check.detail.find("a[77]"), std::string::npos) << point.check.detail;
  EXPECT_NE(point.check.detail.find("1 of 131072 elements wrong"), std::string::npos) << point.check.detail;
}

TEST(membw_suite, planted_wrong_dot_is_incorrect_and_named) {
  const scoped_backend<stream_backend> planted(
      "cpu", [](const run_context& ctx) { return std::make_unique<corrupting_backend>(ctx, true); });
  const auto s = make_membw_suite();
  const point_result point = run_one(*s, quick_context(), membw_params());
  EXPECT_FALSE(point.check.passed);
  EXPECT_NE(point.check.detail.find("dot ="), std::string::npos) << point.check.detail;
}

TEST(membw_suite, unsupported_dtype_is_skipped_with_the_reason) {
  const auto s = make_membw_suite();
  const point_result point = run_one(*s, quick_context(), membw_params("fp16"));
  ASSERT_TRUE(point.skipped_reason);
  EXPECT_NE(point.skipped_reason->find("fp16"), std::string::npos);
  EXPECT_TRUE(point.metrics.empty());
}

TEST(cpu_stream, threads_are_pinned_while_it_lives_and_unpinned_after) {
  cpu_set_t before, after;
  ASSERT_EQ(sched_getaffinity(0, sizeof(before), &before), 0);
  {
    cpu_stream_backend backend(2, 0);
    backend.init_arrays(4096, "fp64", initial_a, initial_b, initial_c);
    cpu_set_t during;
    ASSERT_EQ(sched_getaffinity(0, sizeof(during), &during), 0);
    EXPECT_EQ(CPU_COUNT(&during), 1);  // the calling thread is OpenMP thread 0, pinned to one CPU
    backend.triad(0.4);
    std::vector<double> a, b, c;
    backend.read_arrays(a, b, c);
    EXPECT_EQ(a.size(), 4096u);
    EXPECT_DOUBLE_EQ(a[4095], initial_b + 0.4 * initial_c);
  }
  ASSERT_EQ(sched_getaffinity(0, sizeof(after), &after), 0);
  EXPECT_TRUE(CPU_EQUAL(&before, &after));
}
