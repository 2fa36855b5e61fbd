// Byte sizes and durations as written in plans, and how byte sizes are printed back.
#include <gtest/gtest.h>

#include <stdexcept>

#include "harness/plan/plan.hpp"

namespace exacheck {
namespace {

constexpr std::uint64_t KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024, TiB = GiB * 1024;

TEST(parse_bytes, plain_integers_are_bytes) {
  EXPECT_EQ(parse_bytes("0"), 0u);
  EXPECT_EQ(parse_bytes("4096"), 4096u);
  EXPECT_EQ(parse_bytes(" 8 "), 8u);
  EXPECT_EQ(parse_bytes("18446744073709551615"), 18446744073709551615ull);
}

TEST(parse_bytes, binary_units_are_powers_of_1024) {
  EXPECT_EQ(parse_bytes("4KiB"), 4 * KiB);
  EXPECT_EQ(parse_bytes("64MiB"), 64 * MiB);
  EXPECT_EQ(parse_bytes("8GiB"), 8 * GiB);
  EXPECT_EQ(parse_bytes("2TiB"), 2 * TiB);
  EXPECT_EQ(parse_bytes("1PiB"), 1024 * TiB);
  EXPECT_EQ(parse_bytes("1EiB"), 1024 * 1024 * TiB);
}

TEST(parse_bytes, decimal_units_are_powers_of_1000) {
  EXPECT_EQ(parse_bytes("4KB"), 4000u);
  EXPECT_EQ(parse_bytes("1MB"), 1000000u);
  EXPECT_EQ(parse_bytes("1GB"), 1000000000u);
  EXPECT_EQ(parse_bytes("3TB"), 3000000000000u);
  EXPECT_EQ(parse_bytes("1PB"), 1000000000000000u);
  EXPECT_EQ(parse_bytes("512B"), 512u);
}

TEST(parse_bytes, units_are_case_insensitive_and_may_follow_a_space) {
  EXPECT_EQ(parse_bytes("64 MiB"), 64 * MiB);
  EXPECT_EQ(parse_bytes("64mib"), 64 * MiB);
  EXPECT_EQ(parse_bytes("8 gib"), 8 * GiB);
  EXPECT_EQ(parse_bytes("1gb"), 1000000000u);
  EXPECT_EQ(parse_bytes("16 b"), 16u);
}

TEST(parse_bytes, decimals_and_exponents_are_exact_when_they_make_whole_bytes) {
  EXPECT_EQ(parse_bytes("1e6"), 1000000u);
  EXPECT_EQ(parse_bytes("2.5e3"), 2500u);
  EXPECT_EQ(parse_bytes("1.5KiB"), 1536u);
  EXPECT_EQ(parse_bytes("0.5GiB"), 512 * MiB);
  EXPECT_EQ(parse_bytes("0.1GB"), 100000000u);
  EXPECT_EQ(parse_bytes("1.50MB"), 1500000u);
  EXPECT_EQ(parse_bytes("1e3KiB"), 1024000u);
}

TEST(parse_bytes, fractions_of_a_byte_are_rejected) {
  EXPECT_THROW(parse_bytes("0.5"), std::invalid_argument);
  EXPECT_THROW(parse_bytes("1.3B"), std::invalid_argument);
  EXPECT_THROW(parse_bytes("1e-1"), std::invalid_argument);
}

TEST(parse_bytes, negatives_garbage_and_unknown_units_are_rejected) {
  for (const char* text : {"-1", "-64MiB", "", "   ", "MiB", "lots", "64 MeB", "64M", "64K", "1.2.3", "0x10",
                           "64MiB extra", "inf", "nan", "1e"})
    EXPECT_THROW(parse_bytes(text), std::invalid_argument) << text;
}

TEST(parse_bytes, sizes_beyond_64_bits_are_rejected) {
  EXPECT_THROW(parse_bytes("16EiB"), std::invalid_argument);
  EXPECT_THROW(parse_bytes("18446744073709551616"), std::invalid_argument);
  EXPECT_THROW(parse_bytes("1e30"), std::invalid_argument);
  EXPECT_EQ(parse_bytes("15EiB"), 15ull << 60);
}

TEST(parse_bytes, error_message_quotes_the_text_and_says_what_is_accepted) {
  try {
    parse_bytes("64 MeB");
    FAIL();
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'64 MeB'"), std::string::npos);
    EXPECT_NE(message.find("unknown unit 'MeB'"), std::string::npos);
    EXPECT_NE(message.find("MiB"), std::string::npos);
    EXPECT_NE(message.find("GB"), std::string::npos);
  }
  try {
    parse_bytes("-8");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("negative"), std::string::npos);
  }
}

TEST(parse_duration_s, single_units) {
  EXPECT_DOUBLE_EQ(parse_duration_s("30s"), 30);
  EXPECT_DOUBLE_EQ(parse_duration_s("10m"), 600);
  EXPECT_DOUBLE_EQ(parse_duration_s("10min"), 600);
  EXPECT_DOUBLE_EQ(parse_duration_s("1h"), 3600);
  EXPECT_DOUBLE_EQ(parse_duration_s("500ms"), 0.5);
  EXPECT_DOUBLE_EQ(parse_duration_s("250us"), 250e-6);
  EXPECT_DOUBLE_EQ(parse_duration_s("100ns"), 100e-9);
  EXPECT_DOUBLE_EQ(parse_duration_s("1.5h"), 5400);
  EXPECT_DOUBLE_EQ(parse_duration_s("30 s"), 30);
  EXPECT_DOUBLE_EQ(parse_duration_s("30S"), 30);
}

TEST(parse_duration_s, bare_numbers_are_seconds) {
  EXPECT_DOUBLE_EQ(parse_duration_s("2.5"), 2.5);
  EXPECT_DOUBLE_EQ(parse_duration_s("0"), 0);
  EXPECT_DOUBLE_EQ(parse_duration_s("1e2"), 100);
}

TEST(parse_duration_s, compound_durations_add_up) {
  EXPECT_DOUBLE_EQ(parse_duration_s("1m30s"), 90);
  EXPECT_DOUBLE_EQ(parse_duration_s("1h30m"), 5400);
  EXPECT_DOUBLE_EQ(parse_duration_s("2s500ms"), 2.5);
  EXPECT_DOUBLE_EQ(parse_duration_s("1h 2m 3s"), 3723);
}

TEST(parse_duration_s, negatives_garbage_and_unknown_units_are_rejected) {
  for (const char* text :
       {"-1", "-5s", "", "s", "soon", "10x", "10 minutes", "1m30", "inf", "nan", "1d", "0x10s"})
    EXPECT_THROW(parse_duration_s(text), std::invalid_argument) << text;
}

TEST(parse_duration_s, error_message_quotes_the_text_and_lists_units) {
  try {
    parse_duration_s("10x");
    FAIL();
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'10x'"), std::string::npos);
    EXPECT_NE(message.find("ms, s, m"), std::string::npos);
  }
}

TEST(format_bytes, exact_binary_units_when_divisible) {
  EXPECT_EQ(format_bytes(65536), "64KiB");
  EXPECT_EQ(format_bytes(8589934592ull), "8GiB");
  EXPECT_EQ(format_bytes(1024), "1KiB");
  EXPECT_EQ(format_bytes(3 * MiB), "3MiB");
  EXPECT_EQ(format_bytes(5 * TiB), "5TiB");
  EXPECT_EQ(format_bytes(1536 * MiB), "1536MiB");
  EXPECT_EQ(format_bytes(1ull << 60), "1EiB");
}

TEST(format_bytes, plain_bytes_otherwise) {
  EXPECT_EQ(format_bytes(0), "0B");
  EXPECT_EQ(format_bytes(8), "8B");
  EXPECT_EQ(format_bytes(1000), "1000B");
  EXPECT_EQ(format_bytes(1536), "1536B");
  EXPECT_EQ(format_bytes(1000000000), "1000000000B");
}

TEST(format_bytes, parses_back_to_the_same_size) {
  for (const std::uint64_t bytes :
       std::vector<std::uint64_t>{0, 1, 1000, 4096, 1536 * MiB, 8 * GiB, 123456789, ~std::uint64_t{0}})
    EXPECT_EQ(parse_bytes(format_bytes(bytes)), bytes) << bytes;
}

}  // namespace
}  // namespace exacheck
