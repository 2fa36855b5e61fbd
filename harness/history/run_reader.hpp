#pragma once
// run.json as the history reads it: everything but its cases (the history keeps the analysis's values per
// device, the run's verdict and provenance). At 2,100 GPUs the cases are two thirds of an ~90 MB file.
#include <nlohmann/json.hpp>
#include <string>

namespace exacheck::history {

// RUN_DIR/run.json (or the run.json file given) without "cases", in today's schema (an older file is read
// whole and upgraded, harness/results/run_document.hpp). Throws usage_error naming the file when it cannot
// be read, is not JSON, is not a run or has no analysis (`exacheck report RUN_DIR` writes one).
nlohmann::json read_run_for_history(const std::string& run_dir_or_file);

}  // namespace exacheck::history
