// run_document_problem: the shape every reader of run.json relies on, checked once after the parse, so that a
// malformed document is refused whole (exit 2, the place named) instead of being half rendered or written
// back with less than it had.
#include <fmt/core.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/errors.hpp"
#include "harness/results/run_document.hpp"

namespace exacheck {
namespace {

using nlohmann::json;

// The JSON types a member may have, as a bit set.
enum type_bits : unsigned {
  string = 1,
  integer = 2,
  number = 4,  // any number, integers included
  boolean = 8,
  object = 16,
  list = 32,
  null = 64,
};

bool has_type(const json& value, unsigned allowed) {
  switch (value.type()) {
    case json::value_t::string:
      return allowed & string;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return allowed & (integer | number);
    case json::value_t::number_float:
      return allowed & number;
    case json::value_t::boolean:
      return allowed & boolean;
    case json::value_t::object:
      return allowed & object;
    case json::value_t::array:
      return allowed & list;
    case json::value_t::null:
      return allowed & null;
    default:
      return false;
  }
}

std::string type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::string:
      return "a string";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a number";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "a list";
    case json::value_t::null:
      return "null";
    default:
      return "something else";
  }
}

std::string expected_names(unsigned allowed) {
  std::string text;
  const auto add = [&](unsigned bit, const char* name) {
    if (!(allowed & bit)) return;
    if (!text.empty()) text += " or ";
    text += name;
  };
  add(string, "a string");
  add(integer, "an integer");
  add(number, "a number");
  add(boolean, "a boolean");
  add(object, "an object");
  add(list, "a list");
  add(null, "null");
  return text;
}

struct member_rule {
  std::string_view key;
  unsigned allowed;
};

// Walks the document and keeps the first problem; every check after it is a no-op. The place being checked is
// a stack of keys and indexes, made text only for a problem: at 2,100 GPUs the document has millions of
// values, and a path string per value cost more than the rest of the check.
class shape_checker {
 public:
  const std::optional<std::string>& problem() const { return m_problem; }

  // The value at the current place has one of the `allowed` types; false (and the problem kept) when not.
  bool is(const json& value, unsigned allowed) {
    if (m_problem) return false;
    if (has_type(value, allowed)) return true;
    m_problem =
        fmt::format("{} is {}, where {} is expected", place(), type_name(value), expected_names(allowed));
    return false;
  }

  // The members of `object` named in `rules`, when present, have their types. Absent members are left to the
  // readers' defaults: the schema grows by adding members, and hand-made documents leave some out.
  void members(const json& object, std::initializer_list<member_rule> rules) {
    // The object's members against the rules (a handful each, told apart by length first) rather than a map
    // lookup per rule: half the time of the whole check at 2,100 GPUs.
    for (auto it = object.begin(); it != object.end() && !m_problem; ++it) {
      const std::string& key = it.key();
      for (const auto& rule : rules) {
        if (rule.key != key) continue;
        m_path.push_back({rule.key, 0, false});
        is(it.value(), rule.allowed);
        m_path.pop_back();
        break;
      }
    }
  }

  // `check(member)` with the place moved into the member `key` of `object`, when it is present and an object.
  template <class Check>
  void inside(const json& object, std::string_view key, Check&& check) {
    const auto found = object.find(key);
    if (m_problem || found == object.end() || !found->is_object()) return;
    m_path.push_back({key, 0, false});
    check(*found);
    m_path.pop_back();
  }

  // `check(element)` for every element of the member `key` of `object`, when it is present and a list.
  template <class Check>
  void each(const json& object, std::string_view key, Check&& check) {
    const auto found = object.find(key);
    if (m_problem || found == object.end() || !found->is_array()) return;
    m_path.push_back({key, 0, false});
    for (std::size_t i = 0; i < found->size() && !m_problem; ++i) {
      m_path.push_back({{}, i, true});
      check((*found)[i]);
      m_path.pop_back();
    }
    m_path.pop_back();
  }

  // Every member of the object `key` of `object`, when present, has one of the `allowed` types.
  void values_of(const json& object, std::string_view key, unsigned allowed) {
    inside(object, key, [&](const json& values) {
      for (auto it = values.begin(); it != values.end() && !m_problem; ++it) {
        m_path.push_back({it.key(), 0, false});
        is(it.value(), allowed);
        m_path.pop_back();
      }
    });
  }

  // The member `key` of `object`, an integer, is a position in a list of `size` (the run's `devices`).
  void position_in(const json& object, std::string_view key, std::size_t size, std::string_view list) {
    const auto found = object.find(key);
    if (m_problem || found == object.end() || !found->is_number_integer()) return;
    const auto position = found->get<std::int64_t>();
    if (position >= 0 && static_cast<std::uint64_t>(position) < size) return;
    m_path.push_back({key, 0, false});
    m_problem =
        fmt::format("{} is {}, which is not a position in {} (it lists {})", place(), position, list, size);
    m_path.pop_back();
  }

  std::size_t device_count = 0;  // the run's `devices`: what a rank's device may name

 private:
  struct segment {
    std::string_view key;  // a member's name (a rule's, or the document's own, alive while it is checked)
    std::size_t index;     // an element's position
    bool is_index;
  };

  // ".cases[3].results[0].ranks" (jq's notation), or "the document" at the top.
  std::string place() const {
    if (m_path.empty()) return "the document";
    std::string text;
    for (const auto& s : m_path)
      text += s.is_index ? fmt::format("[{}]", s.index) : "." + printable(s.key, 64);
    return text;
  }

  std::vector<segment> m_path;
  std::optional<std::string> m_problem;
};

void check_device(shape_checker& c, const json& device);

void check_rank(shape_checker& c, const json& rank) {
  if (!c.is(rank, object)) return;
  c.members(rank, {{"rank", integer},
                   {"host", string},
                   {"local_rank", integer},
                   {"backend", string},
                   {"device", object | integer | null},
                   {"values", object},
                   {"samples", list},
                   {"correctness", object | null},
                   {"skipped", string | null},
                   {"warnings", list},
                   {"slowest_rank", object | null},
                   {"error", string | null}});
  c.values_of(rank, "values", number | null);
  c.each(rank, "warnings", [&](const json& w) { c.is(w, string); });
  c.each(rank, "samples", [&](const json& sample) {
    if (!c.is(sample, object)) return;
    c.members(sample, {{"name", string}, {"unit", string}, {"values", list}});
    c.each(sample, "values", [&](const json& v) { c.is(v, number | null); });
  });
  c.position_in(rank, "device", c.device_count, ".devices");
  c.inside(rank, "device", [&](const json& device) { check_device(c, device); });
}

void check_device(shape_checker& c, const json& device) {
  if (!c.is(device, object)) return;
  c.members(device, {{"kind", string},
                     {"name", string | null},
                     {"uuid", string | null},
                     {"serial", string | null},
                     {"pci_bus_id", string | null},
                     {"index", integer | null}});
}

void check_point(shape_checker& c, const json& point) {
  if (!c.is(point, object)) return;
  c.members(point, {{"params", object},
                    {"scope", string},
                    {"metrics", list},
                    {"ranks", list},
                    {"skipped", string | null}});
  c.each(point, "metrics", [&](const json& metric) {
    if (!c.is(metric, object)) return;
    c.members(metric, {{"name", string},
                       {"unit", string},
                       {"statistic", string},
                       {"better", string},
                       {"description", string}});
  });
  c.each(point, "ranks", [&](const json& rank) { check_rank(c, rank); });
}

void check_check(shape_checker& c, const json& check) {
  if (!c.is(check, object)) return;
  c.members(check, {{"metric", string},
                    {"params", object},
                    {"value", number | null},
                    {"unit", string | null},
                    {"statistic", string | null},
                    {"better", string | null},
                    {"aggregation", string | null},
                    {"reference", object | null},
                    {"delta_pct", number | null},
                    {"outcome", string},
                    {"reason", string},
                    {"worst_rank", integer | null},
                    {"worst_host", string | null},
                    {"ranks_measured", integer | null},
                    {"ranks_expected", integer | null},
                    {"level", string | null},
                    {"rule", string | null},
                    {"gpu", integer | null},
                    {"uuid", string | null},
                    {"robust_z", number | null},
                    {"spread_pct", number | null},
                    {"max_pct", number | null}});
  c.inside(check, "reference", [&](const json& reference) {
    c.members(reference, {{"value", number | null},
                          {"unit", string | null},
                          {"lower_bound", number | null},
                          {"upper_bound", number | null},
                          {"source", string | null}});
  });
}

void check_case(shape_checker& c, const json& entry) {
  if (!c.is(entry, object)) return;
  c.members(entry, {{"id", string},
                    {"name", string},
                    {"benchmark", string},
                    {"tags", list},
                    {"params", object},
                    {"repeat", integer},
                    {"ranks", integer},
                    {"launcher", string},
                    {"backend", string},
                    {"command", list},
                    {"status", string},
                    {"outcome", string | null},
                    {"message", string},
                    {"log_tail", string},
                    {"elapsed_s", number},
                    {"timing", object},
                    {"libraries", object},
                    {"results", list},
                    {"checks", list}});
  c.each(entry, "tags", [&](const json& t) { c.is(t, string); });
  c.each(entry, "command", [&](const json& a) { c.is(a, string); });
  c.values_of(entry, "timing", number);
  c.each(entry, "results", [&](const json& point) { check_point(c, point); });
  c.each(entry, "checks", [&](const json& check) { check_check(c, check); });
}

}  // namespace

std::optional<std::string> run_document_problem(const nlohmann::json& run) {
  shape_checker c;
  if (!c.is(run, object)) return c.problem();
  c.members(run, {{"schema", string},
                  {"synthetic", boolean},
                  {"synthetic_detail", object | null},
                  {"verdict", string},
                  {"exit_code", integer},
                  {"interrupted", boolean},
                  {"complete", boolean},
                  {"plan", object | null},
                  {"system", object | null},
                  {"provenance", object},
                  {"timing", object},
                  {"cases", list},
                  {"devices", list},
                  {"summary", object},
                  {"analysis", object}});
  if (c.problem()) return c.problem();
  if (!run.contains("cases")) return ".cases is missing, where a list of the run's cases is expected";
  c.each(run, "devices", [&](const json& device) { check_device(c, device); });
  if (const auto devices = run.find("devices"); devices != run.end()) c.device_count = devices->size();
  c.inside(run, "plan", [&](const json& plan) {
    c.members(plan, {{"name", string}, {"file", string}, {"sha256", string}, {"description", string}});
  });
  c.inside(run, "system", [&](const json& system) {
    c.members(system,
              {{"name", string}, {"file", string}, {"size", object | null}, {"peak_per_gpu", object | null}});
    c.inside(system, "size", [&](const json& size) {
      c.members(size, {{"nodes", integer | null}, {"gpus_per_node", integer | null}});
    });
  });
  c.inside(run, "provenance", [&](const json& provenance) {
    c.members(provenance, {{"exacheck_version", string},
                           {"git_revision", string},
                           {"command_line", list},
                           {"started_at", string | null},
                           {"finished_at", string | null},
                           {"controller_host", string},
                           {"hosts", list},
                           {"cpu", object | null},
                           {"libraries", object | null},
                           {"os", string}});
    c.each(provenance, "hosts", [&](const json& h) { c.is(h, string); });
    c.each(provenance, "command_line", [&](const json& a) { c.is(a, string); });
  });
  c.values_of(run, "timing", number);
  c.inside(run, "summary", [&](const json& summary) {
    c.members(summary, {{"counts", object}, {"cases", integer}, {"checks", integer}});
    c.values_of(summary, "counts", integer);
  });
  c.each(run, "cases", [&](const json& entry) { check_case(c, entry); });
  return c.problem();
}

}  // namespace exacheck
