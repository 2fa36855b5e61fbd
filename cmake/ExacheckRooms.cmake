# The rooms of the tree and the one-way rule between them (docs/architecture.md). Each room is a folder and a
# static library; a room may include only itself and the rooms listed after its folder, and its library links
# exactly those. cmake/ExacheckCheckRooms.cmake reads this table and fails the build at the first include that
# breaks the rule, naming file, line, the room it reached and what the room may include.
#
# Lowest first. A name below stands for the room with that folder. `suites` (suites/registry.cpp, the list of
# every suite, behind registry::instance() of harness/core/registry.hpp) is named by the rooms that ask the
# suites of a run for something: it has no header, so naming it adds a library to link, never an include.
set(EXACHECK_ROOMS
  # what a benchmark author needs: suite interface, registry, backend table, measurement, statistics,
  # results, parameters, metrics, outcome, errors, units
  "harness/core:"
  # one rank on its node: MPI calls and gathers, the GPUs this process sees, which GPU a rank uses, the backend
  # a case runs on here
  "harness/node:harness/core"
  # files: atomic writes, streamed JSON, checksums
  "harness/io:harness/core"
  # plan, system and reference files, YAML reading, outlier rules
  "harness/plan:harness/core,harness/io"
  # the run.json model: run document, verdicts, peaks, provenance, upgrades of older files (a point's datasheet
  # peak is its suite's to declare: registry::instance(), so the suites' list links here)
  "harness/results:harness/core,harness/io,harness/plan,suites"
  # the benchmarks, each its own folder and room; they know only core and node
  "suites/collectives:harness/core,harness/node"
  "suites/copybw:harness/core,harness/node"
  "suites/flops:harness/core,harness/node"
  "suites/gemm:harness/core,harness/node"
  "suites/membw:harness/core,harness/node"
  "suites/selftest:harness/core,harness/node"
  # the list of every suite (suites/registry.cpp)
  "suites:harness/core,suites/collectives,suites/copybw,suites/flops,suites/gemm,suites/membw,suites/selftest"
  # backends: the operations a suite's interface declares, on CPUs and on CUDA GPUs
  "kernels/cpu:harness/core,harness/node,suites/collectives,suites/copybw,suites/flops,suites/gemm,suites/membw"
  "kernels/cuda:harness/core,harness/node,suites/collectives,suites/copybw,suites/flops,suites/gemm,suites/membw"
  # the backends registered in the table of core, one call for each kind
  "kernels:harness/core,harness/node,suites/collectives,suites/copybw,suites/flops,suites/gemm,suites/membw,kernels/cpu,kernels/cuda"
  # one rank of one case: runs the suite, writes its result
  "harness/worker:harness/core,harness/node,harness/io,harness/results,suites"
  # the system-wide analysis of a run, then the files people read
  "reports/analysis:harness/core,harness/io,harness/plan,harness/results"
  "reports/render:harness/core,harness/io,harness/plan,harness/results,reports/analysis"
  # the history database (SQLite): every run's values per device, trends and drift across nights
  "harness/history:harness/core,harness/io,harness/plan,harness/results,reports/analysis"
  # run, validate, re-render: launches workers and keeps run.json
  "harness/controller:harness/core,harness/node,harness/io,harness/plan,harness/results,reports/analysis,reports/render,harness/history,suites"
  "harness/compare:harness/core,harness/io,harness/plan,harness/results,reports/analysis,reports/render"
  "harness/simulate:harness/core,harness/io,harness/plan,harness/results,reports/analysis,reports/render,harness/controller,suites"
  # the command line: every room
  "harness/cli:*"
)

# The table read: EXACHECK_ROOM_FOLDERS, and EXACHECK_ROOM_ALLOWED_<folder as a C identifier> for each.
set(EXACHECK_ROOM_FOLDERS "")
foreach(entry IN LISTS EXACHECK_ROOMS)
  string(FIND "${entry}" ":" colon)
  string(SUBSTRING "${entry}" 0 ${colon} folder)
  math(EXPR after "${colon} + 1")
  string(SUBSTRING "${entry}" ${after} -1 allowed)
  string(REPLACE "," ";" allowed "${allowed}")
  list(APPEND EXACHECK_ROOM_FOLDERS "${folder}")
  string(MAKE_C_IDENTIFIER "${folder}" id)
  set(EXACHECK_ROOM_ALLOWED_${id} "${allowed}")
endforeach()
