#pragma once
// Reading run.json as every reader does: tolerant field access (what is missing or null is ignored,
// docs/run-json.md), rank records and their devices, and scalars as exact text. Shared by the run document's
// upgrades, compare and the reports.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace exacheck {

// ---- tolerant access: run.json readers ignore what is missing or null (docs/run-json.md) ----

// `object[key]`, or a null when `object` is not an object or has no such key.
const nlohmann::json& field(const nlohmann::json& object, std::string_view key);
// `object[key]` when it is an array, else an empty array (so loops over optional lists need no guard).
const nlohmann::json& list_field(const nlohmann::json& object, std::string_view key);
// A scalar as text: strings as they are, numbers by exact_number, booleans, "" for null; arrays and
// objects as compact JSON.
std::string scalar_text(const nlohmann::json& value);
std::string text_field(const nlohmann::json& object, std::string_view key);

// ---- rank records (run.json exacheck/run/v3: a point's `metrics` describe, its ranks' `values` hold) ----

// The device rank record `rank` ran on (kind, name, index, uuid, serial, pci_bus_id): in run.json v3 the
// rank names its position in the run's `devices`, each device listed once; a record built in memory before
// it was stored (and a file of an older exacheck before its upgrade) holds the object itself. Null when the
// rank names none, or a position `devices` does not have.
const nlohmann::json& rank_device(const nlohmann::json& run, const nlohmann::json& rank);

// What rank record `rank` holds for metric `name` (`rank.values[name]`: a number, or null when the rank
// measured no number), or nullptr when the rank did not report that metric at all.
const nlohmann::json* rank_value(const nlohmann::json& rank, std::string_view name);

// Shortest text that reads back to the same double ("0.05", "1e+20"); integers as integers. For machine
// readers (csv, junit properties).
std::string exact_number(const nlohmann::json& value);
// "NaN", "inf" or "-inf".
std::string non_finite_text(double value);

}  // namespace exacheck
