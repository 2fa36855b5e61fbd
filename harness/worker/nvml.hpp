#pragma once
// GPU telemetry through NVML, loaded at run time with dlopen and never linked: the same binary runs on a node
// with no NVIDIA driver, and a CPU-only build needs no CUDA header. Every query that NVML
// cannot answer (symbol missing from an older driver, call failing, feature not on this GPU) is an empty
// optional, shown as "unknown" or JSON null, never a zero that could pass for a measurement.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace exacheck {

// The slice of NVML's C ABI that exacheck calls, declared here so that no nvml.h is needed to build.
// Values and layouts as in NVIDIA's nvml.h (checked against the NVML 12.2.140 header that NVIDIA vendors
// in github.com/NVIDIA/go-nvml, gen/nvml/nvml.h; this machine's CUDA 13.0 toolkit ships no nvml.h).
namespace nvml_abi {
using return_code = int;                      // nvmlReturn_t; NVML_SUCCESS is 0
using device_handle = struct nvmlDevice_st*;  // nvmlDevice_t, opaque
inline constexpr return_code success = 0;

inline constexpr int clock_sm = 1;                       // nvmlClockType_t NVML_CLOCK_SM
inline constexpr int clock_mem = 2;                      // nvmlClockType_t NVML_CLOCK_MEM
inline constexpr int temperature_gpu = 0;                // nvmlTemperatureSensors_t NVML_TEMPERATURE_GPU
inline constexpr int memory_error_type_uncorrected = 1;  // nvmlMemoryErrorType_t, double-bit ECC errors
inline constexpr int volatile_ecc = 0;  // nvmlEccCounterType_t: reset each time the driver loads

// nvmlPciInfo_t as nvmlDeviceGetPciInfo_v3 fills it; only busId is read, the rest keeps the layout exact.
struct pci_info {
  char bus_id_legacy[16];  // NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pci_device_id;
  unsigned int pci_sub_system_id;
  char bus_id[32];  // NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE, "00000000:19:00.0"
};
static_assert(sizeof(pci_info) == 68, "nvmlPciInfo_t is 68 bytes");

// One pointer per NVML function, resolved with dlsym; null where this NVML lacks the symbol.
struct entry_points {
  return_code (*init_v2)() = nullptr;
  return_code (*shutdown)() = nullptr;
  const char* (*error_string)(return_code) = nullptr;
  return_code (*system_get_driver_version)(char*, unsigned int) = nullptr;
  return_code (*device_get_count_v2)(unsigned int*) = nullptr;
  return_code (*device_get_handle_by_index_v2)(unsigned int, device_handle*) = nullptr;
  return_code (*device_get_name)(device_handle, char*, unsigned int) = nullptr;
  return_code (*device_get_uuid)(device_handle, char*, unsigned int) = nullptr;
  return_code (*device_get_serial)(device_handle, char*, unsigned int) = nullptr;
  return_code (*device_get_pci_info_v3)(device_handle, pci_info*) = nullptr;
  return_code (*device_get_clock_info)(device_handle, int clock_type, unsigned int* mhz) = nullptr;
  return_code (*device_get_temperature)(device_handle, int sensor, unsigned int* celsius) = nullptr;
  return_code (*device_get_power_usage)(device_handle, unsigned int* milliwatts) = nullptr;
  return_code (*device_get_enforced_power_limit)(device_handle, unsigned int* milliwatts) = nullptr;
  // nvmlDeviceGetCurrentClocksEventReasons, or the older name nvmlDeviceGetCurrentClocksThrottleReasons.
  return_code (*device_get_current_clocks_event_reasons)(device_handle, unsigned long long* bits) = nullptr;
  return_code (*device_get_total_ecc_errors)(device_handle, int error_type, int counter_type,
                                             unsigned long long* count) = nullptr;
};
}  // namespace nvml_abi

// Where NVML is loaded from: $EXACHECK_NVML_LIBRARY when set and not empty (a driver installed outside the
// loader path, or a test pointing at a file that does not exist), else the driver's soname.
inline constexpr const char* nvml_default_library = "libnvidia-ml.so.1";
std::string nvml_library_path();

// Who a GPU is: recorded with every result so a slow or failing GPU can be found again by serial.
struct gpu_identity {
  std::optional<std::string> name;        // "NVIDIA H100 80GB HBM3"
  std::optional<std::string> uuid;        // "GPU-5b2c…"
  std::optional<std::string> serial;      // board serial, the key for per-GPU trends
  std::optional<std::string> pci_bus_id;  // "00000000:19:00.0"
};

// Why the clocks are below their maximum right now: NVML's "clock event" (formerly "throttle") reasons.
struct clock_event_reason_set {
  std::uint64_t bitmask = 0;
  std::vector<std::string> names;  // "sw_power_cap", "hw_slowdown", …; an unnamed bit is "bit_N"
};
// Names of the set bits, in bit order (values of nvmlClocksEventReason* / nvmlClocksThrottleReason*).
std::vector<std::string> clock_event_reason_names(std::uint64_t bitmask);
clock_event_reason_set decode_clock_event_reasons(std::uint64_t bitmask);

// One reading of a GPU's state; sampled before, during and after a case.
struct gpu_sample {
  std::optional<unsigned int> sm_clock_mhz;
  std::optional<unsigned int> mem_clock_mhz;
  std::optional<unsigned int> temperature_c;  // GPU die
  std::optional<double> power_w;              // board power draw
  std::optional<double> power_limit_w;        // the limit the driver enforces now
  std::optional<clock_event_reason_set> clock_event_reasons;
  std::optional<std::uint64_t> ecc_uncorrected_volatile;  // uncorrected ECC errors since the driver loaded
};

// Keys carry units (_mhz, _c, _w); an unknown value is null. The reason bitmask is a hex string ("0x24"),
// because bit 63 does not survive a trip through a double in a JSON reader.
void to_json(nlohmann::json& out, const gpu_identity& value);
void to_json(nlohmann::json& out, const gpu_sample& value);
void to_json(nlohmann::json& out, const clock_event_reason_set& value);

// One NVML initialisation, shut down (and the library unloaded) when the session ends.
class nvml_session {
 public:
  // nullopt when NVML cannot be used here, with the reason in *why_not (when not null), e.g.
  // "NVML not available: libnvidia-ml.so.1 not found (no NVIDIA driver)".
  static std::optional<nvml_session> open(std::string* why_not);
  static std::optional<nvml_session> open(std::string* why_not, const std::string& library_path);
  // A session over functions that are already resolved (tests use fakes); nothing is unloaded at the end.
  static std::optional<nvml_session> from_entry_points(const nvml_abi::entry_points& functions,
                                                       std::string* why_not);

  // Non-copyable: each session owns one nvmlInit/nvmlShutdown pair and one dlopen reference.
  nvml_session(const nvml_session&) = delete;
  nvml_session& operator=(const nvml_session&) = delete;
  nvml_session(nvml_session&& other) noexcept;
  nvml_session& operator=(nvml_session&& other) noexcept;
  ~nvml_session();

  std::string driver_version() const;  // "550.54.15", or "unknown"
  // GPUs NVML sees on the node, in PCI order; CUDA_VISIBLE_DEVICES does not hide any from NVML, and
  // NVML's index is not CUDA's device ordinal: match the two by UUID or PCI bus id. 0 when NVML fails.
  int device_count() const;
  gpu_identity identity(int index) const;  // every field unknown for an index NVML does not know
  gpu_sample sample(int index) const;

 private:
  struct state;
  explicit nvml_session(std::unique_ptr<state> owned);
  std::unique_ptr<state> m_state;
};

}  // namespace exacheck
