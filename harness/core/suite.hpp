#pragma once
// A benchmark family (gemm, collectives, membw, flops). A suite is backend-independent: it owns parameters,
// flop/byte accounting, the correctness oracle and metrics; device work goes through its kernel interface,
// implemented per backend in kernels/<backend>/.
#include <mpi.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/measure.hpp"
#include "harness/core/metric_spec.hpp"
#include "harness/core/param_spec.hpp"
#include "harness/core/peak_rules.hpp"
#include "harness/core/result.hpp"
#include "harness/core/simulation.hpp"

namespace exacheck {

// What a worker rank knows when it runs a case.
struct run_context {
  MPI_Comm comm = MPI_COMM_WORLD;
  int rank = 0;
  int ranks = 1;
  int local_rank = 0;   // rank within this node (MPI shared-memory split)
  int local_ranks = 1;  // ranks on this node
  std::string host;
  std::string backend = "cpu";  // resolved: "cpu" or "cuda", never "auto"
  measure_settings measurement;
  bool verify = true;               // check the answer (default on)
  unsigned long long seed = 12345;  // random inputs; rank-specific streams derive from seed and rank
  int threads = 1;                  // OpenMP threads this rank may use
  std::string gpu_pci_bus_id;       // the GPU this rank was bound to (backend cuda; "" when unknown)
  // When a suite runs on a group of the launch's ranks (collectives' `groups: per_node | node_pairs`), comm,
  // rank and ranks are the group's, and launch_ranks[r] is the launch's number (MPI_COMM_WORLD) of the
  // group's rank r, so that messages name ranks as the launch does. Empty: comm is the launch's communicator.
  std::vector<int> launch_ranks;
};

class suite {
 public:
  virtual ~suite() = default;
  // Benchmarks this suite answers to in plans (the collectives suite answers to several: allreduce, ...).
  virtual std::vector<std::string> benchmarks() const = 0;
  virtual std::string description(std::string_view benchmark) const = 0;
  virtual std::vector<param_spec> parameters(std::string_view benchmark) const = 0;
  // Every metric the benchmark reports (name, unit, better, statistic, scope, when), as run() reports them.
  virtual std::vector<metric_spec> metrics(std::string_view benchmark) const = 0;
  // The system file's datasheet peaks (peak_per_gpu keys) the benchmark's `tflops` is a fraction of, by point
  // (harness/core/peak_rules.hpp): a benchmark with rules gets the derived pct_of_peak metric wherever a rule
  // matches and the system file has the key. None by default (bandwidths are not compared with peaks).
  virtual std::vector<peak_rule> peak_rules(std::string_view /*benchmark*/) const { return {}; }
  // Why a point cannot run, beyond each parameter's own bounds: sizes whose bytes or operations together
  // overflow 64 bits or exceed max_bytes_per_rank ("matrices A, B and C of fp64 at m=n=k=2097152 are 96 TiB,
  // above the 64 TiB per rank any node holds"), or parameters that mean nothing together (gemm's fast_accum
  // with a dtype that is not fp8). nullopt when it can. Plan validation asks it for every launch (exit 2,
  // nothing run) and run() again before allocating, so that a worker never trusts its case file. `point` as
  // run() gets it.
  virtual std::optional<std::string> why_unrunnable(std::string_view /*benchmark*/,
                                                    const param_values& /*point*/) const {
    return std::nullopt;
  }
  // Backends this build can run the benchmark on ("cpu", "cuda").
  virtual std::vector<std::string> backends() const = 0;
  // Runs one case on this rank. `params` holds every declared parameter (defaults filled in), but those
  // omitted_at_default at their default, which are absent; parameters declared swept_inside_worker hold a
  // list. Called on every rank of ctx.comm collectively. Returns one entry per point. Throws on an
  // unrecoverable error (the worker records ERROR); a wrong answer is a result, not an exception.
  virtual std::vector<point_result> run(const run_context& ctx, std::string_view benchmark,
                                        const param_values& params) = 0;
  // What `exacheck simulate` records instead of run(): the points of one GPU's record (or, for a benchmark
  // whose metrics are all global, of rank 0's record for the machine), with samples drawn from in.stream and
  // metrics computed from them by the suite's own formulas (harness/core/simulation.hpp, docs/simulate.md).
  // The default records every point SKIPPED as not simulated, so that a new benchmark needs no harness edit.
  virtual std::vector<point_result> simulate(const simulation_input& in) const;
};

}  // namespace exacheck
