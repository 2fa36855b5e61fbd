#pragma once
// What every backend's one timed entry point reports: the elapsed time of a batch of back-to-back iterations
// of its operation, and the clock that measured it. The harness (measure.hpp) decides how many iterations a
// batch holds and turns batches into samples; a backend only runs the batch and reads its clock.
#include <chrono>
#include <stdexcept>

#include "harness/core/clock.hpp"

namespace exacheck {

// device: events recorded on the backend's stream before the batch's first launch and after its last (CUDA
// events), so that the launch and the synchronisation stay out of the time. host: a steady clock around the
// blocking calls, for backends without a device.
enum class batch_clock { host, device };

struct batch_time {
  double seconds = 0;  // the whole batch, not per iteration
  batch_clock clock = batch_clock::host;
};

// The host clock around `iterations` back-to-back blocking calls of `iteration` (at least one): the timed
// entry point of every backend without a device, and of the selftest's loop.
template <class Iteration>
batch_time time_on_host(int iterations, Iteration&& iteration) {
  if (iterations < 1) throw std::invalid_argument("time_on_host: a batch needs at least one iteration");
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) iteration();
  return {seconds_since(start), batch_clock::host};
}

}  // namespace exacheck
