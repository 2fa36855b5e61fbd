// The backend table's errors, written once for every interface: every "not available in this build" message
// exacheck gives comes from this file (and "not on this machine" from harness/node/gpu_runtime.cpp).
#include "harness/core/backends.hpp"

#include <cxxabi.h>
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <stdexcept>

#include "harness/core/errors.hpp"

namespace exacheck {
namespace backend_table {
namespace {

// "exacheck::gemm::gemm_backend", not "N8exacheck4gemm12gemm_backendE".
std::string readable_name(const std::type_info& type) {
  int status = 0;
  const std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && demangled ? std::string(demangled.get()) : std::string(type.name());
}

}  // namespace

void throw_registered_twice(std::string_view backend, const std::type_info& interface) {
  throw std::logic_error(
      fmt::format("backend '{}' is registered twice for {} (each kernel folder registers "
                  "its backends once: kernels/register_backends.cpp)",
                  backend, readable_name(interface)));
}

void throw_not_registered(std::string_view backend, const std::type_info& interface) {
  throw std::logic_error(
      fmt::format("backend '{}' is not registered for {}: nothing to wrap (did the program "
                  "call register_backends()?)",
                  backend, readable_name(interface)));
}

void throw_unavailable(std::string_view backend, std::string_view benchmark,
                       const std::vector<std::string>& available) {
  throw usage_error(
      fmt::format("backend '{}' is not available{} in this build (available: {})", backend,
                  benchmark.empty() ? std::string() : fmt::format(" for {}", benchmark),
                  available.empty() ? std::string("none") : fmt::format("{}", fmt::join(available, ", "))));
}

}  // namespace backend_table

}  // namespace exacheck
