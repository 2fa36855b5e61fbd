// The shipped alerting rules (configs/prometheus/exacheck-alerts.yml) against promtool, the reference checker
// (Debian package prometheus): they load, and tests/fixtures/prometheus/exacheck-alerts.test.yml shows the
// stale-run alert firing after 26 h and not before, and the GPU alert naming the GPU by its UUID. Skipped
// where promtool is not installed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace {
const std::filesystem::path source_dir = EXACHECK_SOURCE_DIR;

bool have_promtool() {
  return std::system("command -v promtool >/dev/null 2>&1") == 0;
}
}  // namespace

TEST(prometheus_alert_rules, promtool_accepts_the_shipped_rules_when_installed) {
  if (!have_promtool()) GTEST_SKIP() << "promtool is not installed";
  const std::string command =
      "promtool check rules " + (source_dir / "configs/prometheus/exacheck-alerts.yml").string() + " 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0);
}

TEST(prometheus_alert_rules, stale_run_and_gpu_alerts_fire_as_documented_when_promtool_is_installed) {
  if (!have_promtool()) GTEST_SKIP() << "promtool is not installed";
  const std::string command = "promtool test rules " +
                              (source_dir / "tests/fixtures/prometheus/exacheck-alerts.test.yml").string() +
                              " 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0);
}
