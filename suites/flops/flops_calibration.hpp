#pragma once
// How many dependent steps per chain make one timed run of the FMA chains last about the target (50 ms): long
// enough that fork/join and clock overheads (microseconds) vanish, short enough that the noise loop gathers
// several samples quickly. Sizing must survive a busy node: there a run of a few microseconds that happened
// to be preempted read 10 ms, the old one-shot calibration believed it, and fp32 was measured with iterations
// of 0.07 ms instead of 50 ms (30,000 steps instead of 15-21 million), reporting 405 GFLOP/s where 50 ms
// iterations gave 140.
#include <cstdint>
#include <functional>

namespace exacheck::flops {

inline constexpr double target_run_s = 0.05;

// Seconds one run of `steps` steps took.
using timed_run = std::function<double(std::uint64_t steps)>;

// Steps for one run of about `target_s`. Load only ever makes a run slower, so each size is timed twice and
// the faster kept; the size grows until a run lasts a tenth of the target, is scaled to the target, and is
// then re-timed and re-scaled until a run lasts between half and twice the target (at most four rounds). None
// of these runs is a sample. At least 1, at most 2^40 steps.
std::uint64_t calibrate_steps(const timed_run& time_run, double target_s = target_run_s);

// Whether runs whose median lasted `median_run_s` are far shorter than the target (under a quarter of it):
// sized on a node that was busier then than while measuring; such figures are measured again at a new size.
bool far_shorter_than_target(double median_run_s, double target_s = target_run_s);

}  // namespace exacheck::flops
