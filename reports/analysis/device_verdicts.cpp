// analysis.device_verdicts (docs/run-json.md "Device verdicts"): one verdict per GPU and per node from what
// the analysis attributed to each, the expected devices that never reported, and the checks tied to none.
#include "reports/analysis/device_verdicts.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "reports/analysis/format.hpp"

namespace exacheck::reports::detail {
namespace {

using nlohmann::json;

// How bad a device verdict is, for the worst of several and for listing the worst first.
int severity(std::string_view verdict) {
  if (verdict == "INCORRECT") return 6;
  if (verdict == "FAIL") return 5;
  if (verdict == "OUTLIER") return 4;
  if (verdict == "MISSING") return 3;
  if (verdict == "ERROR") return 2;
  return 0;  // PASS
}

std::string_view verdict_of(const device_reason& r) {
  return r.missing ? "MISSING" : device_verdict_of(r.result);
}

std::string_view worst_verdict(const std::vector<device_reason>& reasons, std::string_view worst = "PASS") {
  for (const auto& r : reasons)
    if (severity(verdict_of(r)) > severity(worst)) worst = verdict_of(r);
  return worst;
}

json text_or_null(const std::string& text) {
  return text.empty() ? json(nullptr) : json(text);
}

// Worst first: by verdict, then by how far off; ties in the order found (case, point, metric).
void sort_worst_first(std::vector<device_reason>& reasons) {
  std::stable_sort(reasons.begin(), reasons.end(), [](const device_reason& a, const device_reason& b) {
    const int sa = severity(verdict_of(a)), sb = severity(verdict_of(b));
    return sa != sb ? sa > sb : a.badness > b.badness;
  });
}

json reason_json(const device_reason& r) {
  return {{"verdict", verdict_of(r)},
          {"outcome", r.missing ? std::string_view("MISSING") : to_string(r.result)},
          {"kind", r.kind},
          {"case_id", text_or_null(r.case_id)},
          {"benchmark", text_or_null(r.benchmark)},
          {"metric", text_or_null(r.metric)},
          {"params", r.params},
          {"value", r.value ? json(*r.value) : json(nullptr)},
          {"unit", text_or_null(r.unit)},
          {"rank", r.rank ? json(*r.rank) : json(nullptr)},
          {"reason", r.reason}};
}

// The first max_reasons_listed reasons, worst first, and how many there are.
void write_reasons(json& entry, std::vector<device_reason>& reasons) {
  sort_worst_first(reasons);
  json list = json::array();
  for (std::size_t i = 0; i < reasons.size() && i < max_reasons_listed; ++i)
    list.push_back(reason_json(reasons[i]));
  entry["failing_checks"] = reasons.size();
  entry["reasons"] = std::move(list);
}

struct gpu_row {
  std::string key, host, kind, uuid, serial, name;
  int gpu = 0;
  std::optional<std::size_t> position;  // in analysis.devices
  std::vector<device_reason> reasons;
  std::string_view verdict = "PASS";
};

std::string slot_key(std::string_view host, int gpu) {
  return fmt::format("{}\x1f{}", host, gpu);
}

}  // namespace

std::string_view device_verdict_of(outcome result) {
  switch (result) {
    case outcome::incorrect:
      return "INCORRECT";
    case outcome::outlier:
      return "OUTLIER";
    case outcome::error:
    case outcome::timeout:
      return "ERROR";
    default:
      return "FAIL";
  }
}

json check_device_json(const device_identity* gpu, std::string_view host, const device_reason& why) {
  return {{"host", gpu ? gpu->host : std::string(host)},
          {"kind", gpu ? text_or_null(gpu->kind) : json(nullptr)},
          {"gpu", gpu ? json(gpu->gpu) : json(nullptr)},
          {"uuid", gpu ? text_or_null(gpu->uuid) : json(nullptr)},
          {"rank", why.rank ? json(*why.rank) : json(nullptr)},
          {"value", why.value ? json(*why.value) : json(nullptr)},
          {"reason", why.reason}};
}

void device_verdicts::add_gpu(const std::string& key, device_reason reason) {
  m_gpus[key].push_back(std::move(reason));
}

void device_verdicts::add_described(const described_device& device, device_reason reason) {
  m_described.emplace_back(device, std::move(reason));
}

void device_verdicts::add_node(const std::string& host, device_reason reason) {
  m_nodes[host].push_back(std::move(reason));
}

void device_verdicts::add_reported_host(const std::string& host) {
  m_reported_hosts.push_back(host);
}

void device_verdicts::add_untied(device_reason reason, json slowest_rank) {
  m_untied.emplace_back(std::move(reason), std::move(slowest_rank));
}

json device_verdicts::to_json(const std::vector<const device_identity*>& table, const json& provenance) {
  // The run's GPUs, one row per identity (the first description of it in table order).
  std::vector<gpu_row> rows;
  std::unordered_map<std::string, std::size_t> by_key, by_uuid, by_slot;
  const auto add_row = [&](gpu_row row) {
    const std::size_t i = rows.size();
    if (!row.key.empty()) by_key.emplace(row.key, i);
    if (!row.uuid.empty()) by_uuid.emplace(row.uuid, i);
    by_slot.emplace(slot_key(row.host, row.gpu), i);
    rows.push_back(std::move(row));
    return i;
  };
  for (std::size_t i = 0; i < table.size(); ++i) {
    const device_identity& id = *table[i];
    if (by_key.count(id.key)) continue;
    add_row({id.key, id.host, id.kind, id.uuid, id.serial, id.name, id.gpu, i, {}, "PASS"});
  }
  for (auto& [key, reasons] : m_gpus) {
    const auto found = by_key.find(key);
    if (found == by_key.end()) continue;  // every key comes from the table
    auto& into = rows[found->second].reasons;
    into.insert(into.end(), std::make_move_iterator(reasons.begin()), std::make_move_iterator(reasons.end()));
  }
  std::vector<std::pair<device_reason, json>> untied;
  for (auto& [device, reason] : m_described) {
    std::optional<std::size_t> row;
    if (const auto u = by_uuid.find(device.uuid); !device.uuid.empty() && u != by_uuid.end()) row = u->second;
    if (!row && device.gpu)
      if (const auto s = by_slot.find(slot_key(device.host, *device.gpu)); s != by_slot.end())
        row = s->second;
    if (!row && !device.host.empty() && device.gpu)
      row =
          add_row({"", device.host, device.kind, device.uuid, "", "", *device.gpu, std::nullopt, {}, "PASS"});
    if (row)
      rows[*row].reasons.push_back(std::move(reason));
    else if (!device.host.empty())
      m_nodes[device.host].push_back(std::move(reason));
    else
      untied.emplace_back(std::move(reason), nullptr);
  }

  // What should have reported: hosts, and GPUs 0..n−1 on each when the number per host is known.
  std::set<std::string> reported_hosts;
  for (const auto& row : rows) reported_hosts.insert(row.host);
  for (const auto& [host, reasons] : m_nodes) reported_hosts.insert(host);
  reported_hosts.insert(m_reported_hosts.begin(), m_reported_hosts.end());
  std::vector<std::string> expected_hosts;
  for (const auto& host : list_field(provenance, "expected_hosts"))
    if (host.is_string()) expected_hosts.push_back(host.get<std::string>());
  const json& per_host_json = field(provenance, "expected_gpus_per_host");
  const int per_host = per_host_json.is_number_integer() ? std::max(0, per_host_json.get<int>()) : 0;
  std::set<std::string> missing_hosts;
  for (const auto& host : expected_hosts) {
    const bool host_missing = !reported_hosts.count(host);
    if (host_missing) {
      missing_hosts.insert(host);
      device_reason why;
      why.missing = true;
      why.kind = "missing";
      why.reason = per_host > 0 ? fmt::format("expected, never reported (nor any of its {} GPUs)", per_host)
                                : "expected, never reported";
      m_nodes[host].push_back(std::move(why));
    }
    for (int gpu = 0; gpu < per_host; ++gpu) {
      if (by_slot.count(slot_key(host, gpu))) continue;
      gpu_row row{"", host, "", "", "", "", gpu, std::nullopt, {}, "PASS"};
      device_reason why;
      why.missing = true;
      why.kind = "missing";
      why.reason = host_missing ? "expected, never reported: its node never reported"
                                : "expected, never reported (its node did)";
      row.reasons.push_back(std::move(why));
      add_row(std::move(row));
    }
  }

  std::sort(rows.begin(), rows.end(), [](const gpu_row& a, const gpu_row& b) {
    return std::tie(a.host, a.gpu, a.key, a.uuid) < std::tie(b.host, b.gpu, b.key, b.uuid);
  });
  std::map<std::string, std::vector<std::size_t>> gpus_of_host;
  for (const auto& [host, reasons] : m_nodes) gpus_of_host[host];
  json gpus = json::array();
  std::size_t gpus_needing_attention = 0, missing_gpus = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    gpu_row& row = rows[i];
    gpus_of_host[row.host].push_back(i);
    row.verdict = worst_verdict(row.reasons);
    if (row.verdict != "PASS") ++gpus_needing_attention;
    if (row.verdict == "MISSING") ++missing_gpus;
    json entry = {{"host", row.host},
                  {"gpu", row.gpu},
                  {"kind", text_or_null(row.kind)},
                  {"uuid", text_or_null(row.uuid)},
                  {"serial", text_or_null(row.serial)},
                  {"name", text_or_null(row.name)},
                  {"device", row.position ? json(*row.position) : json(nullptr)},
                  {"verdict", row.verdict}};
    write_reasons(entry, row.reasons);
    gpus.push_back(std::move(entry));
  }

  // Nodes: their own reasons (what their GPUs do not explain); their verdict is the worst of those and of
  // their GPUs'.
  struct attention_row {
    int severity;
    double badness;       // of its worst reason
    std::size_t reasons;  // how many: of equally bad rows, the one with more failing checks comes first
    std::string_view host;
    bool gpu;  // false: the node's own row
    int index;
    std::size_t position;
  };
  std::vector<attention_row> attention;
  json nodes = json::array();
  std::size_t nodes_needing_attention = 0, nodes_listed = 0, missing_nodes = 0;
  for (auto& [host, members] : gpus_of_host) {
    std::vector<device_reason>& own = m_nodes[host];
    sort_worst_first(own);
    std::string_view verdict = worst_verdict(own);
    // Never reported at all, or sent nothing for some case its launch spanned (attribute_missing_hosts).
    if (std::any_of(own.begin(), own.end(), [](const device_reason& r) { return r.missing; }))
      ++missing_nodes;
    std::size_t needing = 0, reported = 0;
    for (const std::size_t i : members) {
      if (rows[i].verdict != "MISSING") ++reported;
      if (rows[i].verdict == "PASS") continue;
      ++needing;
      if (severity(rows[i].verdict) > severity(verdict)) verdict = rows[i].verdict;
      // A missing node's GPUs are its row's: "never reported (nor any of its 4 GPUs)".
      if (!missing_hosts.count(host))
        attention.push_back({severity(rows[i].verdict), rows[i].reasons.front().badness,
                             rows[i].reasons.size(), rows[i].host, true, rows[i].gpu, i});
    }
    if (verdict != "PASS") ++nodes_needing_attention;
    if (!own.empty()) {
      ++nodes_listed;
      attention.push_back(
          {severity(worst_verdict(own)), own.front().badness, own.size(), host, false, -1, nodes.size()});
    }
    json entry = {
        {"host", host}, {"verdict", verdict}, {"gpus", reported}, {"gpus_needing_attention", needing}};
    write_reasons(entry, own);
    nodes.push_back(std::move(entry));
  }
  std::sort(attention.begin(), attention.end(), [](const attention_row& a, const attention_row& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    if (a.badness != b.badness) return a.badness > b.badness;
    if (a.reasons != b.reasons) return a.reasons > b.reasons;
    return std::tie(a.host, a.gpu, a.index) < std::tie(b.host, b.gpu, b.index);
  });
  json order = json::array();
  for (const auto& a : attention) order.push_back({{a.gpu ? "gpu" : "node", a.position}});

  json not_tied = json::array();
  for (auto& entry : m_untied) untied.push_back(std::move(entry));
  for (auto& [reason, slowest] : untied) {
    json entry = reason_json(reason);
    entry.erase("rank");
    entry["slowest_rank"] = std::move(slowest);
    not_tied.push_back(std::move(entry));
  }
  const json expected = expected_hosts.empty() && per_host == 0
                            ? json(nullptr)
                            : json{{"hosts", expected_hosts.size()},
                                   {"gpus_per_host", per_host > 0 ? json(per_host) : json(nullptr)}};
  return {{"expected", expected},
          {"summary",
           {{"gpus", rows.size()},
            {"gpus_needing_attention", gpus_needing_attention},
            {"nodes", nodes.size()},
            {"nodes_needing_attention", nodes_needing_attention},
            {"nodes_listed", nodes_listed},
            {"missing", {{"gpus", missing_gpus}, {"nodes", missing_nodes}}},
            {"not_tied", not_tied.size()}}},
          {"attention", std::move(order)},
          {"gpus", std::move(gpus)},
          {"nodes", std::move(nodes)},
          {"not_tied", std::move(not_tied)}};
}

}  // namespace exacheck::reports::detail
