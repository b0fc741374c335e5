#include "runtime/ingest/parse.hpp"

#include <gtest/gtest.h>

namespace vigil::ingest {
namespace {

using model::event_status;
using model::event_type;

const model::timestamp now = *model::parse_rfc3339("2024-05-01T12:00:00Z");

parse_result parse(payload_format f, std::string body) {
  return parse_payload(f, body, now);
}

/// The first error's field and reason, for compact assertions.
std::string first_error(const parse_result& r) {
  if (r.errors.empty())
    return "<no error>";
  return r.errors.front().field + ": " + r.errors.front().reason;
}

void expect_rejected(payload_format f, const std::string& body, const std::string& needle) {
  auto r = parse(f, body);
  EXPECT_FALSE(r.ok()) << body;
  EXPECT_TRUE(r.events.empty());
  EXPECT_NE(first_error(r).find(needle), std::string::npos)
    << "expected \"" << needle << "\" in \"" << first_error(r) << "\" for " << body.substr(0, 200);
}

// -- good bodies -------------------------------------------------------------------------

TEST(parse_events, single_alert_object) {
  auto r = parse(payload_format::events, R"({
    "type": "alert", "severity": "warning", "source": "prometheus",
    "labels": {"alertname": "HighMemoryUsage", "instance": "server-01", "severity": "warning"},
    "annotations": {"summary": "High memory usage detected"},
    "status": "firing", "timestamp": "2024-05-01T11:59:00Z", "id": "client-1"})");
  ASSERT_TRUE(r.ok()) << first_error(r);
  ASSERT_EQ(r.events.size(), 1U);
  const auto& e = r.events[0];
  EXPECT_EQ(e.type, event_type::alert);
  EXPECT_EQ(e.severity, "warning");
  EXPECT_EQ(e.source, "prometheus");
  EXPECT_EQ(*e.labels.find("instance"), "server-01");
  EXPECT_EQ(*e.annotations.find("summary"), "High memory usage detected");
  EXPECT_EQ(e.status, event_status::firing);
  EXPECT_EQ(model::format_rfc3339(e.starts_at), "2024-05-01T11:59:00.000Z");
  EXPECT_EQ(e.id, "client-1");
  EXPECT_TRUE(e.client_id);
  EXPECT_EQ(e.received_at, now);
  EXPECT_EQ(e.fingerprint, model::fingerprint_of(e.labels));
}

TEST(parse_events, metric_and_array_and_severity_from_labels) {
  auto r = parse(payload_format::events, R"([
    {"type": "metric", "source": "prometheus", "metric_name": "cpu_usage_percent", "value": 95,
     "labels": {"instance": "server-01"}},
    {"type": "event", "labels": {"severity": "critical", "b": "2", "a": "1"}}])");
  ASSERT_TRUE(r.ok()) << first_error(r);
  ASSERT_EQ(r.events.size(), 2U);
  EXPECT_EQ(r.events[0].metric_name, "cpu_usage_percent");
  EXPECT_EQ(r.events[0].value, 95.0);
  EXPECT_EQ(r.events[1].severity, "critical");
  EXPECT_EQ(r.events[1].priority, model::priority::critical);
  EXPECT_EQ(r.events[1].labels.begin()->first, "a"); // sorted
}

TEST(parse_events, ndjson_lines) {
  auto r = parse(payload_format::ndjson,
                 "{\"type\":\"alert\",\"labels\":{\"x\":\"1\"}}\n\n{\"type\":\"event\"}\r\n");
  ASSERT_TRUE(r.ok()) << first_error(r);
  ASSERT_EQ(r.events.size(), 2U);
  EXPECT_EQ(r.events[1].type, event_type::event);
}

TEST(parse_events, ndjson_error_names_the_line_index) {
  auto r = parse(payload_format::ndjson, "{\"type\":\"alert\"}\n{\"type\":\"bogus\"}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors[0].index, 1);
  EXPECT_EQ(r.errors[0].field, "type");
}

TEST(parse_alertmanager, webhook_version_4) {
  auto r = parse(payload_format::alertmanager, R"({
    "version": "4", "groupKey": "{}:{alertname=\"HighMemoryUsage\"}", "truncatedAlerts": 0,
    "status": "firing", "receiver": "vigil",
    "groupLabels": {"alertname": "HighMemoryUsage"},
    "commonLabels": {"alertname": "HighMemoryUsage"}, "commonAnnotations": {},
    "externalURL": "http://alertmanager:9093",
    "alerts": [
      {"status": "firing", "labels": {"alertname": "HighMemoryUsage", "instance": "web-1", "severity": "critical"},
       "annotations": {"summary": "memory"}, "startsAt": "2024-05-01T11:00:00.123Z",
       "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom/graph", "fingerprint": "c6bd7c6b2e1f3a2d"},
      {"status": "resolved", "labels": {"alertname": "HighMemoryUsage", "instance": "web-2"},
       "annotations": {}, "startsAt": "2024-05-01T10:00:00Z", "endsAt": "2024-05-01T11:30:00Z",
       "generatorURL": "", "fingerprint": "aaaa"}]})");
  ASSERT_TRUE(r.ok()) << first_error(r);
  ASSERT_EQ(r.events.size(), 2U);
  const auto& a = r.events[0];
  EXPECT_EQ(a.type, event_type::alert);
  EXPECT_EQ(a.source, "alertmanager");
  EXPECT_EQ(a.status, event_status::firing);
  EXPECT_EQ(model::to_unix_nanos(a.ends_at), 0) << "zero time means still firing";
  EXPECT_EQ(a.severity, "critical");
  EXPECT_EQ(a.generator_url, "http://prom/graph");
  EXPECT_EQ(r.events[1].status, event_status::resolved);
  EXPECT_EQ(model::format_rfc3339(r.events[1].ends_at), "2024-05-01T11:30:00.000Z");
}

TEST(parse_alertmanager, unknown_fields_from_newer_senders_are_ignored) {
  auto r = parse(
    payload_format::alertmanager,
    R"({"alerts":[{"labels":{"a":"1"},"silencedBy":[],"newThing":{"x":[1,2]}}],"future":true})");
  ASSERT_TRUE(r.ok()) << first_error(r);
  EXPECT_EQ(r.events.size(), 1U);
}

TEST(parse_v2_alerts, status_follows_ends_at) {
  auto r = parse(payload_format::v2_alerts, R"([
    {"labels": {"alertname": "A"}, "annotations": {}, "startsAt": "2024-05-01T11:00:00Z",
     "endsAt": "2024-05-01T12:05:00Z", "generatorURL": "http://prom"},
    {"labels": {"alertname": "B"}, "startsAt": "2024-05-01T11:00:00Z", "endsAt": "2024-05-01T11:59:00Z"},
    {"labels": {"alertname": "C"}}])");
  ASSERT_TRUE(r.ok()) << first_error(r);
  ASSERT_EQ(r.events.size(), 3U);
  EXPECT_EQ(r.events[0].status, event_status::firing) << "ends in the future";
  EXPECT_EQ(r.events[1].status, event_status::resolved) << "ended before now";
  EXPECT_EQ(r.events[2].status, event_status::firing);
  EXPECT_EQ(r.events[0].source, "prometheus");
}

// -- bad bodies: every class the ingest issue lists ------------------------------------------

TEST(parse_rejects, duplicate_keys) {
  expect_rejected(payload_format::events, R"({"type":"alert","type":"metric"})", "duplicate key");
  expect_rejected(payload_format::events, R"({"type":"alert","labels":{"a":"1","a":"2"}})",
                  "labels.a: duplicate key");
  expect_rejected(payload_format::alertmanager, R"({"alerts":[{"labels":{"x":"1"},"labels":{}}]})",
                  "duplicate key");
  expect_rejected(payload_format::alertmanager,
                  R"({"alerts":[{"labels":{"x":"1"},"extra":{"k":1,"k":2}}]})", "duplicate key");
}

TEST(parse_rejects, wrong_types) {
  expect_rejected(payload_format::events, R"({"type":"alert","labels":{"instance":5}})",
                  "labels.instance: expected a string");
  expect_rejected(payload_format::events, R"({"type":"alert","labels":[]})",
                  "labels: expected an object");
  expect_rejected(payload_format::events, R"({"type":1})", "type: expected a string");
  expect_rejected(payload_format::events, R"({"type":"metric","metric_name":"x","value":"high"})",
                  "value: expected a number");
  expect_rejected(payload_format::v2_alerts, R"({"labels":{}})", "expected an array");
  expect_rejected(payload_format::events, R"(42)", "");
}

TEST(parse_rejects, bad_values) {
  expect_rejected(payload_format::events, R"({"type":"page"})",
                  "type: must be alert, metric or event");
  expect_rejected(payload_format::events, R"({"type":"alert","status":"open"})", "status: must be");
  expect_rejected(payload_format::events, R"({"severity":"x"})", "type: required");
  expect_rejected(payload_format::events, R"({"type":"metric","metric_name":"x"})",
                  "value: required");
  expect_rejected(payload_format::events, R"({"type":"alert","timestamp":"yesterday"})",
                  "timestamp: not an RFC 3339 time");
  expect_rejected(payload_format::events, R"({"type":"alert","nope":1})", "nope: unknown field");
  expect_rejected(payload_format::alertmanager, R"({"version":"3","alerts":[]})",
                  "unsupported webhook version");
  expect_rejected(payload_format::alertmanager, R"({"receiver":"x"})", "alerts: required");
  expect_rejected(payload_format::v2_alerts, R"([{"annotations":{}}])", "labels: required");
}

TEST(parse_rejects, invalid_utf8) {
  expect_rejected(payload_format::events, "{\"type\":\"alert\",\"labels\":{\"a\":\"\xff\xfe\"}}",
                  "invalid UTF-8");
}

TEST(parse_rejects, nesting_deeper_than_32) {
  std::string deep;
  for (int i = 0; i < 40; ++i)
    deep += "[";
  for (int i = 0; i < 40; ++i)
    deep += "]";
  expect_rejected(payload_format::alertmanager, R"({"alerts":[{"labels":{},"x":)" + deep + "}]}",
                  "nested deeper");
  // 30 levels inside an ignored field are fine.
  std::string ok;
  for (int i = 0; i < 28; ++i)
    ok += "[";
  for (int i = 0; i < 28; ++i)
    ok += "]";
  EXPECT_TRUE(
    parse(payload_format::alertmanager, R"({"alerts":[{"labels":{},"x":)" + ok + "}]}").ok());
}

TEST(parse_rejects, more_than_64_labels) {
  std::string body = R"({"type":"alert","labels":{)";
  for (int i = 0; i < 65; ++i)
    body += (i ? "," : "") + std::string{"\"k"} + std::to_string(i) + "\":\"v\"";
  body += "}}";
  expect_rejected(payload_format::events, body, "more than 64 entries");
  // Exactly 64 is fine.
  std::string fine = R"({"type":"alert","labels":{)";
  for (int i = 0; i < 64; ++i)
    fine += (i ? "," : "") + std::string{"\"k"} + std::to_string(i) + "\":\"v\"";
  fine += "}}";
  EXPECT_TRUE(parse(payload_format::events, fine).ok());
}

TEST(parse_rejects, key_over_256_and_value_over_16k) {
  const std::string long_key(257, 'k');
  expect_rejected(payload_format::events,
                  R"({"type":"alert","labels":{")" + long_key + R"(":"v"}})",
                  "key longer than 256 bytes");
  const std::string long_value(16 * 1024 + 1, 'v');
  expect_rejected(payload_format::events,
                  R"({"type":"alert","annotations":{"d":")" + long_value + R"("}})",
                  "annotations.d: value longer than 16384 bytes");
  expect_rejected(payload_format::events, R"({"type":"alert","source":")" + long_value + R"("})",
                  "source: longer than 16384 bytes");
  expect_rejected(payload_format::events,
                  R"({"type":"alert","id":")" + std::string(257, 'i') + R"("})",
                  "id: must be 1 to 256 bytes");
}

TEST(parse_rejects, numbers_out_of_range) {
  expect_rejected(payload_format::events, R"({"type":"metric","metric_name":"x","value":1e400})",
                  "value: number");
  expect_rejected(payload_format::alertmanager,
                  R"({"truncatedAlerts":-1,"alerts":[{"labels":{}}]})", "truncatedAlerts");
}

TEST(parse_rejects, trailing_garbage_and_malformed) {
  expect_rejected(payload_format::events, R"({"type":"alert"} x)", "trailing content");
  expect_rejected(payload_format::events, R"({"type":"alert"}{"type":"alert"})",
                  "trailing content");
  expect_rejected(payload_format::events, R"({"type":"alert")", "");
  expect_rejected(payload_format::events, R"({"type":"alert",})", "");
  expect_rejected(payload_format::events, "", "empty body");
  expect_rejected(payload_format::events, "[]", "no events");
}

TEST(parse_rejects, whole_batch_when_one_event_is_bad) {
  auto r = parse(payload_format::events,
                 R"([{"type":"alert"},{"type":"alert","labels":{"a":1}},{"type":"event"}])");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.events.empty());
  EXPECT_EQ(r.errors[0].index, 1);
  EXPECT_EQ(r.errors[0].field, "labels.a");
}

TEST(parse_rejects, reports_several_problems) {
  auto r = parse(payload_format::events, R"([{"type":"x"},{"type":"y"},{"type":"z"}])");
  ASSERT_EQ(r.errors.size(), 3U);
  EXPECT_EQ(r.errors[2].index, 2);
  EXPECT_NE(summarize(r).find("3 problems"), std::string::npos);
}

TEST(parse, body_without_padding_is_handled) {
  std::string body = R"({"type":"alert"})";
  body.shrink_to_fit();
  auto r = parse_payload(payload_format::events, body, now);
  EXPECT_TRUE(r.ok());
}

} // namespace
} // namespace vigil::ingest
