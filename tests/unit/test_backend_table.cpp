// The backend table of core (harness/core/backends.hpp): what a build registers is what suites list and make,
// a backend it does not have is one usage error naming it, the benchmark and what there is, a name registered
// twice is a bug, and tests plant a backend for a while and get the real one back. Also the choice of a
// case's backend (resolve_backend) through core's GPU runtime, with a pretend GPU.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../support/quick_context.hpp"
#include "harness/core/backends.hpp"
#include "harness/core/errors.hpp"
#include "harness/core/registry.hpp"
#include "harness/node/gpu_runtime.hpp"
#include "kernels/register_backends.hpp"
#include "suites/collectives/collective_backend.hpp"
#include "suites/copybw/copy_backend.hpp"
#include "suites/flops/flops_backend.hpp"
#include "suites/gemm/gemm_backend.hpp"
#include "suites/gemm/gemm_suite.hpp"
#include "suites/membw/stream_backend.hpp"

using namespace exacheck;

namespace {

// An interface of this test's own: nothing else registers backends for it.
class widget_backend {
 public:
  virtual ~widget_backend() = default;
  virtual std::string kind() const = 0;
};

class named_widget final : public widget_backend {
 public:
  explicit named_widget(std::string kind) : m_kind(std::move(kind)) {}
  std::string kind() const override { return m_kind; }

 private:
  std::string m_kind;
};

backend_factory<widget_backend> widget(const std::string& kind) {
  return [kind](const run_context&) { return std::make_unique<named_widget>(kind); };
}

run_context on(const std::string& backend) {
  run_context ctx;
  ctx.backend = backend;
  return ctx;
}

std::string error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

// A GPU runtime that says what the test wants, installed while it lives.
class pretend_gpus final : public gpu_runtime {
 public:
  pretend_gpus(bool built, int count) : m_built(built), m_count(count) {}
  bool built() const override { return m_built; }
  int device_count(std::string* why_not) const override {
    if (m_count == 0 && why_not) *why_not = "the pretend runtime sees no device";
    return m_count;
  }
  void select_device(int) const override {}
  nlohmann::json device_properties(int) const override { return nlohmann::json::object(); }
  nlohmann::json library_versions() const override { return nlohmann::json::object(); }

 private:
  bool m_built;
  int m_count;
};

class installed_gpus {
 public:
  installed_gpus(bool built, int count)
      : m_previous(install_gpu_runtime(std::make_unique<pretend_gpus>(built, count))) {}
  ~installed_gpus() { install_gpu_runtime(std::move(m_previous)); }

 private:
  std::unique_ptr<gpu_runtime> m_previous;
};

}  // namespace

TEST(backend_table, lists_what_was_registered_in_registration_order_and_makes_the_one_named) {
  const scoped_backend<widget_backend> first("cpu", widget("host"));
  const scoped_backend<widget_backend> second("accelerator", widget("device"));
  EXPECT_EQ(backend_names<widget_backend>(), (std::vector<std::string>{"cpu", "accelerator"}));
  EXPECT_EQ(make_backend<widget_backend>(on("cpu"))->kind(), "host");
  EXPECT_EQ(make_backend<widget_backend>(on("accelerator"))->kind(), "device");
}

TEST(backend_table, a_backend_the_build_lacks_is_one_usage_error_naming_it_the_benchmark_and_what_there_is) {
  const scoped_backend<widget_backend> cpu("cpu", widget("host"));
  EXPECT_THROW(make_backend<widget_backend>(on("rocm"), "widgets"), usage_error);
  EXPECT_EQ(error_of([] { make_backend<widget_backend>(on("rocm"), "widgets"); }),
            "backend 'rocm' is not available for widgets in this build (available: cpu)");
  // Without a benchmark to name, and for an interface with no backend at all.
  EXPECT_EQ(error_of([] { make_backend<widget_backend>(on("rocm")); }),
            "backend 'rocm' is not available in this build (available: cpu)");
  struct unregistered_backend {
    virtual ~unregistered_backend() = default;
  };
  EXPECT_EQ(error_of([] { make_backend<unregistered_backend>(on("cpu"), "nothing"); }),
            "backend 'cpu' is not available for nothing in this build (available: none)");
}

TEST(backend_table, registering_a_name_twice_is_an_error_naming_the_backend_and_the_interface) {
  const scoped_backend<widget_backend> first("twice", widget("first"));  // as add_backend, removed at the end
  const std::string error = error_of([] { add_backend<widget_backend>("twice", widget("second")); });
  EXPECT_EQ(
      error,
      "backend 'twice' is registered twice for (anonymous namespace)::widget_backend (each kernel folder "
      "registers its backends once: kernels/register_backends.cpp)");
  EXPECT_THROW(add_backend<widget_backend>("twice", widget("second")), std::logic_error);
  EXPECT_EQ(make_backend<widget_backend>(on("twice"))->kind(), "first");  // the first stays
  EXPECT_EQ(backend_names<widget_backend>(), std::vector<std::string>{"twice"});
}

TEST(backend_table, a_planted_backend_replaces_the_real_one_until_it_goes) {
  const scoped_backend<widget_backend> real("cpu", widget("real"));
  {
    const scoped_backend<widget_backend> planted("cpu", widget("planted"));
    EXPECT_EQ(make_backend<widget_backend>(on("cpu"))->kind(), "planted");
    EXPECT_EQ(backend_names<widget_backend>(), std::vector<std::string>{"cpu"});  // replaced, not added
  }
  EXPECT_EQ(make_backend<widget_backend>(on("cpu"))->kind(), "real");
  {
    const scoped_backend<widget_backend> test_name("planted", widget("planted"));
    EXPECT_EQ(backend_names<widget_backend>(), (std::vector<std::string>{"cpu", "planted"}));
  }
  EXPECT_EQ(backend_names<widget_backend>(), std::vector<std::string>{"cpu"});
}

TEST(backend_table, a_wrapped_backend_gets_the_real_one_to_wrap_and_the_real_one_comes_back) {
  const scoped_backend<widget_backend> real("cpu", widget("real"));
  {
    const auto wrapped = wrap_backend<widget_backend>(
        "cpu", [](std::unique_ptr<widget_backend> inner, const run_context& ctx) {
          return std::make_unique<named_widget>("wrapped " + inner->kind() + " on " + ctx.backend);
        });
    EXPECT_EQ(make_backend<widget_backend>(on("cpu"))->kind(), "wrapped real on cpu");
  }
  EXPECT_EQ(make_backend<widget_backend>(on("cpu"))->kind(), "real");
  EXPECT_THROW(wrap_backend<widget_backend>(
                   "rocm", [](std::unique_ptr<widget_backend> inner, const run_context&) { return inner; }),
               std::logic_error);
}

TEST(backend_table, register_backends_gives_every_kernel_interface_a_cpu_backend_and_runs_once) {
  register_backends();  // the tests' main did already: a second call adds nothing, and throws nothing
  const auto& suites = registry::instance();
  for (const auto& benchmark : suites.benchmark_names()) {
    const auto backends = suites.find(benchmark)->backends();
    ASSERT_FALSE(backends.empty()) << benchmark;
    EXPECT_EQ(backends.front(), "cpu") << benchmark;
    EXPECT_EQ(backends.size(), gpus().built() && benchmark != "selftest" ? 2u : 1u) << benchmark;
  }
}

// What a suite's run gets when its case names a backend this build lacks: the table's one error, for every
// kernel interface, listing what the build has.
template <class Interface>
void expect_not_in_this_build(const std::string& benchmark) {
  run_context ctx = exacheck::testing::quick_context();
  ctx.backend = "rocm";
  try {
    make_backend<Interface>(ctx, benchmark);
    ADD_FAILURE() << benchmark << ": expected an error";
  } catch (const usage_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "backend 'rocm' is not available for " + benchmark +
                  " in this build (available: " + (gpus().built() ? "cpu, cuda)" : "cpu)"));
  }
}

TEST(backend_table, every_kernel_interface_names_a_backend_the_build_lacks_and_what_it_has) {
  expect_not_in_this_build<gemm::gemm_backend>("gemm");
  expect_not_in_this_build<flops::flops_backend>("flops");
  expect_not_in_this_build<membw::stream_backend>("membw");
  expect_not_in_this_build<membw::copy_backend>("copybw");
  expect_not_in_this_build<collectives::collective_backend>("allreduce");
}

TEST(backend_table, a_suites_backends_are_the_tables) {
  const auto gemm = make_gemm_suite();
  const auto before = gemm->backends();
  {
    const scoped_backend<gemm::gemm_backend> planted(
        "planted", [](const run_context&) { return std::unique_ptr<gemm::gemm_backend>(); });
    auto expected = before;
    expected.push_back("planted");
    EXPECT_EQ(gemm->backends(), expected);
  }
  EXPECT_EQ(gemm->backends(), before);
}

TEST(resolve_backend, auto_is_cuda_where_a_gpu_is_visible_and_cpu_elsewhere) {
  {
    const installed_gpus one(true, 1);
    EXPECT_EQ(resolve_backend("auto"), "cuda");
    EXPECT_EQ(resolve_backend("cuda"), "cuda");
    EXPECT_EQ(resolve_backend("cpu"), "cpu");
  }
  {
    const installed_gpus none(true, 0);
    EXPECT_EQ(resolve_backend("auto"), "cpu");
    EXPECT_EQ(
        error_of([] { resolve_backend("cuda"); }),
        "backend 'cuda' was requested, but no GPU is usable here (the pretend runtime sees no device); use "
        "--backend cpu or auto");
  }
  {
    const installed_gpus not_built(false, 0);
    EXPECT_EQ(resolve_backend("auto"), "cpu");
    EXPECT_THROW(resolve_backend("cuda"), usage_error);
    EXPECT_NE(error_of([] { resolve_backend("cuda"); }).find("built without CUDA"), std::string::npos);
  }
  EXPECT_EQ(error_of([] { resolve_backend("rocm"); }), "unknown backend 'rocm'; expected auto, cpu or cuda");
}

TEST(gpu_runtime, without_cuda_it_has_no_device_and_says_why) {
  if (gpus().built()) GTEST_SKIP() << "this build has CUDA";
  std::string why_not;
  EXPECT_EQ(gpus().device_count(&why_not), 0);
  EXPECT_EQ(why_not, "this exacheck was built without CUDA");
  EXPECT_THROW(gpus().select_device(0), std::runtime_error);
  EXPECT_EQ(gpus().library_versions(), nlohmann::json::object());
}
