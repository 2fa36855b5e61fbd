#pragma once
// --prom-textfile FILE (`exacheck run`, `exacheck report`): the run's metrics.prom published at a stable path
// the operator chooses, in node_exporter's textfile collector directory (docs/reading-a-report.md,
// "Prometheus"). Written atomically (a temporary file beside it, named FILE.tmp.XXXXXX so the collector,
// which reads *.prom only, never sees it, then rename(2)): the collector reads the old file or the new one,
// never half of one, and a failed write leaves the old file as it was.
#include <string>

namespace exacheck {

// Before anything runs: FILE must end in .prom (the collector reads nothing else), must not be a directory,
// and its directory must exist. usage_error naming FILE otherwise (exit code 2, nothing run).
void check_prom_textfile(const std::string& path);

// Copies the run's `metrics_prom` (RUN_DIR/metrics.prom, as the Prometheus renderer wrote it from run.json)
// to `path`, atomically, and prints where: byte for byte what the run directory holds, never a second
// rendering that could differ from it. When it cannot be read or written, says so on stderr and returns 3 in
// place of a `code` of 0 (a run whose verdict was not published is not a success: the stale-file alert would
// only fire a day later); any other exit code is returned as it is.
int publish_prom_textfile(const std::string& metrics_prom, const std::string& path, int code);

}  // namespace exacheck
