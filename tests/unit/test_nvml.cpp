#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "harness/worker/nvml.hpp"

using namespace exacheck;

namespace {
// Sets (or unsets) an environment variable for one test and puts the old value back.
class scoped_env {
 public:
  scoped_env(const char* name, const std::optional<std::string>& value) : m_name(name) {
    if (const char* old = std::getenv(name)) m_old = old;
    if (value)
      setenv(name, value->c_str(), 1);
    else
      unsetenv(name);
  }
  ~scoped_env() {
    if (m_old)
      setenv(m_name.c_str(), m_old->c_str(), 1);
    else
      unsetenv(m_name.c_str());
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  std::string m_name;
  std::optional<std::string> m_old;
};

constexpr const char* missing_library = "/nonexistent/exacheck-test/libnvidia-ml.so.1";

// A fake NVML with one GPU, so the session's decoding runs without a driver. Plain functions through globals,
// because NVML's interface is C function pointers that cannot carry state.
constexpr nvml_abi::return_code not_supported = 3;  // NVML_ERROR_NOT_SUPPORTED
constexpr nvml_abi::return_code invalid_argument = 2;
int fake_init_calls = 0;
int fake_shutdown_calls = 0;
int fake_gpu = 0;  // its address is the one device handle

nvml_abi::device_handle fake_handle() {
  return reinterpret_cast<nvml_abi::device_handle>(&fake_gpu);
}

nvml_abi::entry_points fake_minimal_nvml() {
  fake_init_calls = 0;
  fake_shutdown_calls = 0;
  nvml_abi::entry_points f;
  f.init_v2 = [] { return ++fake_init_calls, nvml_abi::success; };
  f.shutdown = [] { return ++fake_shutdown_calls, nvml_abi::success; };
  return f;
}

nvml_abi::return_code copy_text(const char* text, char* buffer, unsigned int length) {
  std::strncpy(buffer, text, length);
  return nvml_abi::success;
}

nvml_abi::entry_points fake_one_gpu_nvml() {
  nvml_abi::entry_points f = fake_minimal_nvml();
  f.error_string = [](nvml_abi::return_code) { return "Not Supported"; };
  f.system_get_driver_version = [](char* text, unsigned int length) {
    return copy_text("550.54.15", text, length);
  };
  f.device_get_count_v2 = [](unsigned int* count) { return *count = 1, nvml_abi::success; };
  f.device_get_handle_by_index_v2 = [](unsigned int index, nvml_abi::device_handle* device) {
    if (index != 0) return invalid_argument;
    *device = fake_handle();
    return nvml_abi::success;
  };
  f.device_get_name = [](nvml_abi::device_handle, char* text, unsigned int length) {
    return copy_text("NVIDIA H100 80GB HBM3", text, length);
  };
  f.device_get_uuid = [](nvml_abi::device_handle, char* text, unsigned int length) {
    return copy_text("GPU-5b2c0e9a-0000-1111-2222-333344445555", text, length);
  };
  f.device_get_serial = [](nvml_abi::device_handle, char*, unsigned int) { return not_supported; };
  f.device_get_pci_info_v3 = [](nvml_abi::device_handle, nvml_abi::pci_info* pci) {
    std::strncpy(pci->bus_id_legacy, "0000:19:00.0", sizeof pci->bus_id_legacy);
    std::strncpy(pci->bus_id, "00000000:19:00.0", sizeof pci->bus_id);
    return nvml_abi::success;
  };
  f.device_get_clock_info = [](nvml_abi::device_handle, int clock_type, unsigned int* mhz) {
    if (clock_type == nvml_abi::clock_sm) return *mhz = 1980, nvml_abi::success;
    if (clock_type == nvml_abi::clock_mem) return *mhz = 2619, nvml_abi::success;
    return invalid_argument;
  };
  f.device_get_temperature = [](nvml_abi::device_handle, int, unsigned int* celsius) {
    return *celsius = 41, nvml_abi::success;
  };
  f.device_get_power_usage = [](nvml_abi::device_handle, unsigned int* milliwatts) {
    return *milliwatts = 612345, nvml_abi::success;
  };
  f.device_get_enforced_power_limit = [](nvml_abi::device_handle, unsigned int* milliwatts) {
    return *milliwatts = 700000, nvml_abi::success;
  };
  f.device_get_current_clocks_event_reasons = [](nvml_abi::device_handle, unsigned long long* bits) {
    return *bits = 0x4 | 0x20, nvml_abi::success;  // sw power cap + sw thermal slowdown
  };
  f.device_get_total_ecc_errors = [](nvml_abi::device_handle, int, int, unsigned long long*) {
    return not_supported;  // ECC switched off on this board
  };
  return f;
}
}  // namespace

TEST(nvml, missing_library_gives_no_session_and_a_reason_naming_the_library) {
  std::string why_not;
  const auto session = nvml_session::open(&why_not, missing_library);
  EXPECT_FALSE(session.has_value());
  EXPECT_EQ(why_not, std::string("NVML not available: ") + missing_library + " not found");
}

TEST(nvml, library_path_comes_from_exacheck_nvml_library_when_set) {
  {
    const scoped_env env("EXACHECK_NVML_LIBRARY", missing_library);
    EXPECT_EQ(nvml_library_path(), missing_library);
    std::string why_not;
    EXPECT_FALSE(nvml_session::open(&why_not).has_value());
    EXPECT_NE(why_not.find(missing_library), std::string::npos) << why_not;
  }
  const scoped_env unset("EXACHECK_NVML_LIBRARY", std::nullopt);
  EXPECT_EQ(nvml_library_path(), "libnvidia-ml.so.1");
  const scoped_env empty("EXACHECK_NVML_LIBRARY", "");
  EXPECT_EQ(nvml_library_path(), "libnvidia-ml.so.1");
}

TEST(nvml, default_library_absent_is_reported_as_no_nvidia_driver) {
  std::string why_not;
  if (nvml_session::open(&why_not, nvml_default_library)) GTEST_SKIP() << "NVML works on this machine";
  // A machine can have the library but no loaded driver (a container): then nvmlInit_v2 is what failed.
  EXPECT_TRUE(why_not == "NVML not available: libnvidia-ml.so.1 not found (no NVIDIA driver)" ||
              why_not.starts_with("NVML not available: nvmlInit_v2 failed: "))
      << why_not;
}

TEST(nvml, a_library_that_is_not_nvml_gives_no_session_and_says_so) {
  std::string why_not;
  EXPECT_FALSE(nvml_session::open(&why_not, "libm.so.6").has_value());
  EXPECT_NE(why_not.find("libm.so.6 has no nvmlInit_v2"), std::string::npos) << why_not;
}

TEST(nvml, reason_pointer_may_be_null) {
  EXPECT_FALSE(nvml_session::open(nullptr, missing_library).has_value());
}

TEST(nvml, failing_init_gives_no_session_with_nvml_error_text_and_no_shutdown) {
  nvml_abi::entry_points f = fake_minimal_nvml();
  f.init_v2 = [] { return nvml_abi::return_code{9}; };  // NVML_ERROR_DRIVER_NOT_LOADED
  f.error_string = [](nvml_abi::return_code) { return "Driver Not Loaded"; };
  std::string why_not;
  EXPECT_FALSE(nvml_session::from_entry_points(f, &why_not).has_value());
  EXPECT_EQ(why_not, "NVML not available: nvmlInit_v2 failed: Driver Not Loaded (NVML error 9)");
  EXPECT_EQ(fake_shutdown_calls, 0);
}

TEST(nvml, session_shuts_nvml_down_exactly_once_even_after_moves) {
  {
    auto session = nvml_session::from_entry_points(fake_minimal_nvml(), nullptr);
    ASSERT_TRUE(session.has_value());
    nvml_session moved = std::move(*session);
    session.reset();
    EXPECT_EQ(fake_shutdown_calls, 0);
  }
  EXPECT_EQ(fake_init_calls, 1);
  EXPECT_EQ(fake_shutdown_calls, 1);
}

TEST(nvml, nvml_without_query_symbols_reports_every_field_unknown) {
  const auto session = nvml_session::from_entry_points(fake_minimal_nvml(), nullptr);
  ASSERT_TRUE(session.has_value());
  EXPECT_EQ(session->driver_version(), "unknown");
  EXPECT_EQ(session->device_count(), 0);
  const gpu_identity id = session->identity(0);
  EXPECT_FALSE(id.name || id.uuid || id.serial || id.pci_bus_id);
  const gpu_sample s = session->sample(0);
  EXPECT_FALSE(s.sm_clock_mhz || s.mem_clock_mhz || s.temperature_c || s.power_w || s.power_limit_w ||
               s.clock_event_reasons || s.ecc_uncorrected_volatile);
}

TEST(nvml, fake_gpu_is_read_with_units_converted_and_unsupported_fields_unknown) {
  const auto session = nvml_session::from_entry_points(fake_one_gpu_nvml(), nullptr);
  ASSERT_TRUE(session.has_value());
  EXPECT_EQ(session->driver_version(), "550.54.15");
  EXPECT_EQ(session->device_count(), 1);

  const gpu_identity id = session->identity(0);
  EXPECT_EQ(id.name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(id.uuid, "GPU-5b2c0e9a-0000-1111-2222-333344445555");
  EXPECT_FALSE(id.serial.has_value());           // NOT_SUPPORTED
  EXPECT_EQ(id.pci_bus_id, "00000000:19:00.0");  // busId, not busIdLegacy: the struct layout is right

  const gpu_sample s = session->sample(0);
  EXPECT_EQ(s.sm_clock_mhz, 1980u);
  EXPECT_EQ(s.mem_clock_mhz, 2619u);
  EXPECT_EQ(s.temperature_c, 41u);
  ASSERT_TRUE(s.power_w && s.power_limit_w);
  EXPECT_DOUBLE_EQ(*s.power_w, 612.345);  // milliwatts to watts
  EXPECT_DOUBLE_EQ(*s.power_limit_w, 700.0);
  ASSERT_TRUE(s.clock_event_reasons.has_value());
  EXPECT_EQ(s.clock_event_reasons->bitmask, 0x24u);
  EXPECT_EQ(s.clock_event_reasons->names, (std::vector<std::string>{"sw_power_cap", "sw_thermal_slowdown"}));
  EXPECT_FALSE(s.ecc_uncorrected_volatile.has_value());
}

TEST(nvml, index_nvml_does_not_know_gives_unknown_identity_and_sample) {
  const auto session = nvml_session::from_entry_points(fake_one_gpu_nvml(), nullptr);
  ASSERT_TRUE(session.has_value());
  for (int index : {-1, 1, 7}) {
    EXPECT_FALSE(session->identity(index).name.has_value()) << index;
    EXPECT_FALSE(session->sample(index).sm_clock_mhz.has_value()) << index;
  }
}

TEST(nvml_json, unknown_sample_fields_are_null_not_zero) {
  const nlohmann::json json = gpu_sample{};
  for (const char* key : {"sm_clock_mhz", "mem_clock_mhz", "temperature_c", "power_w", "power_limit_w",
                          "clock_event_reasons", "ecc_uncorrected_volatile"}) {
    ASSERT_TRUE(json.contains(key)) << key;
    EXPECT_TRUE(json[key].is_null()) << key << " = " << json[key];
  }
  EXPECT_EQ(json.size(), 7u);
}

TEST(nvml_json, unknown_identity_fields_are_null) {
  const nlohmann::json json = gpu_identity{};
  EXPECT_EQ(json, nlohmann::json::parse(R"({"name":null,"uuid":null,"serial":null,"pci_bus_id":null})"));
}

TEST(nvml_json, known_sample_keeps_values_under_unit_named_keys) {
  gpu_sample s;
  s.sm_clock_mhz = 1755;
  s.temperature_c = 0;  // a real 0 stays 0: only unknown becomes null
  s.power_w = 512.5;
  s.clock_event_reasons = decode_clock_event_reasons(0x1);
  s.ecc_uncorrected_volatile = 0;
  const nlohmann::json json = s;
  EXPECT_EQ(json["sm_clock_mhz"], 1755);
  EXPECT_TRUE(json["mem_clock_mhz"].is_null());
  EXPECT_EQ(json["temperature_c"], 0);
  EXPECT_EQ(json["power_w"], 512.5);
  EXPECT_EQ(json["clock_event_reasons"], nlohmann::json::parse(R"({"bitmask":"0x1","names":["gpu_idle"]})"));
  EXPECT_EQ(json["ecc_uncorrected_volatile"], 0);
}

TEST(nvml_clock_event_reasons, no_bits_means_no_reasons) {
  EXPECT_TRUE(clock_event_reason_names(0).empty());
}

TEST(nvml_clock_event_reasons, each_nvml_bit_decodes_to_its_name) {
  const std::pair<std::uint64_t, const char*> expected[] = {
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
  for (const auto& [bit, name] : expected)
    EXPECT_EQ(clock_event_reason_names(bit), std::vector<std::string>{name}) << std::hex << bit;
}

TEST(nvml_clock_event_reasons, several_bits_decode_in_bit_order_and_unknown_bits_stay_visible) {
  // hw_slowdown comes with hw_thermal_slowdown or hw_power_brake on real GPUs.
  EXPECT_EQ(clock_event_reason_names(0x80 | 0x8 | 0x4),
            (std::vector<std::string>{"sw_power_cap", "hw_slowdown", "hw_power_brake"}));
  EXPECT_EQ(clock_event_reason_names((std::uint64_t{1} << 63) | 0x200),
            (std::vector<std::string>{"bit_9", "bit_63"}));
  const auto set = decode_clock_event_reasons(0x48);
  EXPECT_EQ(set.bitmask, 0x48u);
  EXPECT_EQ(set.names, (std::vector<std::string>{"hw_slowdown", "hw_thermal_slowdown"}));
}
