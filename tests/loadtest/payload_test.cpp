// Generated bodies: valid JSON of each format, unique label sets, exact duplicates, resolves,
// and end-to-end tags.

#include <gtest/gtest.h>
#include <set>
#include <simdjson.h>
#include <string>

#include "bench/loadtest/payload.hpp"

namespace vigil::loadtest {
namespace {

payload_settings settings(payload_kind kind, uint32_t batch, double dups = 0, double resolved = 0) {
  payload_settings s;
  s.kind = kind;
  s.batch = batch;
  s.duplicates = dups;
  s.resolved = resolved;
  s.seed = 42;
  s.run_nonce = 0xabcdef01;
  s.starts_at = "2026-01-01T00:00:00Z";
  s.ended_at = "2026-01-01T00:00:59Z";
  return s;
}

/// The events of one body, each minified.
std::vector<std::string> events_of(payload_kind kind, const std::string& text) {
  simdjson::dom::parser parser;
  std::vector<std::string> out;
  auto add_array = [&](simdjson::dom::array arr) {
    for (auto e : arr)
      out.push_back(simdjson::minify(e));
  };
  if (kind == payload_kind::ndjson) {
    std::size_t start = 0;
    while (start < text.size()) {
      const auto nl = text.find('\n', start);
      simdjson::dom::element e;
      EXPECT_FALSE(parser.parse(text.substr(start, nl - start)).get(e)) << text;
      out.push_back(simdjson::minify(e));
      start = nl + 1;
    }
    return out;
  }
  simdjson::dom::element doc;
  EXPECT_FALSE(parser.parse(text).get(doc)) << text;
  if (kind == payload_kind::alertmanager) {
    EXPECT_EQ(std::string_view{doc["version"].get_string().value()}, "4");
    add_array(doc["alerts"].get_array().value());
  } else if (doc.is_array()) {
    add_array(doc.get_array().value());
  } else {
    out.push_back(simdjson::minify(doc));
  }
  return out;
}

TEST(payload, every_format_is_valid_json_with_unique_label_sets) {
  for (auto kind : {payload_kind::event, payload_kind::ndjson, payload_kind::alertmanager,
                    payload_kind::v2alerts}) {
    for (uint32_t batch : {1U, 7U}) {
      payload_factory f{settings(kind, batch)};
      std::set<std::string> ids;
      body b;
      for (uint64_t i = 0; i < 200; ++i) {
        f.build(i, b);
        auto events = events_of(kind, b.text);
        ASSERT_EQ(events.size(), batch) << to_string(kind) << ": " << b.text;
        EXPECT_EQ(b.events, batch);
        for (const auto& e : events) {
          simdjson::dom::parser p;
          auto doc = p.parse(e).value();
          const std::string id{doc["labels"]["loadtest_id"].get_string().value()};
          EXPECT_TRUE(ids.insert(id).second) << "repeated label set " << id;
          EXPECT_TRUE(f.decode_id(id).has_value()) << id;
          EXPECT_EQ(std::string_view{doc["labels"]["alertname"].get_string().value()},
                    plain_alertname);
        }
      }
    }
  }
}

TEST(payload, duplicates_repeat_earlier_events_exactly_and_resolves_follow_their_share) {
  for (auto kind : {payload_kind::event, payload_kind::alertmanager, payload_kind::v2alerts}) {
    payload_factory f{settings(kind, 5, 0.10, 0.05)};
    std::set<std::string> seen;
    body b;
    uint64_t dups = 0;
    uint64_t resolved = 0;
    uint64_t total = 0;
    uint64_t repeats = 0;
    for (uint64_t i = 0; i < 4000; ++i) {
      f.build(i, b);
      dups += b.duplicates;
      resolved += b.resolved;
      total += b.events;
      for (const auto& e : events_of(kind, b.text)) {
        // Two resolves of one alert are equal too; only duplicates are counted here.
        if (e.find("resolved") != std::string::npos || e.find("00:59Z") != std::string::npos)
          continue;
        if (!seen.insert(e).second)
          ++repeats;
      }
    }
    EXPECT_EQ(repeats, dups) << to_string(kind) << ": every duplicate is a byte-exact repeat";
    EXPECT_NEAR(static_cast<double>(dups) / static_cast<double>(total), 0.10, 0.01);
    EXPECT_NEAR(static_cast<double>(resolved) / static_cast<double>(total), 0.05, 0.01);
  }
}

TEST(payload, tags_every_nth_event_for_the_end_to_end_runbook) {
  auto s = settings(payload_kind::v2alerts, 10);
  s.tag_plan = {{0, 25}, {100, 5}};
  payload_factory f{s};
  body b;
  std::size_t tagged_before = 0;
  std::size_t tagged_after = 0;
  for (uint64_t i = 0; i < 200; ++i) {
    f.build(i, b);
    (i < 100 ? tagged_before : tagged_after) += b.tagged.size();
    for (auto slot : b.tagged)
      EXPECT_NE(b.text.find(f.event_id(i, slot) + "\""), std::string::npos);
  }
  EXPECT_EQ(tagged_before, 1000U / 25);
  EXPECT_EQ(tagged_after, 1000U / 5);
  f.build(0, b);
  EXPECT_NE(b.text.find(e2e_alertname), std::string::npos);
}

TEST(payload, ids_round_trip_and_other_runs_are_not_ours) {
  payload_factory f{settings(payload_kind::event, 1)};
  EXPECT_EQ(f.event_id(12345, 3), "abcdef01-12345-3");
  auto d = f.decode_id("abcdef01-12345-3");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->first, 12345U);
  EXPECT_EQ(d->second, 3U);
  for (const char* other :
       {"abcdef02-1-0", "abcdef01-1", "abcdef01-x-0", "ev-0000000000000001", "abcdef01-1-0-r", ""})
    EXPECT_FALSE(f.decode_id(other).has_value()) << other;
}

} // namespace
} // namespace vigil::loadtest
