#include "harness/core/measurement_progress.hpp"

#include <utility>

namespace exacheck {
namespace {
std::function<void()>& observer() {
  static std::function<void()> current;
  return current;
}
}  // namespace

void set_measurement_observer(std::function<void()> next) {
  observer() = std::move(next);
}

void notify_measurement_started() {
  // A failure to report progress never costs the measurement.
  if (const auto& current = observer()) try {
      current();
    } catch (...) {
    }
}

}  // namespace exacheck
