#include "harness/results/result_accounting.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <random>

#include "harness/results/physical_limits.hpp"
#include "harness/results/point_groups.hpp"

namespace exacheck {
namespace {

constexpr std::string_view case_result_schema = "exacheck/case-result/v1";
constexpr std::size_t problems_shown = 5;

const nlohmann::json& member(const nlohmann::json& object, const char* key) {
  static const nlohmann::json none;
  if (!object.is_object()) return none;
  const auto it = object.find(key);
  return it == object.end() ? none : *it;
}

std::string text(const nlohmann::json& object, const char* key) {
  const auto& value = member(object, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

// A value as a person would read it in a message, bounded.
std::string shown(const nlohmann::json& value) {
  if (value.is_number()) return fmt::format("{:.4g}", value.get<double>());
  if (value.is_string()) {
    std::string s = value.get<std::string>();
    return "'" + (s.size() > 40 ? s.substr(0, 40) + "…" : s) + "'";
  }
  std::string s = value.dump();
  return s.size() > 40 ? s.substr(0, 40) + "…" : s;
}

std::string point_label(std::size_t index, std::size_t count, const nlohmann::json& params) {
  std::string list;
  if (params.is_object())
    for (const auto& [key, value] : params.items())
      list += (list.empty() ? "" : " ") + key + "=" +
              (value.is_string() ? value.get<std::string>() : value.dump());
  if (list.size() > 80) list = list.substr(0, 80) + "…";
  return fmt::format("point {}/{} ({})", index + 1, count, list.empty() ? "no parameters" : list);
}

std::string ranks_phrase(const std::vector<int>& ranks) {
  return fmt::format("{} {}", ranks.size() == 1 ? "rank" : "ranks", rank_list(ranks));
}

// One rank's record and what its host can do.
struct rank_view {
  int rank = -1;
  const nlohmann::json* record = nullptr;
  std::optional<cpu_capacity> cpu;
  const nlohmann::json* group_points = nullptr;  // its points of one group (point_groups.hpp), when grouped
  const nlohmann::json& points() const { return group_points ? *group_points : member(*record, "points"); }
};

// What the ranks of one point said about one of its metrics.
struct metric_tally {
  std::string name;
  std::vector<char> reported;  // by rank
  std::vector<int> non_finite;
  std::vector<int> above;  // ranks above their ceiling
  double highest = 0;      // the highest value above a ceiling, its rank, unit and ceiling
  int highest_rank = -1;
  std::string unit;
  rate_ceiling ceiling;
  // Its ceilings, one per unit and kind of host: the same one or two for thousands of ranks.
  struct cached_ceiling {
    std::string unit;
    std::optional<cpu_capacity> cpu;
    std::optional<rate_ceiling> ceiling;
  };
  std::vector<cached_ceiling> ceilings;
};

bool same_host_kind(const std::optional<cpu_capacity>& a, const std::optional<cpu_capacity>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->logical_cpus == b->logical_cpus && a->max_clock_hz == b->max_clock_hz &&
                a->vector_bits == b->vector_bits);
}

const std::string& string_member(const nlohmann::json& object, const char* key) {
  static const std::string none;
  const auto& value = member(object, key);
  return value.is_string() ? value.get_ref<const std::string&>() : none;
}

class point_accountant {
 public:
  point_accountant(const launched_case& launched, const nlohmann::json* peak_per_gpu,
                   std::vector<std::string>& problems)
      : m_launched(launched), m_peak_per_gpu(peak_per_gpu), m_problems(problems) {}

  void account(const std::vector<rank_view>& ranks) {
    std::size_t count = 0;
    for (const auto& r : ranks)
      if (r.points().is_array()) count = std::max(count, r.points().size());
    if (count == 0) {
      m_problems.push_back("no point: the result holds no measurement (nothing measured, nothing skipped)");
      return;
    }
    for (std::size_t i = 0; i < count; ++i) account_point(ranks, i, count);
  }

 private:
  void account_point(const std::vector<rank_view>& ranks, std::size_t index, std::size_t count) {
    std::vector<const nlohmann::json*> points(ranks.size(), nullptr);
    std::vector<int> without;
    const nlohmann::json* first = nullptr;
    for (std::size_t r = 0; r < ranks.size(); ++r) {
      const auto& list = ranks[r].points();
      if (list.is_array() && index < list.size() && list[index].is_object()) {
        points[r] = &list[index];
        if (!first) first = points[r];
      } else {
        without.push_back(ranks[r].rank);
      }
    }
    const std::string label = point_label(index, count, first ? member(*first, "params") : nlohmann::json());
    const std::string scope = first && text(*first, "scope") == "global" ? "global" : "rank-scoped";
    if (!without.empty()) {
      m_problems.push_back(fmt::format("{}: {} ({} of {} launched) did not report this {} point", label,
                                       ranks_phrase(without), without.size(), ranks.size(), scope));
      return;
    }
    // A point the backend cannot run carries its reason and nothing measured: SKIPPED, judged by the checks.
    for (const auto* p : points)
      if (member(*p, "skipped").is_string()) return;

    std::vector<metric_tally> metrics;
    std::vector<int> unverified;
    for (std::size_t r = 0; r < ranks.size(); ++r) {
      const auto& list = member(*points[r], "metrics");
      if (list.is_array())
        for (std::size_t j = 0; j < list.size(); ++j)
          tally(metrics, ranks, r, *points[r], j, list[j], scope == "global");
      if (member(member(*points[r], "correctness"), "checked") != true) unverified.push_back(ranks[r].rank);
    }
    if (metrics.empty() && unverified.size() == ranks.size()) {
      m_problems.push_back(fmt::format(
          "{}: no metric and no correctness check on any rank (a point with no checks is never a pass)",
          label));
      return;
    }
    report_missing(label, scope, metrics, ranks, points);
    for (const auto& m : metrics) {
      if (!m.non_finite.empty())
        m_problems.push_back(fmt::format("{}: {} is not a finite number (null, NaN or infinite) on {}", label,
                                         m.name, ranks_phrase(m.non_finite)));
      if (!m.above.empty())
        m_problems.push_back(fmt::format(
            "{}: {} = {:.4g} {} on rank {} is physically impossible: above the ceiling {:.4g} {} ({}){}",
            label, m.name, m.highest, m.unit, m.highest_rank, m.ceiling.value, m.unit, m.ceiling.basis,
            m.above.size() > 1 ? fmt::format("; {} are above their ceiling", ranks_phrase(m.above)) : ""));
    }
    if (m_launched.verify && !unverified.empty())
      m_problems.push_back(fmt::format("{}: correctness checked on {} of {} ranks (not on {})", label,
                                       ranks.size() - unverified.size(), ranks.size(),
                                       ranks_phrase(unverified)));
  }

  // `global`: a collective's bytes are a nominal size (nccl-tests' sense), not bytes through one host's
  // memory — a collective of one rank moves nothing at all — so only the absolute ceilings apply to it, not
  // the host's.
  void tally(std::vector<metric_tally>& metrics, const std::vector<rank_view>& ranks, std::size_t r,
             const nlohmann::json& point, std::size_t position, const nlohmann::json& m, bool global) {
    const std::string& name = string_member(m, "name");
    if (name.empty()) return;
    // Ranks list a point's metrics in the same order: the one at the same position is nearly always it.
    metric_tally* found =
        position < metrics.size() && metrics[position].name == name ? &metrics[position] : nullptr;
    for (std::size_t i = 0; !found && i < metrics.size(); ++i)
      if (metrics[i].name == name) found = &metrics[i];
    if (!found) {
      metric_tally added;
      added.name = name;
      added.reported.assign(ranks.size(), 0);
      metrics.push_back(std::move(added));
      found = &metrics.back();
    }
    found->reported[r] = 1;
    const auto& value = member(m, "value");
    if (!value.is_number() || !std::isfinite(value.get<double>())) {
      found->non_finite.push_back(ranks[r].rank);
      return;
    }
    const double number = value.get<double>();
    const std::string& unit = string_member(m, "unit");
    const auto& ceiling = ceiling_of(*found, unit, point, global ? std::nullopt : ranks[r].cpu);
    if (!ceiling || number <= ceiling->value) return;
    found->above.push_back(ranks[r].rank);
    if (found->highest_rank < 0 || number > found->highest) {
      found->highest = number;
      found->highest_rank = ranks[r].rank;
      found->unit = unit;
      found->ceiling = *ceiling;
    }
  }

  // Ranks that reported the point but not a metric of it, grouped: metrics missing on the same ranks are
  // named together (the five STREAM kernels of a rank that measured none).
  void report_missing(const std::string& label, const std::string& scope,
                      const std::vector<metric_tally>& metrics, const std::vector<rank_view>& ranks,
                      const std::vector<const nlohmann::json*>& points) {
    std::map<std::vector<int>, std::vector<std::string>> names_by_missing;
    std::vector<std::vector<int>> order;
    for (const auto& m : metrics) {
      std::vector<int> missing;
      for (std::size_t r = 0; r < ranks.size(); ++r)
        if (!m.reported[r]) missing.push_back(ranks[r].rank);
      if (missing.empty()) continue;
      auto& names = names_by_missing[missing];
      if (names.empty()) order.push_back(missing);
      names.push_back(m.name);
    }
    for (const auto& missing : order) {
      const auto& names = names_by_missing[missing];
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      // The first such rank's own word on it (e.g. copybw p2p: "no peer access from GPU 0 to GPU 1 on
      // node7").
      std::string why;
      for (std::size_t r = 0; r < ranks.size() && why.empty(); ++r)
        if (ranks[r].rank == missing.front()) {
          const auto& warnings = member(*points[r], "warnings");
          if (warnings.is_array() && !warnings.empty() && warnings[0].is_string())
            why = fmt::format("; rank {} says: {}", ranks[r].rank, warnings[0].get<std::string>());
        }
      m_problems.push_back(fmt::format("{}: {} {} measured by {} of {} ranks of this {} point (not by {}){}",
                                       label, names.size() == 1 ? "metric" : "metrics", list,
                                       ranks.size() - missing.size(), ranks.size(), scope,
                                       ranks_phrase(missing), why));
    }
  }

  const std::optional<rate_ceiling>& ceiling_of(metric_tally& metric, const std::string& unit,
                                                const nlohmann::json& point,
                                                const std::optional<cpu_capacity>& cpu) {
    for (const auto& c : metric.ceilings)
      if (c.unit == unit && same_host_kind(c.cpu, cpu)) return c.ceiling;
    metric.ceilings.push_back(
        {unit, cpu, ceiling_for(m_launched.benchmark, member(point, "params"), unit, m_peak_per_gpu, cpu)});
    return metric.ceilings.back().ceiling;
  }

  const launched_case& m_launched;
  const nlohmann::json* m_peak_per_gpu;
  std::vector<std::string>& m_problems;
};

// The result's identity: this case, this launch. A foreign file says nothing about this case.
bool account_identity(const nlohmann::json& result, const launched_case& launched,
                      std::vector<std::string>& problems) {
  const auto& case_id = member(result, "case_id");
  if (!case_id.is_string() || case_id.get<std::string>() != launched.case_id)
    problems.push_back(fmt::format("foreign result: it is of case {}, not of this case '{}'", shown(case_id),
                                   launched.case_id));
  const auto& token = member(result, "token");
  if (!token.is_string() || token.get<std::string>().empty())
    problems.push_back("foreign result: it carries no launch token, so this launch did not write it");
  else if (token.get<std::string>() != launched.token)
    problems.push_back(
        fmt::format("foreign result: its launch token {} is not this launch's '{}' (it was "
                    "written by another launch)",
                    shown(token), launched.token));
  return problems.empty();
}

bool every_point_global(const nlohmann::json& record) {
  const auto& points = member(record, "points");
  if (!points.is_array() || points.empty()) return false;
  return std::all_of(points.begin(), points.end(),
                     [](const auto& p) { return text(p, "scope") == "global"; });
}

// Exactly the ranks 0 … n−1, each once. Returns them in rank order when they are.
std::optional<std::vector<rank_view>> account_ranks(const nlohmann::json& result,
                                                    const launched_case& launched,
                                                    std::vector<std::string>& problems) {
  const auto& world = member(result, "ranks");
  if (world.is_number() && world.get<double>() != launched.ranks)
    problems.push_back(
        fmt::format("the worker ran {} ranks, {} were launched", shown(world), launched.ranks));
  const auto& records = member(result, "rank_results");
  if (!records.is_array()) {
    problems.push_back("the result has no list of rank results");
    return std::nullopt;
  }
  auto n = static_cast<std::size_t>(std::max(launched.ranks, 0));
  if (launched.global_points_from_rank_zero && records.size() == 1 && member(records[0], "rank") == 0 &&
      every_point_global(records[0]))
    n = 1;
  std::vector<const nlohmann::json*> by_rank(n, nullptr);
  std::vector<int> duplicated, out_of_range;
  std::size_t unnumbered = 0;
  for (const auto& record : records) {
    const auto& number = member(record, "rank");
    if (!number.is_number_integer()) {
      ++unnumbered;
      continue;
    }
    const auto rank = number.get<long long>();
    if (rank < 0 || rank >= static_cast<long long>(n)) {
      out_of_range.push_back(static_cast<int>(
          std::clamp<long long>(rank, std::numeric_limits<int>::min(), std::numeric_limits<int>::max())));
    } else if (by_rank[static_cast<std::size_t>(rank)]) {
      if (std::find(duplicated.begin(), duplicated.end(), rank) == duplicated.end())
        duplicated.push_back(static_cast<int>(rank));
    } else {
      by_rank[static_cast<std::size_t>(rank)] = &record;
    }
  }
  std::vector<int> missing;
  for (std::size_t r = 0; r < n; ++r)
    if (!by_rank[r]) missing.push_back(static_cast<int>(r));
  if (!missing.empty())
    problems.push_back(
        fmt::format("no result from {} ({} of {} launched)", ranks_phrase(missing), missing.size(), n));
  if (!duplicated.empty())
    problems.push_back(fmt::format("{} reported more than once", ranks_phrase(duplicated)));
  if (!out_of_range.empty())
    problems.push_back(fmt::format("{} reported, but only ranks {} were launched", ranks_phrase(out_of_range),
                                   n > 0 ? fmt::format("0-{}", n - 1) : std::string("(none)")));
  if (unnumbered > 0) problems.push_back(fmt::format("{} rank result(s) carry no rank number", unnumbered));
  if (!problems.empty()) return std::nullopt;
  std::vector<rank_view> ranks;
  ranks.reserve(n);
  for (std::size_t r = 0; r < n; ++r) {
    rank_view view{static_cast<int>(r), by_rank[r], std::nullopt};
    const auto& device = member(*by_rank[r], "device");
    if (text(*by_rank[r], "backend") == "cpu" || text(device, "kind") == "cpu")
      view.cpu = cpu_capacity_of(device);
    ranks.push_back(view);
  }
  return ranks;
}

}  // namespace

std::string new_launch_token() {
  std::random_device device;
  std::uniform_int_distribution<std::uint32_t> word;
  std::string token;
  for (int i = 0; i < 4; ++i) token += fmt::format("{:08x}", word(device));
  return token;
}

std::vector<std::string> account_for_result(const nlohmann::json& case_result, const launched_case& launched,
                                            const nlohmann::json* peak_per_gpu) {
  std::vector<std::string> problems;
  if (!case_result.is_object() || text(case_result, "schema") != case_result_schema) {
    problems.push_back(fmt::format("not a case result: its schema is {}, not {}",
                                   shown(member(case_result, "schema")), case_result_schema));
    return problems;
  }
  if (!account_identity(case_result, launched, problems)) return problems;
  const auto ranks = account_ranks(case_result, launched, problems);
  if (!ranks) return problems;
  // A rank that could not run the case says why in its own error; its missing points are no news.
  for (const auto& r : *ranks)
    if (r.record->contains("error")) return problems;
  if (!result_has_groups(member(case_result, "rank_results"))) {
    point_accountant(launched, peak_per_gpu, problems).account(*ranks);
    return problems;
  }
  // Independent copies on groups of the ranks: each group's points are accounted for among its own ranks.
  std::vector<const nlohmann::json*> records;
  for (const auto& r : *ranks) records.push_back(r.record);
  const auto groups = points_by_group(records, problems);
  for (const auto& g : groups) {
    std::vector<rank_view> views;
    for (std::size_t i = 0; i < g.ranks.size(); ++i) {
      const auto at =
          std::find_if(ranks->begin(), ranks->end(), [&](const auto& r) { return r.rank == g.ranks[i]; });
      if (at == ranks->end()) continue;
      rank_view view = *at;
      view.group_points = &g.points[i];
      views.push_back(view);
    }
    point_accountant(launched, peak_per_gpu, problems).account(views);
  }
  return problems;
}

std::string describe_problems(const std::vector<std::string>& problems) {
  std::string text = "the result does not account for the case: ";
  for (std::size_t i = 0; i < problems.size() && i < problems_shown; ++i)
    text += (i ? "; " : "") + problems[i];
  if (problems.size() > problems_shown)
    text += fmt::format("; and {} more problem(s)", problems.size() - problems_shown);
  return text;
}

std::string rank_list(std::vector<int> ranks, std::size_t most_ranges) {
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  std::string text;
  std::size_t ranges = 0, i = 0;
  for (; i < ranks.size() && ranges < most_ranges; ++ranges) {
    std::size_t j = i;
    while (j + 1 < ranks.size() && ranks[j + 1] == ranks[j] + 1) ++j;
    text += (text.empty() ? "" : ", ") +
            (j == i ? std::to_string(ranks[i]) : fmt::format("{}-{}", ranks[i], ranks[j]));
    i = j + 1;
  }
  if (i < ranks.size()) text += fmt::format(", … (+{} more)", ranks.size() - i);
  return text;
}

}  // namespace exacheck
