#include "runtime/model/event.hpp"

#include <gtest/gtest.h>

namespace vigil::model {
namespace {

TEST(label_set, keeps_pairs_sorted_and_last_value_wins) {
  label_set s{{{"b", "2"}, {"a", "1"}, {"b", "3"}}};
  ASSERT_EQ(s.size(), 2U);
  EXPECT_EQ(s.begin()->first, "a");
  ASSERT_TRUE(s.find("b"));
  EXPECT_EQ(*s.find("b"), "3");
  EXPECT_FALSE(s.find("c"));
  s.set("c", "4");
  s.set("a", "5");
  EXPECT_EQ(*s.find("a"), "5");
  EXPECT_EQ(*s.find("c"), "4");
}

TEST(fingerprint, equal_for_equal_sets_in_any_order) {
  label_set x{
    {{"alertname", "HighMemoryUsage"}, {"instance", "server-01"}, {"severity", "warning"}}};
  label_set y{
    {{"severity", "warning"}, {"instance", "server-01"}, {"alertname", "HighMemoryUsage"}}};
  EXPECT_EQ(fingerprint_of(x), fingerprint_of(y));
}

TEST(label_set, copies_moves_and_compares) {
  label_set s;
  s.append("z", "1");
  s.append("a", "2");
  label_set copy = s;
  EXPECT_EQ(copy.sort(), "");
  EXPECT_EQ((*copy.begin()).first, "a");
  label_set moved = std::move(copy);
  EXPECT_EQ(*moved.find("z"), "1");
  label_set built{{{"a", "2"}, {"z", "1"}}};
  EXPECT_EQ(moved, built);
  built.set("m", "3");
  EXPECT_NE(moved, built);
  EXPECT_EQ(built.size(), 3U);
  std::string keys;
  for (const auto& [k, v] : built)
    keys += std::string{k} + "=" + std::string{v} + ";";
  EXPECT_EQ(keys, "a=2;m=3;z=1;");
  label_set odd;
  odd.set("k", "bad\xff");
  EXPECT_EQ(*odd.find("k"), "bad\xEF\xBF\xBD") << "0xff is stored as U+FFFD";
}

TEST(label_set, sort_reports_repeated_keys) {
  label_set s;
  s.append("b", "1");
  s.append("a", "2");
  EXPECT_EQ(s.sort(), "");
  EXPECT_EQ((*s.begin()).first, "a");
  s.append("a", "3");
  EXPECT_EQ(s.sort(), "a");
}

TEST(fingerprint, is_stable_across_versions) {
  // Fixed expectations: a change here breaks dedup keys of data already on disk.
  EXPECT_EQ(fingerprint_hex(fingerprint_of(label_set{})), "2d06800538d394c2");
  label_set s{{{"alertname", "HighMemoryUsage"}, {"instance", "server-01"}}};
  const auto fp = fingerprint_hex(fingerprint_of(s));
  EXPECT_EQ(fp.size(), 16U);
  EXPECT_EQ(fp, fingerprint_hex(fingerprint_of(s)));
  EXPECT_EQ(fp, "a93c815652d5b517") << "recompute only with a storage migration";
}

TEST(fingerprint, differs_when_a_value_moves_between_keys) {
  // The 0xff separators keep {"ab": "c"} and {"a": "bc"} apart.
  label_set x{{{"ab", "c"}}};
  label_set y{{{"a", "bc"}}};
  EXPECT_NE(fingerprint_of(x), fingerprint_of(y));
  label_set z{{{"a", "1"}, {"b", "2"}}};
  label_set w{{{"a", "2"}, {"b", "1"}}};
  EXPECT_NE(fingerprint_of(z), fingerprint_of(w));
}

TEST(fingerprint, hex_round_trips) {
  for (uint64_t v : {0ULL, 1ULL, 0xdeadbeefcafef00dULL, ~0ULL}) {
    auto hex = fingerprint_hex(v);
    ASSERT_EQ(hex.size(), 16U);
    EXPECT_EQ(parse_fingerprint(hex), v);
  }
  EXPECT_FALSE(parse_fingerprint("xyz"));
  EXPECT_FALSE(parse_fingerprint("000000000000000g"));
}

TEST(event, names_parse_and_print) {
  EXPECT_EQ(parse_event_type("alert"), event_type::alert);
  EXPECT_EQ(parse_event_type("metric"), event_type::metric);
  EXPECT_FALSE(parse_event_type("Alert"));
  EXPECT_EQ(to_string(event_status::resolved), "resolved");
  EXPECT_EQ(default_priority("critical"), priority::critical);
  EXPECT_EQ(default_priority("warning"), priority::normal);
  EXPECT_EQ(default_priority(""), priority::normal);
  EXPECT_EQ(derived_event_id(255), "ev-00000000000000ff");
}

} // namespace
} // namespace vigil::model
