#include "harness/worker/nvml.hpp"

#include <dlfcn.h>
#include <fmt/core.h>

#include <cstdlib>
#include <cstring>
#include <utility>

namespace exacheck {

struct nvml_session::state {
  nvml_abi::entry_points functions;
  void* library = nullptr;  // dlopen handle; null when the functions were handed in

  state(const nvml_abi::entry_points& f, void* handle) : functions(f), library(handle) {}
  state(const state&) = delete;
  state& operator=(const state&) = delete;
  // Only ever built after nvmlInit_v2 succeeded, so the shutdown here always pairs with an init.
  ~state() {
    functions.shutdown();
    if (library) dlclose(library);
  }
};

namespace {
// Larger than every NVML_*_BUFFER_SIZE these strings need (the largest, the v2 name and UUID, is 96 bytes),
// so no query fails with NVML_ERROR_INSUFFICIENT_SIZE on a newer driver that uses longer strings.
constexpr unsigned int string_buffer_bytes = 256;

// Calls an NVML getter that writes one value through its last argument; empty when the driver lacks the
// function or the call fails (NOT_SUPPORTED on this GPU, NO_PERMISSION, GPU_IS_LOST, …).
template <typename value_type, typename function, typename... arguments>
std::optional<value_type> query(function* nvml_function, arguments... args) {
  if (!nvml_function) return std::nullopt;
  value_type value{};
  if (nvml_function(args..., &value) != nvml_abi::success) return std::nullopt;
  return value;
}

// NVML strings are NUL-terminated on success; the bound guards against a driver that fills the buffer.
std::optional<std::string> text_from(const char* buffer, std::size_t capacity) {
  std::string text(buffer, strnlen(buffer, capacity));
  if (text.empty()) return std::nullopt;  // e.g. a serial NVML returns blank on boards that have none
  return text;
}

// Getters that fill a caller's char buffer: nvmlDeviceGetName/UUID/Serial and nvmlSystemGetDriverVersion.
std::optional<std::string> query_text(nvml_abi::return_code (*nvml_function)(nvml_abi::device_handle, char*,
                                                                             unsigned int),
                                      nvml_abi::device_handle device) {
  if (!nvml_function) return std::nullopt;
  char buffer[string_buffer_bytes] = {};
  if (nvml_function(device, buffer, string_buffer_bytes) != nvml_abi::success) return std::nullopt;
  return text_from(buffer, sizeof buffer);
}

std::optional<std::string> query_text(nvml_abi::return_code (*nvml_function)(char*, unsigned int)) {
  if (!nvml_function) return std::nullopt;
  char buffer[string_buffer_bytes] = {};
  if (nvml_function(buffer, string_buffer_bytes) != nvml_abi::success) return std::nullopt;
  return text_from(buffer, sizeof buffer);
}

std::string error_text(const nvml_abi::entry_points& functions, nvml_abi::return_code code) {
  const char* text = functions.error_string ? functions.error_string(code) : nullptr;
  if (!text) return fmt::format("NVML error {}", code);
  return fmt::format("{} (NVML error {})", text, code);
}

template <typename function>
void resolve(void* library, const char* symbol, function& target) {
  target = reinterpret_cast<function>(dlsym(library, symbol));
}

nvml_abi::entry_points resolve_all(void* library) {
  nvml_abi::entry_points f;
  resolve(library, "nvmlInit_v2", f.init_v2);
  resolve(library, "nvmlShutdown", f.shutdown);
  resolve(library, "nvmlErrorString", f.error_string);
  resolve(library, "nvmlSystemGetDriverVersion", f.system_get_driver_version);
  resolve(library, "nvmlDeviceGetCount_v2", f.device_get_count_v2);
  resolve(library, "nvmlDeviceGetHandleByIndex_v2", f.device_get_handle_by_index_v2);
  resolve(library, "nvmlDeviceGetName", f.device_get_name);
  resolve(library, "nvmlDeviceGetUUID", f.device_get_uuid);
  resolve(library, "nvmlDeviceGetSerial", f.device_get_serial);
  resolve(library, "nvmlDeviceGetPciInfo_v3", f.device_get_pci_info_v3);
  resolve(library, "nvmlDeviceGetClockInfo", f.device_get_clock_info);
  resolve(library, "nvmlDeviceGetTemperature", f.device_get_temperature);
  resolve(library, "nvmlDeviceGetPowerUsage", f.device_get_power_usage);
  resolve(library, "nvmlDeviceGetEnforcedPowerLimit", f.device_get_enforced_power_limit);
  // Newer NVML calls "throttle reasons" "clock event reasons" (same bits) and deprecates the old name;
  // older drivers export only the old one.
  resolve(library, "nvmlDeviceGetCurrentClocksEventReasons", f.device_get_current_clocks_event_reasons);
  if (!f.device_get_current_clocks_event_reasons)
    resolve(library, "nvmlDeviceGetCurrentClocksThrottleReasons", f.device_get_current_clocks_event_reasons);
  resolve(library, "nvmlDeviceGetTotalEccErrors", f.device_get_total_ecc_errors);
  return f;
}

std::string load_failure(const std::string& library_path, const char* dl_error) {
  const std::string detail = dl_error ? dl_error : "";
  if (detail.empty() || detail.find("No such file") != std::string::npos)
    return fmt::format("NVML not available: {} not found{}", library_path,
                       library_path == nvml_default_library ? " (no NVIDIA driver)" : "");
  return fmt::format("NVML not available: {} could not be loaded: {}", library_path, detail);
}

void tell(std::string* why_not, std::string reason) {
  if (why_not) *why_not = std::move(reason);
}

// (bit, name) from nvml.h's nvmlClocksEventReason* / nvmlClocksThrottleReason* defines.
struct named_reason {
  std::uint64_t bit;
  const char* name;
};
constexpr named_reason clock_event_reasons[] = {
    {0x1, "gpu_idle"},
    {0x2, "applications_clocks_setting"},
    {0x4, "sw_power_cap"},
    {0x8, "hw_slowdown"},
    {0x10, "sync_boost"},
    {0x20, "sw_thermal_slowdown"},
    {0x40, "hw_thermal_slowdown"},
    {0x80, "hw_power_brake"},
    {0x100, "display_clock_setting"},
};

template <typename value_type>
nlohmann::json value_or_null(const std::optional<value_type>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}
}  // namespace

std::string nvml_library_path() {
  const char* configured = std::getenv("EXACHECK_NVML_LIBRARY");
  return configured && *configured ? configured : nvml_default_library;
}

std::vector<std::string> clock_event_reason_names(std::uint64_t bitmask) {
  std::vector<std::string> names;
  for (int bit_index = 0; bit_index < 64; ++bit_index) {
    const std::uint64_t bit = std::uint64_t{1} << bit_index;
    if (!(bitmask & bit)) continue;
    std::string name = fmt::format("bit_{}", bit_index);  // a reason newer than this table: keep it visible
    for (const auto& reason : clock_event_reasons)
      if (reason.bit == bit) name = reason.name;
    names.push_back(std::move(name));
  }
  return names;
}

clock_event_reason_set decode_clock_event_reasons(std::uint64_t bitmask) {
  return {bitmask, clock_event_reason_names(bitmask)};
}

void to_json(nlohmann::json& out, const gpu_identity& value) {
  out = {{"name", value_or_null(value.name)},
         {"uuid", value_or_null(value.uuid)},
         {"serial", value_or_null(value.serial)},
         {"pci_bus_id", value_or_null(value.pci_bus_id)}};
}

void to_json(nlohmann::json& out, const clock_event_reason_set& value) {
  out = {{"bitmask", fmt::format("{:#x}", value.bitmask)}, {"names", value.names}};
}

void to_json(nlohmann::json& out, const gpu_sample& value) {
  out = {{"sm_clock_mhz", value_or_null(value.sm_clock_mhz)},
         {"mem_clock_mhz", value_or_null(value.mem_clock_mhz)},
         {"temperature_c", value_or_null(value.temperature_c)},
         {"power_w", value_or_null(value.power_w)},
         {"power_limit_w", value_or_null(value.power_limit_w)},
         {"clock_event_reasons", value_or_null(value.clock_event_reasons)},
         {"ecc_uncorrected_volatile", value_or_null(value.ecc_uncorrected_volatile)}};
}

std::optional<nvml_session> nvml_session::open(std::string* why_not) {
  return open(why_not, nvml_library_path());
}

std::optional<nvml_session> nvml_session::open(std::string* why_not, const std::string& library_path) {
  dlerror();  // clear a stale error so the one read below belongs to this dlopen
  // RTLD_LOCAL: NVML's symbols stay out of the global namespace, where they could shadow another copy.
  void* library = dlopen(library_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    tell(why_not, load_failure(library_path, dlerror()));
    return std::nullopt;
  }
  const nvml_abi::entry_points functions = resolve_all(library);
  if (!functions.init_v2 || !functions.shutdown) {
    tell(why_not, fmt::format("NVML not available: {} has no nvmlInit_v2/nvmlShutdown (not NVML, or a very "
                              "old one)",
                              library_path));
    dlclose(library);
    return std::nullopt;
  }
  const nvml_abi::return_code init = functions.init_v2();
  if (init != nvml_abi::success) {
    // Typical here: "Driver Not Loaded" (library present, kernel module absent, as in many containers) and
    // "Driver/library version mismatch" (the driver was upgraded without a reboot).
    tell(why_not, fmt::format("NVML not available: nvmlInit_v2 failed: {}", error_text(functions, init)));
    dlclose(library);
    return std::nullopt;
  }
  tell(why_not, "");
  return nvml_session(std::make_unique<state>(functions, library));
}

std::optional<nvml_session> nvml_session::from_entry_points(const nvml_abi::entry_points& functions,
                                                            std::string* why_not) {
  if (!functions.init_v2 || !functions.shutdown) {
    tell(why_not, "NVML not available: no nvmlInit_v2/nvmlShutdown");
    return std::nullopt;
  }
  const nvml_abi::return_code init = functions.init_v2();
  if (init != nvml_abi::success) {
    tell(why_not, fmt::format("NVML not available: nvmlInit_v2 failed: {}", error_text(functions, init)));
    return std::nullopt;
  }
  tell(why_not, "");
  return nvml_session(std::make_unique<state>(functions, nullptr));
}

nvml_session::nvml_session(std::unique_ptr<state> owned) : m_state(std::move(owned)) {}
nvml_session::nvml_session(nvml_session&& other) noexcept = default;
nvml_session& nvml_session::operator=(nvml_session&& other) noexcept = default;
nvml_session::~nvml_session() = default;

std::string nvml_session::driver_version() const {
  return query_text(m_state->functions.system_get_driver_version).value_or("unknown");
}

int nvml_session::device_count() const {
  return static_cast<int>(query<unsigned int>(m_state->functions.device_get_count_v2).value_or(0));
}

namespace {
std::optional<nvml_abi::device_handle> handle_of(const nvml_abi::entry_points& f, int index) {
  if (index < 0) return std::nullopt;
  return query<nvml_abi::device_handle>(f.device_get_handle_by_index_v2, static_cast<unsigned int>(index));
}
}  // namespace

gpu_identity nvml_session::identity(int index) const {
  const nvml_abi::entry_points& f = m_state->functions;
  gpu_identity identity;
  const auto device = handle_of(f, index);
  if (!device) return identity;
  identity.name = query_text(f.device_get_name, *device);
  identity.uuid = query_text(f.device_get_uuid, *device);
  identity.serial = query_text(f.device_get_serial, *device);
  if (const auto pci = query<nvml_abi::pci_info>(f.device_get_pci_info_v3, *device))
    identity.pci_bus_id = text_from(pci->bus_id, sizeof pci->bus_id);
  return identity;
}

gpu_sample nvml_session::sample(int index) const {
  const nvml_abi::entry_points& f = m_state->functions;
  gpu_sample sample;
  const auto device = handle_of(f, index);
  if (!device) return sample;
  const auto watts = [](std::optional<unsigned int> milliwatts) -> std::optional<double> {
    if (!milliwatts) return std::nullopt;
    return *milliwatts / 1000.0;  // NVML reports power and limits in milliwatts
  };
  sample.sm_clock_mhz = query<unsigned int>(f.device_get_clock_info, *device, nvml_abi::clock_sm);
  sample.mem_clock_mhz = query<unsigned int>(f.device_get_clock_info, *device, nvml_abi::clock_mem);
  sample.temperature_c = query<unsigned int>(f.device_get_temperature, *device, nvml_abi::temperature_gpu);
  sample.power_w = watts(query<unsigned int>(f.device_get_power_usage, *device));
  sample.power_limit_w = watts(query<unsigned int>(f.device_get_enforced_power_limit, *device));
  if (const auto bits = query<unsigned long long>(f.device_get_current_clocks_event_reasons, *device))
    sample.clock_event_reasons = decode_clock_event_reasons(*bits);
  // NOT_SUPPORTED on GPUs without ECC or with ECC switched off: unknown, which is not the same as 0 errors.
  sample.ecc_uncorrected_volatile =
      query<unsigned long long>(f.device_get_total_ecc_errors, *device,
                                nvml_abi::memory_error_type_uncorrected, nvml_abi::volatile_ecc);
  return sample;
}

}  // namespace exacheck
