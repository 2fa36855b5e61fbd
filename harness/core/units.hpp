#pragma once
// Units as plans and reports write them: byte sizes and durations in plans ("64MiB", "10m"), and the table of
// the metrics' SI units (DESIGN.md: GB/s = 1e9 B/s, TFLOP/s = 1e12 FLOP/s) that conversions, references and
// tolerances read.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace exacheck {

// Byte sizes and durations as written in plans. Throw std::invalid_argument with a message on bad text.
std::uint64_t parse_bytes(const std::string& text);  // "64MiB", "8 GiB", "1GB", "4096", "1e6"
double parse_duration_s(const std::string& text);    // "10m", "30s", "500ms", "1h", "2.5"
std::string format_bytes(std::uint64_t bytes);       // 65536 → "64KiB", 1000 → "1000B"

// Factor that converts a value in `from` into `to` (e.g. "GFLOP/s" → "TFLOP/s" is 1e-3); nullopt when the
// units are not the same quantity.
std::optional<double> unit_conversion(const std::string& from, const std::string& to);

// The quantity a unit of the unit table measures ("flops", "bandwidth", "time", ...); nullopt for a unit the
// table does not know.
std::optional<std::string> unit_quantity(const std::string& unit);
// `unit` and every unit it converts to (the same quantity), smallest first; just `unit` when the table does
// not know it (a metric's own unit, such as "x" or "MHz", is always valid for it).
std::vector<std::string> units_like(const std::string& unit);

}  // namespace exacheck
