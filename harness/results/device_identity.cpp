#include "harness/results/device_identity.hpp"

#include <tuple>

namespace exacheck {
namespace {

nlohmann::json text_or_null(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

}  // namespace

void identity_key(std::string& key, std::string_view host, std::string_view kind, std::string_view uuid,
                  std::string_view pci_bus_id, int index) {
  constexpr char separator = '\x1f';
  key.clear();
  const bool gpu = kind == "gpu";
  if (!uuid.empty())
    key.append("uuid:").append(uuid);
  else if (gpu && !pci_bus_id.empty())
    key.append(host).append(1, separator).append("pci:").append(pci_bus_id);
  else
    key.append(host).append(1, separator).append(gpu ? "index:" : "local:").append(std::to_string(index));
}

void identity_description(std::string& description, const std::string& key, std::string_view host,
                          std::string_view kind, std::string_view serial, std::string_view name, int index) {
  constexpr char separator = '\x1f';
  description = key;
  for (const std::string_view part : {host, kind, serial, name})
    description.append(1, separator).append(part);
  description.append(1, separator).append(std::to_string(index));
}

bool table_order(const device_identity& a, const device_identity& b) {
  return std::tie(a.host, a.gpu, a.key, a.name, a.kind, a.serial, a.uuid) <
         std::tie(b.host, b.gpu, b.key, b.name, b.kind, b.serial, b.uuid);
}

nlohmann::json device_table_json(const std::vector<device_identity>& table,
                                 const std::vector<std::size_t>& order) {
  nlohmann::json devices = nlohmann::json::array();
  devices.get_ref<nlohmann::json::array_t&>().reserve(order.size());
  for (const std::size_t i : order) {
    const device_identity& id = table[i];
    devices.push_back({{"host", id.host},
                       {"gpu", id.gpu},
                       {"kind", text_or_null(id.kind)},
                       {"uuid", text_or_null(id.uuid)},
                       {"serial", text_or_null(id.serial)},
                       {"name", id.name}});
  }
  return devices;
}

}  // namespace exacheck
