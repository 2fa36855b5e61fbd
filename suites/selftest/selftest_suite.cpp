#include "suites/selftest/selftest_suite.hpp"

#include <fmt/core.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <thread>

namespace exacheck {
namespace {

// Tells the compiler that x may have changed, in a register and at no cost: the loop cannot be folded,
// vectorised or shortened, so `loop` iterations take time in proportion to `loop`.
inline void opaque(double& x) {
#if defined(__x86_64__)
  asm volatile("" : "+x"(x));
#elif defined(__aarch64__)
  asm volatile("" : "+w"(x));
#else
  asm volatile("" : "+m"(x));
#endif
}

class selftest_suite final : public suite {
 public:
  std::vector<std::string> benchmarks() const override { return {"selftest"}; }

  std::string description(std::string_view) const override {
    return "harness self-test: a tiny timed host loop that can crash, hang or answer wrongly on purpose";
  }

  std::vector<param_spec> parameters(std::string_view) const override {
    return {
        {"mode",
         param_type::string,
         "",
         "ok",
         {"ok", "crash", "hang", "wrong", "error"},
         {},
         {},
         false,
         "ok: measure; crash: SIGSEGV; hang: never return; wrong: report a wrong answer; error: throw"},
        {"rank",
         param_type::integer,
         "",
         -1,
         {},
         -1.0,
         {},
         false,
         "the rank that misbehaves (-1: every rank)"},
        {"loop",
         param_type::integer,
         "iterations",
         100000,
         {},
         1.0,
         1e9,
         false,
         "iterations of the timed loop"},
    };
  }

  std::vector<metric_spec> metrics(std::string_view) const override {
    return {{.name = "loop_rate",
             .unit = "GOP/s",
             .better_is = better::higher,
             .statistic = "median",
             .scope = metric_scope::rank,
             .description = "iterations of the timed loop per second / 1e9"}};
  }

  std::vector<std::string> backends() const override { return {"cpu"}; }

  std::vector<point_result> run(const run_context& ctx, std::string_view,
                                const param_values& params) override {
    const std::string mode = params.at("mode").get<std::string>();
    const int target_rank = params.at("rank").get<int>();
    const bool misbehave = target_rank < 0 || target_rank == ctx.rank;
    if (misbehave && mode == "crash") ::raise(SIGSEGV);
    if (misbehave && mode == "hang")
      while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
    if (misbehave && mode == "error") throw std::runtime_error("selftest: error requested by the plan");

    const auto loop = params.at("loop").get<long long>();
    volatile double sink = 0;
    // Read back from a volatile: the compiler cannot know the start value. From 1.0 it could prove x never
    // changes (1.0 is the recurrence's fixed point in double) and drop the whole loop.
    volatile double start_value = 1.0;
    // The harness's host clock and batches, as for any backend without a device.
    const auto result = measure_batches(ctx.measurement, [&](int batch) {
      return time_on_host(batch, [&] {
        double x = start_value;
        for (long long i = 0; i < loop; ++i) {
          x = x * 0.999999 + 1e-6;
          // Each iteration's x is needed by the next: one dependent step per iteration, none folded.
          opaque(x);
        }
        sink = x;
      });
    });
    const double median_s = median(result.samples_s);
    point_result point;
    point.params = params;
    point.metrics.push_back({"loop_rate", static_cast<double>(loop) / median_s / 1e9, "GOP/s", "median",
                             better::higher, "loop iterations per second"});
    point.samples.push_back({"time", "s", result.samples_s});
    // The loop's fixed point is 1: after enough iterations x stays within (0, 1].
    const double x = sink;
    const bool answer_ok = std::isfinite(x) && x > 0 && x <= 1.0 + 1e-12 && !(misbehave && mode == "wrong");
    point.check = {
        true, answer_ok, "loop result in (0, 1]",
        answer_ok ? fmt::format("x = {:.6f}", x) : fmt::format("x = {:.6f} (planted wrong answer)", x + 1)};
    if (auto noisy = noise_warning(result, ctx.measurement)) point.warnings.push_back(std::move(*noisy));
    return {point};
  }
};

}  // namespace

std::unique_ptr<suite> make_selftest_suite() {
  return std::make_unique<selftest_suite>();
}

}  // namespace exacheck
