#pragma once

// Checks that a report.json has every key `docs/loadtest.md` promises, with its type.

#include <gtest/gtest.h>
#include <simdjson.h>
#include <string>

namespace vigil::loadtest::test {

inline bool is_number(simdjson::dom::element e) {
  return e.is_double() || e.is_int64() || e.is_uint64();
}

/// Expects `obj[key]` to exist and satisfy `check`.
template <class Check>
void expect_key(simdjson::dom::object obj, const char* key, Check check, const char* what) {
  simdjson::dom::element e;
  ASSERT_FALSE(obj[key].get(e)) << "missing key " << key;
  EXPECT_TRUE(check(e)) << key << " should be " << what << ", is " << simdjson::minify(e);
}

inline void expect_latency(simdjson::dom::element e, bool nullable) {
  if (nullable && e.is_null())
    return;
  ASSERT_TRUE(e.is_object()) << simdjson::minify(e);
  auto obj = e.get_object().value();
  expect_key(
    obj, "count", [](auto v) { return v.is_uint64() || v.is_int64(); }, "an integer");
  for (const char* k :
       {"min_ms", "mean_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "p99_9_ms", "max_ms"})
    expect_key(obj, k, is_number, "a number");
  EXPECT_LE(obj["p50_ms"].get_double().value(), obj["p99_ms"].get_double().value());
  EXPECT_LE(obj["p99_ms"].get_double().value(), obj["max_ms"].get_double().value());
}

/// Parses `json` and checks the report's schema.
inline void expect_report_schema(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(json).get(doc)) << json;
  ASSERT_TRUE(doc.is_object());
  auto top = doc.get_object().value();
  auto is_string = [](simdjson::dom::element e) { return e.is_string(); };
  auto is_bool = [](simdjson::dom::element e) { return e.is_bool(); };
  auto is_object = [](simdjson::dom::element e) { return e.is_object(); };
  auto is_array = [](simdjson::dom::element e) { return e.is_array(); };
  auto is_count = [](simdjson::dom::element e) { return e.is_uint64() || e.is_int64(); };
  expect_key(top, "tool", is_string, "a string");
  expect_key(top, "format_version", is_count, "an integer");
  expect_key(top, "started_at", is_string, "a string");

  expect_key(top, "config", is_object, "an object");
  auto config = top["config"].get_object().value();
  for (const char* k : {"url", "target", "payload", "slo", "e2e", "sink"})
    expect_key(config, k, is_string, "a string");
  for (const char* k : {"batch", "connections", "threads", "seed"})
    expect_key(config, k, is_count, "an integer");
  for (const char* k :
       {"rate", "duration_s", "warmup_s", "duplicates", "resolved", "timeout_s", "e2e_rate"})
    expect_key(config, k, is_number, "a number");
  expect_key(config, "max_rate", is_bool, "a boolean");

  expect_key(top, "rates", is_object, "an object");
  auto rates = top["rates"].get_object().value();
  for (const char* k : {"target_events_per_s", "sent_events_per_s", "accepted_events_per_s",
                        "requests_per_s", "measured_s"})
    expect_key(rates, k, is_number, "a number");

  expect_key(top, "counts", is_object, "an object");
  auto counts = top["counts"].get_object().value();
  for (const char* k : {"requests", "ok_requests", "failed_requests", "events", "accepted_events",
                        "server_duplicates", "waited_for_connection"})
    expect_key(counts, k, is_count, "an integer");
  expect_key(top, "error_rate", is_number, "a number");
  expect_key(top, "errors_by_status", is_object, "an object");
  const simdjson::dom::object errors = top["errors_by_status"].get_object().value();
  for (auto field : errors)
    EXPECT_TRUE(is_count(field.value)) << field.key;

  expect_key(top, "latency", is_object, "an object");
  auto latency = top["latency"].get_object().value();
  expect_latency(latency["accept"].value(), false);
  expect_latency(latency["end_to_end"].value(), true);
  expect_latency(latency["dispatch_lag"].value(), false);

  expect_key(top, "end_to_end", is_object, "an object");
  auto e2e = top["end_to_end"].get_object().value();
  expect_key(e2e, "enabled", is_bool, "a boolean");
  expect_key(e2e, "measured", is_bool, "a boolean");
  for (const char* k : {"expected", "seen", "missing", "ignored_hits"})
    expect_key(e2e, k, is_count, "an integer");

  expect_key(top, "slo", is_object, "an object");
  auto slo = top["slo"].get_object().value();
  expect_key(slo, "met", is_bool, "a boolean");
  expect_key(slo, "verdicts", is_array, "an array");
  const simdjson::dom::array verdicts = slo["verdicts"].get_array().value();
  for (auto v : verdicts) {
    auto obj = v.get_object().value();
    for (const char* k : {"slo", "subject", "unit", "detail"})
      expect_key(obj, k, is_string, "a string");
    expect_key(obj, "met", is_bool, "a boolean");
    expect_key(
      obj, "observed", [](auto e) { return e.is_null() || is_number(e); }, "a number or null");
  }
  expect_key(
    top, "max_rate", [](auto e) { return e.is_null() || e.is_object(); }, "an object or null");

  expect_key(top, "windows", is_array, "an array");
  const simdjson::dom::array windows = top["windows"].get_array().value();
  for (auto w : windows) {
    auto obj = w.get_object().value();
    expect_key(obj, "t_s", is_number, "a number");
    expect_key(obj, "target_events_per_s", is_number, "a number");
    expect_key(obj, "requests", is_count, "an integer");
    expect_key(obj, "errors", is_count, "an integer");
    expect_latency(obj["accept"].value(), true);
    expect_latency(obj["end_to_end"].value(), true);
  }

  expect_key(top, "server", is_object, "an object");
  auto server = top["server"].get_object().value();
  simdjson::dom::element ignored;
  EXPECT_FALSE(server["metrics_before"].get(ignored)) << "metrics_before: JSON or null";
  EXPECT_FALSE(server["metrics_after"].get(ignored)) << "metrics_after: JSON or null";
  expect_key(
    server, "ingest_to_trigger", [](auto e) { return e.is_null() || e.is_object(); },
    "an object or null");
  expect_key(top, "notes", is_array, "an array");
}

} // namespace vigil::loadtest::test
