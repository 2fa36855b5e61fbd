#pragma once
// An enum's names written once: a constexpr table of rows {value, name} (a row may carry more, like an
// outcome's severity), and both directions read from it, so that a name is never spelled one way when
// written and another when read. Plain C++17: nvcc compiles the .cu files that include
// kernels/cuda/flops_types.hpp in C++17.
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exacheck {

template <typename Enum>
struct enum_name {
  Enum value;
  std::string_view name;
};

// The row of `value` in `table`; nullptr for a value the table does not list, which only a number cast to
// the enum can be (tests/unit/test_enum_names.cpp checks that every enumerator is listed).
template <typename Row, std::size_t N>
constexpr const Row* row_of(const std::array<Row, N>& table, decltype(Row::value) value) {
  for (const auto& row : table)
    if (row.value == value) return &row;
  return nullptr;
}

// The name of `value` in `table`; "?" for a value the table does not list.
template <typename Row, std::size_t N>
constexpr std::string_view name_of(const std::array<Row, N>& table, decltype(Row::value) value) {
  const Row* row = row_of(table, value);
  return row != nullptr ? row->name : "?";
}

// The value named `name` in `table`; nullopt for a name it does not list.
template <typename Row, std::size_t N>
constexpr std::optional<decltype(Row::value)> value_of(const std::array<Row, N>& table,
                                                       std::string_view name) {
  for (const auto& row : table)
    if (row.name == name) return row.value;
  return std::nullopt;
}

// Every name in `table`, in its order (a parameter's allowed values, its default list).
template <typename Row, std::size_t N>
std::vector<std::string> names_of(const std::array<Row, N>& table) {
  std::vector<std::string> names;
  for (const auto& row : table) names.emplace_back(row.name);
  return names;
}

}  // namespace exacheck
