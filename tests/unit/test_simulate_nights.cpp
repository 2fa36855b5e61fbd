// Nights of one simulated machine (`exacheck simulate --night N [--start DATE] [--drift host:gpu=PCT]`):
// the machine is the seed's, the noise the night's; a drift compounds night after night; dates step a day.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "harness/core/errors.hpp"
#include "harness/plan/shipped_plans.hpp"
#include "harness/simulate/simulate.hpp"

using namespace exacheck;

TEST(simulate_nights, drift_spec_lists_host_gpu_and_percent) {
  const auto drifts = parse_drift("node003:2=-0.5,node010:0=1");
  ASSERT_EQ(drifts.size(), 2u);
  EXPECT_EQ(drifts[0].host, "node003");
  EXPECT_EQ(drifts[0].gpu, 2);
  EXPECT_DOUBLE_EQ(drifts[0].percent_per_night, -0.5);
  EXPECT_EQ(drifts[1].host, "node010");
  EXPECT_DOUBLE_EQ(drifts[1].percent_per_night, 1.0);
}

TEST(simulate_nights, malformed_drift_spec_names_the_item) {
  for (const std::string bad : {"node003", "node003:2", "node003:x=-1", "node003:2=", "node003:2=abc",
                                ":2=-1", "node003:-1=-1", "node003:2=-0.5,"}) {
    try {
      (void)parse_drift(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("host:gpu=PCT"), std::string::npos) << e.what();
    }
  }
}

TEST(simulate_nights, night_n_is_dated_n_minus_one_days_after_the_start) {
  EXPECT_EQ(night_timestamp("2026-11-01T02:00:00Z", 1), "2026-11-01T02:00:00Z");
  EXPECT_EQ(night_timestamp("2026-11-01T02:00:00Z", 2), "2026-11-02T02:00:00Z");
  EXPECT_EQ(night_timestamp("2026-11-01T02:00:00Z", 30), "2026-11-30T02:00:00Z");
  EXPECT_EQ(night_timestamp("2026-11-01T02:00:00Z", 31), "2026-12-01T02:00:00Z");
  EXPECT_EQ(night_timestamp("2026-12-31T23:30:00Z", 2), "2027-01-01T23:30:00Z");
  EXPECT_EQ(night_timestamp("2028-02-28", 2), "2028-02-29T02:00:00Z");  // a leap year; a date alone: 02:00
  EXPECT_EQ(night_timestamp("2027-02-28", 2), "2027-03-01T02:00:00Z");
}

TEST(simulate_nights, malformed_start_is_refused) {
  for (const std::string bad : {"2026-13-01", "2026-02-30", "2026-11-01 02:00:00", "2026-11-01T24:00:00Z",
                                "yesterday", "2026-11-01T02:00:00+01:00"})
    EXPECT_THROW((void)night_timestamp(bad, 1), std::invalid_argument) << bad;
}

TEST(simulate_nights, nights_keep_the_machine_and_draw_fresh_noise) {
  synthetic_fleet one(4, 4, 7, 1), two(4, 4, 7, 1), plain(4, 4, 7, 1);
  one.set_night(1, {});
  two.set_night(2, {});
  ASSERT_EQ(one.gpus().size(), two.gpus().size());
  for (std::size_t i = 0; i < one.gpus().size(); ++i) {
    EXPECT_EQ(one.gpus()[i].uuid, two.gpus()[i].uuid);
    EXPECT_EQ(one.gpus()[i].serial, two.gpus()[i].serial);
    EXPECT_EQ(one.gpus()[i].pci_bus_id, two.gpus()[i].pci_bus_id);
    EXPECT_DOUBLE_EQ(one.gpus()[i].speed, two.gpus()[i].speed);
  }
  EXPECT_EQ(one.planted().front().rank, two.planted().front().rank);
  EXPECT_NE(one.noise_seed(), two.noise_seed());
  EXPECT_NE(one.noise_seed(), plain.noise_seed());
  EXPECT_EQ(plain.noise_seed(), plain.seed());  // no night: the noise of the run before nights existed
}

TEST(simulate_nights, drift_compounds_from_the_first_night) {
  synthetic_fleet fleet(4, 4, 7, 0);
  const std::vector<gpu_drift> drift{{.host = "node002", .gpu = 1, .percent_per_night = -0.5}};
  const int rank = 4 + 1;
  const double speed = fleet.gpus()[rank].speed;
  fleet.set_night(1, drift);
  EXPECT_DOUBLE_EQ(fleet.factor(rank, "gemm"), speed);  // night 1 is the baseline
  fleet.set_night(5, drift);
  EXPECT_DOUBLE_EQ(fleet.drift_factor(rank), std::pow(0.995, 4));
  EXPECT_DOUBLE_EQ(fleet.factor(rank, "membw"), speed * std::pow(0.995, 4));
  EXPECT_DOUBLE_EQ(fleet.factor(rank - 1, "gemm"), fleet.gpus()[rank - 1].speed);  // its neighbour keeps
}

TEST(simulate_nights, drift_on_a_gpu_that_does_not_report_is_refused) {
  synthetic_fleet fleet(4, 4, 7, 0);
  EXPECT_THROW(fleet.set_night(2, {{.host = "node009", .gpu = 0, .percent_per_night = -1}}),
               std::invalid_argument);
  EXPECT_THROW(fleet.set_night(2, {{.host = "node001", .gpu = 4, .percent_per_night = -1}}),
               std::invalid_argument);
  EXPECT_THROW(fleet.set_night(2, {{.host = "node001", .gpu = 0, .percent_per_night = -100}}),
               std::invalid_argument);
  EXPECT_THROW(fleet.set_night(0, {}), std::invalid_argument);
}

TEST(simulate_nights, a_plan_shipped_nowhere_names_every_place_looked) {
  try {
    (void)shipped_plan_file("no-such-plan.yaml", "simulate");
    FAIL() << "found a plan that does not exist";
  } catch (const usage_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("simulate: no default plan (configs/plans/no-such-plan.yaml)"), std::string::npos)
        << message;
    EXPECT_NE(message.find((std::filesystem::current_path() / "configs/plans/no-such-plan.yaml").string()),
              std::string::npos)
        << message;
    EXPECT_NE(message.find(std::string(EXACHECK_SOURCE_DIR) + "/configs/plans/no-such-plan.yaml"),
              std::string::npos)
        << message;
  }
}
