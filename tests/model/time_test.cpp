#include "runtime/model/time.hpp"

#include <gtest/gtest.h>

namespace vigil::model {
namespace {

using namespace std::chrono_literals;

TEST(rfc3339, parses_utc_offsets_and_fractions) {
  auto t = parse_rfc3339("2024-05-01T12:00:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(to_unix_nanos(*t), 1714564800LL * 1'000'000'000);
  auto u = parse_rfc3339("2024-05-01T14:00:00.5+02:00");
  ASSERT_TRUE(u);
  EXPECT_EQ(to_unix_nanos(*u), 1714564800LL * 1'000'000'000 + 500'000'000);
  EXPECT_EQ(format_rfc3339(*u), "2024-05-01T12:00:00.500Z");
}

TEST(rfc3339, zero_time_means_unset) {
  auto t = parse_rfc3339("0001-01-01T00:00:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(to_unix_nanos(*t), 0);
}

TEST(rfc3339, rejects_malformed) {
  for (auto bad : {"", "2024-05-01", "2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z",
                   "2024-05-01T25:00:00Z", "2024-05-01T12:00:00", "2024-05-01T12:00:00Zjunk",
                   "2024-05-01T12:00:00.Z", "99999-01-01T00:00:00Z"})
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
}

TEST(duration, parses_units_and_combinations) {
  EXPECT_EQ(parse_duration("30s"), 30s);
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("5m"), 5min);
  EXPECT_EQ(parse_duration("1h30m"), 90min);
  EXPECT_EQ(parse_duration("7d"), std::chrono::milliseconds{7 * 86'400'000LL});
  EXPECT_EQ(parse_duration("600"), 600s);
  EXPECT_EQ(parse_duration("1.5s"), 1500ms);
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("abc"));
  EXPECT_FALSE(parse_duration("5x"));
  EXPECT_FALSE(parse_duration("1m30"));
  EXPECT_FALSE(parse_duration("-5s"));
  EXPECT_EQ(format_duration(90min), "1h30m");
  EXPECT_EQ(format_duration(250ms), "250ms");
}

} // namespace
} // namespace vigil::model
