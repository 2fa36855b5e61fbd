#pragma once
// The backend table: for each kernel interface a suite declares (gemm::gemm_backend, membw::stream_backend,
// ...), the backends this build has, by name ("cpu", "cuda"), each a factory. The kernel folders fill it at
// start, in one explicit call each (register_backends() in kernels/register_backends.hpp, called by the
// CLI's entry and by every test program's main; a static library would drop self-registering objects), so
// that a suite never names a kernel and a build without CUDA simply has no "cuda" entries.
//
//   class gemm_suite : public suite_with_backends<gemm::gemm_backend> { ... };  // backends(): the table's
//   auto backend = make_backend<gemm::gemm_backend>(ctx, "gemm");              // the one ctx.backend names
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

#include "harness/core/suite.hpp"

namespace exacheck {

template <class Interface>
using backend_factory = std::function<std::unique_ptr<Interface>(const run_context&)>;

namespace backend_table {
template <class Interface>
struct entry {
  std::string name;
  backend_factory<Interface> make;
};
// One interface's entries in registration order (the order `exacheck list` shows), one table per program.
template <class Interface>
std::vector<entry<Interface>>& entries() {
  static std::vector<entry<Interface>> all;
  return all;
}
template <class Interface>
entry<Interface>* find(std::string_view name) {
  for (auto& e : entries<Interface>())
    if (e.name == name) return &e;
  return nullptr;
}
template <class Interface>
std::vector<std::string> names() {
  std::vector<std::string> all;
  for (const auto& e : entries<Interface>()) all.push_back(e.name);
  return all;
}
// The errors, written once for every interface (harness/core/backends.cpp).
[[noreturn]] void throw_registered_twice(std::string_view backend, const std::type_info& interface);
[[noreturn]] void throw_not_registered(std::string_view backend, const std::type_info& interface);
[[noreturn]] void throw_unavailable(std::string_view backend, std::string_view benchmark,
                                    const std::vector<std::string>& available);
}  // namespace backend_table

// Adds backend `name` for Interface. A name registered twice is a bug (std::logic_error naming the backend
// and the interface): with two kernel files claiming "cpu", registration order would decide which one runs.
template <class Interface>
void add_backend(std::string name, backend_factory<Interface> make) {
  if (backend_table::find<Interface>(name)) backend_table::throw_registered_twice(name, typeid(Interface));
  backend_table::entries<Interface>().push_back({std::move(name), std::move(make)});
}

// The backends this build has for Interface, in registration order ("cpu", "cuda").
template <class Interface>
std::vector<std::string> backend_names() {
  return backend_table::names<Interface>();
}

// The backend ctx.backend names. One not in the table is a usage_error naming it, `benchmark` (when not
// empty) and what the build has: "backend 'rocm' is not available for gemm in this build (available: cpu)".
template <class Interface>
std::unique_ptr<Interface> make_backend(const run_context& ctx, std::string_view benchmark = {}) {
  if (const auto* e = backend_table::find<Interface>(ctx.backend)) return e->make(ctx);
  backend_table::throw_unavailable(ctx.backend, benchmark, backend_names<Interface>());
}

// A suite whose device work goes through Interface: the backends it runs on are the table's.
template <class Interface>
class suite_with_backends : public suite {
 public:
  std::vector<std::string> backends() const final { return backend_names<Interface>(); }
};

// While it lives, backend `name` of Interface is `make`: it replaces the entry of that name (or adds one, at
// the end) and, when it goes, puts back what was there (or removes the one it added). Tests plant faulty
// backends with it; wrap_backend below wraps the real one.
template <class Interface>
class scoped_backend {
 public:
  scoped_backend(std::string name, backend_factory<Interface> make) : m_name(std::move(name)) {
    if (auto* e = backend_table::find<Interface>(m_name)) {
      m_replaced = std::exchange(e->make, std::move(make));
      m_had_entry = true;
    } else {
      backend_table::entries<Interface>().push_back({m_name, std::move(make)});
    }
  }
  ~scoped_backend() {
    if (!m_active) return;  // moved from: the move's target restores
    auto& all = backend_table::entries<Interface>();
    for (auto it = all.begin(); it != all.end(); ++it) {
      if (it->name != m_name) continue;
      if (m_had_entry)
        it->make = std::move(m_replaced);
      else
        all.erase(it);
      return;
    }
  }
  // Restores on destruction: a copy would restore twice, an assignment would lose what to restore.
  scoped_backend(const scoped_backend&) = delete;
  scoped_backend& operator=(const scoped_backend&) = delete;
  scoped_backend(scoped_backend&& other) noexcept
      : m_name(std::move(other.m_name)),
        m_replaced(std::move(other.m_replaced)),
        m_had_entry(other.m_had_entry),
        m_active(std::exchange(other.m_active, false)) {}
  scoped_backend& operator=(scoped_backend&&) = delete;

 private:
  std::string m_name;
  backend_factory<Interface> m_replaced;
  bool m_had_entry = false;
  bool m_active = true;
};

// While the returned object lives, every backend `name` makes for Interface is first passed through
// `wrap(std::unique_ptr<Interface> real, const run_context&)`, which returns the one the suite gets (a test
// plants a wrong answer on top of the real kernel). `name` must be registered (std::logic_error otherwise).
template <class Interface, class Wrap>
scoped_backend<Interface> wrap_backend(std::string name, Wrap wrap) {
  const auto* e = backend_table::find<Interface>(name);
  if (!e) backend_table::throw_not_registered(name, typeid(Interface));
  return scoped_backend<Interface>(
      std::move(name),
      [real = e->make, wrap = std::move(wrap)](const run_context& ctx) -> std::unique_ptr<Interface> {
        return wrap(real(ctx), ctx);
      });
}

}  // namespace exacheck
