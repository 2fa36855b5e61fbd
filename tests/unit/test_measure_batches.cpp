// The one batch rule (harness/core/measure.hpp) with fake backends whose clocks read what the test says: the
// batch is sized from the second, warm batch to last its clock's target, a backend faster than the clock is
// batched until the clock reads, a slow one never batches, ranks follow the agreed size, and each batch is
// one sample of its time per iteration, while the time limits count the batches' real time.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "harness/core/measure.hpp"

using namespace exacheck;

namespace {

// A device-timed fake: every batch of n iterations reads n × `per_iteration_s(batch index)` and is recorded.
struct fake_backend {
  std::function<double(std::size_t batch)> per_iteration_s;
  std::vector<int> batches;  // the iterations the harness asked for, in order

  timed_batch entry() {
    return [this](int iterations) {
      const std::size_t index = batches.size();
      batches.push_back(iterations);
      return batch_time{iterations * per_iteration_s(index), batch_clock::device};
    };
  }
};

fake_backend constant(double per_iteration_s) {
  return {[per_iteration_s](std::size_t) { return per_iteration_s; }, {}};
}

measure_settings exact_samples(int warmup, int samples) {
  measure_settings settings;
  settings.warmup_iterations = warmup;
  settings.min_iterations = settings.max_iterations = samples;
  settings.min_time_s = 0;
  settings.max_time_s = 100;
  settings.target_cv = -1;  // never met: exactly `samples` samples
  return settings;
}

}  // namespace

TEST(batch_rule, a_device_timed_batch_is_sized_to_last_a_millisecond_from_one_timed_batch) {
  constexpr batch_clock device = batch_clock::device;
  EXPECT_EQ(batch_target_s(device), 1e-3);
  EXPECT_EQ(batch_iterations_for(1, 1e-4, device), 10);
  EXPECT_EQ(batch_iterations_for(1, 3e-4, device), 4);  // ⌈3.33⌉: at least the target, never under it
  EXPECT_EQ(batch_iterations_for(10, 2e-4, device), 50);
  EXPECT_EQ(batch_iterations_for(1, 1e-3, device), 1);
  EXPECT_EQ(batch_iterations_for(1, 2.5e-3, device), 1);  // slow: one iteration per batch
  EXPECT_EQ(batch_iterations_for(4, 2.5e-3, device), 4);  // never fewer than the batch that lasted the target
  EXPECT_EQ(batch_iterations_for(1, 1e-9, device), max_batch_iterations);
  EXPECT_EQ(batch_iterations_for(1, 1e-300, device), max_batch_iterations);  // no int overflow on the way
}

TEST(batch_rule, a_host_timed_batch_is_sized_to_last_100_microseconds) {
  constexpr batch_clock host = batch_clock::host;
  EXPECT_EQ(batch_target_s(host), 100e-6);
  EXPECT_EQ(batch_iterations_for(1, 1e-5, host), 10);
  EXPECT_EQ(batch_iterations_for(1, 3e-5, host), 4);
  EXPECT_EQ(batch_iterations_for(1, 1e-4, host), 1);  // already long enough on the host clock
  EXPECT_EQ(batch_iterations_for(1, 1e-9, host), max_batch_iterations);
}

TEST(batch_rule, a_batch_that_read_no_time_sizes_nothing) {
  for (const batch_clock clock : {batch_clock::host, batch_clock::device}) {
    EXPECT_EQ(batch_iterations_for(1, 0, clock), 0);
    EXPECT_EQ(batch_iterations_for(1, -1e-6, clock), 0);
    EXPECT_EQ(batch_iterations_for(1, std::nan(""), clock), 0);
  }
}

TEST(batch_sizer, sizes_from_the_second_batch_never_from_the_cold_first) {
  // The first call is 50× slower (cold caches, connections); warm, an iteration takes 10 µs.
  fake_backend backend{[](std::size_t batch) { return batch == 0 ? 5e-4 : 1e-5; }, {}};
  batch_sizer sizer;
  const timed_batch entry = backend.entry();
  EXPECT_DOUBLE_EQ(sizer.run(entry), 5e-4);  // the cold batch: one iteration, its own time
  EXPECT_EQ(sizer.iterations(), 1);
  EXPECT_DOUBLE_EQ(sizer.run(entry), 1e-5);  // the sizing batch: one iteration
  EXPECT_EQ(sizer.iterations(), 100);        // 1 ms / 10 µs
  EXPECT_DOUBLE_EQ(sizer.run(entry), 1e-5);  // per iteration, not per batch
  EXPECT_DOUBLE_EQ(sizer.last_run_s(), 1e-3);
  EXPECT_EQ(backend.batches, (std::vector<int>{1, 1, 100}));
  EXPECT_EQ(sizer.clock(), batch_clock::device);
}

TEST(batch_sizer, a_backend_faster_than_the_clock_is_batched_until_the_clock_reads) {
  // The clock reads nothing below 100 iterations; then 0.3 µs per iteration.
  fake_backend backend{{}, {}};
  const timed_batch entry = [&](int iterations) {
    backend.batches.push_back(iterations);
    return batch_time{iterations < 100 ? 0.0 : iterations * 3e-7, batch_clock::host};
  };
  batch_sizer sizer;
  sizer.run(entry);
  EXPECT_DOUBLE_EQ(sizer.run(entry), 3e-7);  // the batch that read a time, per iteration
  EXPECT_EQ(sizer.iterations(), 334);        // ⌈100 × 100 µs / 30 µs⌉: the host clock's target
  EXPECT_DOUBLE_EQ(sizer.last_run_s(), 3e-5);
  sizer.run(entry);
  EXPECT_EQ(backend.batches, (std::vector<int>{1, 1, 10, 100, 334}));
  EXPECT_EQ(sizer.clock(), batch_clock::host);
}

TEST(batch_sizer, a_clock_that_never_reads_is_an_error_not_a_sample) {
  const timed_batch entry = [](int) { return batch_time{0.0, batch_clock::device}; };
  batch_sizer sizer;
  sizer.run(entry);
  try {
    sizer.run(entry);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(
        std::string(e.what()).find("a batch of 10000 iterations read 0 s on the backend's device clock"),
        std::string::npos)
        << e.what();
  }
}

TEST(batch_sizer, a_slow_operation_never_batches) {
  fake_backend backend = constant(5e-3);
  const measure_outcome outcome = measure_batches(exact_samples(2, 4), backend.entry());
  EXPECT_EQ(backend.batches, std::vector<int>(6, 1));
  EXPECT_EQ(outcome.batch_iterations, 1);
  EXPECT_EQ(outcome.samples_s, std::vector<double>(4, 5e-3));
}

TEST(batch_sizer, every_rank_uses_the_agreed_size_and_grows_when_rank_0_read_no_time) {
  fake_backend backend = constant(1e-4);
  std::vector<int> proposals;
  // Rank 0's view: its first sizing batch read no time, its second says 3 iterations.
  batch_sizer sizer([&](int proposed) {
    proposals.push_back(proposed);
    return proposals.size() == 1 ? 0 : 3;
  });
  const timed_batch entry = backend.entry();
  for (int i = 0; i < 4; ++i) sizer.run(entry);
  EXPECT_EQ(proposals, (std::vector<int>{10, 10}));  // this rank's own reading, each time
  EXPECT_EQ(backend.batches, (std::vector<int>{1, 1, 10, 3, 3}));
  EXPECT_EQ(sizer.iterations(), 3);
}

TEST(batch_sizer, a_backend_that_mixes_clocks_is_an_error) {
  int calls = 0;
  const timed_batch entry = [&](int iterations) {
    return batch_time{iterations * 1e-3, calls++ < 2 ? batch_clock::device : batch_clock::host};
  };
  batch_sizer sizer;
  sizer.run(entry);
  sizer.run(entry);
  EXPECT_THROW(sizer.run(entry), std::logic_error);
}

TEST(measure_batches, each_batch_is_one_sample_of_its_time_per_iteration_after_the_warm_up) {
  fake_backend backend = constant(1e-5);
  const measure_outcome outcome = measure_batches(exact_samples(2, 3), backend.entry());
  // Warm-up: the cold and the sizing batch; then three samples of 100 iterations.
  EXPECT_EQ(backend.batches, (std::vector<int>{1, 1, 100, 100, 100}));
  EXPECT_EQ(outcome.samples_s, std::vector<double>(3, 1e-5));
  EXPECT_EQ(outcome.batch_iterations, 100);
  EXPECT_EQ(outcome.clock, batch_clock::device);
}

TEST(measure_batches, without_warm_up_the_cold_and_sizing_batches_are_the_first_samples) {
  // STREAM's way: no warm-up, the first sample is the cold one (its statistic drops it).
  fake_backend backend{[](std::size_t batch) { return batch == 0 ? 3e-5 : 1e-5; }, {}};
  const measure_outcome outcome = measure_batches(exact_samples(0, 4), backend.entry());
  EXPECT_EQ(backend.batches, (std::vector<int>{1, 1, 100, 100}));
  EXPECT_EQ(outcome.samples_s, (std::vector<double>{3e-5, 1e-5, 1e-5, 1e-5}));
}

TEST(measure_batches, more_warm_up_runs_whole_batches) {
  fake_backend backend = constant(1e-5);
  measure_batches(exact_samples(4, 2), backend.entry());
  EXPECT_EQ(backend.batches, (std::vector<int>{1, 1, 100, 100, 100, 100}));
}

TEST(measure_batches, the_time_limits_count_the_batches_real_time_not_the_time_per_iteration) {
  // Noisy (never the noise target): 10 or 20 µs per iteration, 1–2 ms per batch of 100.
  fake_backend backend{[](std::size_t batch) { return batch % 2 ? 1e-5 : 2e-5; }, {}};
  measure_settings settings;
  settings.warmup_iterations = 2;
  settings.min_iterations = 1;
  settings.min_time_s = 0;
  settings.max_time_s = 4e-3;
  settings.target_cv = 1e-6;
  const measure_outcome outcome = measure_batches(settings, backend.entry());
  EXPECT_EQ(outcome.stop_reason, "max_time");
  EXPECT_TRUE(outcome.hit_max_time);
  // 2 + 1 + 2 ms; counted per iteration it would have run to max_iterations.
  EXPECT_EQ(outcome.samples_s, (std::vector<double>{2e-5, 1e-5, 2e-5}));
}

TEST(measure_batches, ranks_that_agree_to_stop_run_the_same_batches) {
  fake_backend backend = constant(1e-5);
  measure_settings settings = exact_samples(2, 100);
  int agreements = 0;
  const measure_outcome outcome = measure_batches(
      settings, backend.entry(), [&](bool) { return ++agreements >= 3; }, [](int) { return 7; });
  EXPECT_EQ(outcome.samples_s.size(), 3u);
  EXPECT_EQ(backend.batches, (std::vector<int>{1, 1, 7, 7, 7}));
  EXPECT_EQ(outcome.batch_iterations, 7);
}

TEST(time_on_host, runs_the_iterations_back_to_back_on_the_host_clock) {
  int calls = 0;
  const batch_time taken = time_on_host(5, [&] { ++calls; });
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(taken.clock, batch_clock::host);
  EXPECT_GE(taken.seconds, 0);
  EXPECT_THROW(time_on_host(0, [&] { ++calls; }), std::invalid_argument);
  EXPECT_EQ(calls, 5);
}
