#include "harness/worker/worker.hpp"

#include <fmt/core.h>
#include <mpi.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <iostream>
#include <memory>

#include "exacheck_version.hpp"
#include "harness/core/backends.hpp"
#include "harness/core/clock.hpp"
#include "harness/core/errors.hpp"
#include "harness/core/granted_cpus.hpp"
#include "harness/core/registry.hpp"
#include "harness/io/files.hpp"
#include "harness/node/gpu_runtime.hpp"
#include "harness/node/rank_groups.hpp"
#include "harness/results/provenance.hpp"
#include "harness/worker/gpu_watch.hpp"
#include "harness/worker/progress.hpp"

namespace exacheck {
namespace {

// Gathers each rank's JSON text to rank 0 (variable sizes: counts first, then the bytes).
std::vector<std::string> gather_text(const std::string& mine, MPI_Comm comm, int rank, int ranks) {
  const int my_size = static_cast<int>(mine.size());
  std::vector<int> sizes(static_cast<std::size_t>(ranks));
  MPI_Gather(&my_size, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, comm);
  std::vector<int> offsets(static_cast<std::size_t>(ranks), 0);
  std::string all;
  if (rank == 0) {
    int total = 0;
    for (int r = 0; r < ranks; ++r) {
      offsets[static_cast<std::size_t>(r)] = total;
      total += sizes[static_cast<std::size_t>(r)];
    }
    all.resize(static_cast<std::size_t>(total));
  }
  MPI_Gatherv(mine.data(), my_size, MPI_CHAR, all.data(), sizes.data(), offsets.data(), MPI_CHAR, 0, comm);
  std::vector<std::string> texts;
  if (rank == 0)
    for (int r = 0; r < ranks; ++r)
      texts.push_back(all.substr(static_cast<std::size_t>(offsets[static_cast<std::size_t>(r)]),
                                 static_cast<std::size_t>(sizes[static_cast<std::size_t>(r)])));
  return texts;
}

nlohmann::json all_library_versions() {
  nlohmann::json versions = library_versions();
  versions.update(gpus().library_versions());
  return versions;
}

// With what the host can do at most (logical CPUs, clock, vector width): the controller checks a CPU rank's
// rates against its own host's ceiling (harness/results/physical_limits.hpp), not the controller's.
nlohmann::json cpu_device_description(const cpu_info& cpu, int threads) {
  return {{"kind", "cpu"},
          {"name", cpu.model},
          {"threads", threads},
          {"llc_bytes", cpu.llc_bytes},
          {"logical_cpus", cpu.logical_cpus},
          {"max_clock_hz", cpu.max_clock_hz},
          {"vector_bits", cpu.vector_bits}};
}

}  // namespace

int run_worker(const worker_options& options) {
  const auto start = std::chrono::steady_clock::now();
  // Every rank says how far it got (started, initialised, measuring point i/n, gathering, done), so that a
  // case that hangs or dies names the ranks and hosts that never finished
  // (harness/results/rank_progress.hpp).
  progress_reporter progress(options.case_file);
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  run_context ctx;
  MPI_Comm_rank(MPI_COMM_WORLD, &ctx.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ctx.ranks);
  progress.initialised(ctx.rank);
  MPI_Comm node_comm;  // this node's ranks, kept until the case ends: they bind their GPUs together
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, ctx.rank, MPI_INFO_NULL, &node_comm);
  MPI_Comm_rank(node_comm, &ctx.local_rank);
  MPI_Comm_size(node_comm, &ctx.local_ranks);
  ctx.host = host_name_for_rank(ctx.rank, host_name());  // EXACHECK_TEST_HOST_NAMES: tests only

  nlohmann::json rank_record = {{"rank", ctx.rank}, {"host", ctx.host}, {"local_rank", ctx.local_rank}};
  nlohmann::json case_json;
  double benchmark_s = 0;
  try {
    case_json = nlohmann::json::parse(read_file(options.case_file));
    const auto benchmark = case_json.at("benchmark").get<std::string>();
    suite* s = registry::instance().find(benchmark);
    if (!s) throw std::runtime_error(fmt::format("unknown benchmark '{}'", benchmark));
    ctx.backend = resolve_backend(case_json.value("backend", "auto"));
    ctx.measurement = case_json.value("measurement", measure_settings{});
    ctx.verify = case_json.value("verify", true);
    ctx.seed = case_json.value("seed", 12345ull);
    ctx.threads = options.threads > 0 ? options.threads : case_json.value("threads", 1);
    omp_set_num_threads(ctx.threads);
    rank_record["backend"] = ctx.backend;
    // The CPUs this rank was granted and the threads it runs, whatever the site's OpenMP environment said
    // (harness/core/granted_cpus.hpp): recorded, with what had to be undone.
    const auto& released = released_openmp_binding();
    rank_record["threading"] = {
        {"threads", ctx.threads},
        {"granted_cpus", cpu_list_text(granted_cpus())},
        {"openmp_binding", released.empty() ? nlohmann::json(nullptr) : nlohmann::json(released)}};
    const auto& backends = s->backends();
    if (std::find(backends.begin(), backends.end(), ctx.backend) == backends.end()) {
      // e.g. auto chose cuda on a GPU node, and this benchmark has no CUDA kernels yet: say so, run nothing.
      point_result skipped;
      skipped.params = case_json.at("params");
      skipped.skipped_reason =
          fmt::format("benchmark '{}' has no {} backend in this build", benchmark, ctx.backend);
      rank_record["device"] = cpu_device_description(read_cpu_info(), ctx.threads);
      rank_record["points"] = std::vector<point_result>{skipped};
    } else {
      std::unique_ptr<gpu_telemetry> telemetry;
      if (ctx.backend == "cuda") {
        rank_record["device"] = bind_rank_to_gpu(ctx, node_comm, case_json.value("allow_gpu_sharing", false));
        ctx.gpu_pci_bus_id = rank_record["device"].value("pci_bus_id", "");
        telemetry = std::make_unique<gpu_telemetry>(ctx.gpu_pci_bus_id);
      } else {
        rank_record["device"] = cpu_device_description(read_cpu_info(), ctx.threads);
      }
      const auto benchmark_start = std::chrono::steady_clock::now();
      progress.measuring(case_json.at("params"));
      std::vector<point_result> points = s->run(ctx, benchmark, case_json.at("params"));
      benchmark_s = seconds_since(benchmark_start);
      rank_record["points"] = points;
      if (telemetry) rank_record["telemetry"] = telemetry->finish();
    }
  } catch (const std::exception& e) {
    // This rank could not run the case: recorded as this rank's error. Peers blocked in a collective with it
    // are ended by the launcher (abort on non-zero status) or by the controller's time-out.
    rank_record["error"] = e.what();
    progress.failed(e.what());
    std::cerr << fmt::format("exacheck worker: rank {} on {}: {}\n", ctx.rank, ctx.host, e.what());
    std::cerr.flush();
    if (ctx.ranks > 1) MPI_Abort(MPI_COMM_WORLD, 3);
  }
  MPI_Comm_free(&node_comm);
  rank_record["timing"] = {{"benchmark_s", benchmark_s}};

  if (!rank_record.contains("error")) progress.gathering();
  const auto gather_start = std::chrono::steady_clock::now();
  const auto texts = gather_text(json_dump(rank_record), MPI_COMM_WORLD, ctx.rank, ctx.ranks);
  int exit_status = rank_record.contains("error") ? 3 : 0;
  if (ctx.rank == 0) {
    // `token`: the controller's for this launch, echoed: the proof that this launch wrote the file.
    nlohmann::json result = {{"schema", "exacheck/case-result/v1"},
                             {"case_id", case_json.value("id", "")},
                             {"token", case_json.value("token", "")},
                             {"benchmark", case_json.value("benchmark", "")},
                             {"ranks", ctx.ranks},
                             {"exacheck_version", version},
                             {"libraries", all_library_versions()},
                             {"rank_results", nlohmann::json::array()}};
    for (const auto& text : texts) result["rank_results"].push_back(nlohmann::json::parse(text));
    result["timing"] = {{"worker_s", seconds_since(start)}, {"gather_s", seconds_since(gather_start)}};
    try {
      write_file_atomically(options.result_file, json_dump(result));
    } catch (const std::exception& e) {
      std::cerr << "exacheck worker: " << e.what() << "\n";
      exit_status = 4;
    }
  }
  if (!rank_record.contains("error")) progress.done();
  MPI_Finalize();
  return exit_status;
}

}  // namespace exacheck
