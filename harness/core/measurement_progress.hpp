#pragma once
// Who wants to know that a point's measurement begins: the worker, which reports each rank's progress
// ("measuring point 4 of 9") in a file the controller reads when a case hangs or dies
// (harness/results/rank_progress.hpp). The one measurement loop (measure.hpp) calls it at the start of every
// measure() and measure_batches(), so a suite reports nothing itself.
#include <functional>

namespace exacheck {

// Sets the observer (an empty function: none) for this process; the last one set wins. Not thread-safe: set
// it before the suite runs.
void set_measurement_observer(std::function<void()> observer);
// Calls the observer, if any (measure.cpp).
void notify_measurement_started();

}  // namespace exacheck
