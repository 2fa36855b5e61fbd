#include "harness/results/run_fields.hpp"

#include <fmt/core.h>

#include <cmath>
#include <cstdint>

namespace exacheck {
namespace {

std::string list_text(const nlohmann::json& list) {
  std::string text = "[";
  for (std::size_t i = 0; i < list.size(); ++i) text += (i ? "," : "") + scalar_text(list[i]);
  return text + "]";
}

}  // namespace

std::string non_finite_text(double value) {
  if (std::isnan(value)) return "NaN";
  return value > 0 ? "inf" : "-inf";
}

const nlohmann::json& field(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json null_value;
  if (!object.is_object()) return null_value;
  const auto found = object.find(key);  // no std::string made per lookup (the map compares transparently)
  return found == object.end() ? null_value : *found;
}

const nlohmann::json* rank_value(const nlohmann::json& rank, std::string_view name) {
  const nlohmann::json& values = field(rank, "values");
  if (!values.is_object()) return nullptr;
  const auto found = values.find(name);
  return found == values.end() ? nullptr : &*found;
}

const nlohmann::json& rank_device(const nlohmann::json& run, const nlohmann::json& rank) {
  static const nlohmann::json null_value;
  const nlohmann::json& device = field(rank, "device");
  if (!device.is_number_integer()) return device;
  const nlohmann::json& devices = field(run, "devices");
  const auto position = device.get<std::int64_t>();
  if (!devices.is_array() || position < 0 || static_cast<std::uint64_t>(position) >= devices.size())
    return null_value;
  return devices[static_cast<std::size_t>(position)];
}

const nlohmann::json& list_field(const nlohmann::json& object, std::string_view key) {
  static const nlohmann::json empty_list = nlohmann::json::array();
  const nlohmann::json& value = field(object, key);
  return value.is_array() ? value : empty_list;
}

std::string scalar_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return exact_number(value);
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_null()) return "";
  if (value.is_array()) return list_text(value);
  return value.dump();
}

std::string text_field(const nlohmann::json& object, std::string_view key) {
  return scalar_text(field(object, key));
}

std::string exact_number(const nlohmann::json& value) {
  if (value.is_number_integer()) return value.dump();
  if (!value.is_number()) return "";
  const double number = value.get<double>();
  // fmt's "{}" is the shortest text that parses back to the same double.
  return std::isfinite(number) ? fmt::format("{}", number) : non_finite_text(number);
}

}  // namespace exacheck
