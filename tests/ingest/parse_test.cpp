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

// -- regressions from the adversarial run against the ingest endpoints ---------------------

/// `{"k0":0,"k1":0,...}` with `n` distinct keys, then `tail` (e.g. a repeated key).
std::string object_with_keys(std::size_t n, const std::string& tail = {}) {
  std::string out = "{";
  for (std::size_t i = 0; i < n; ++i)
    out += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
  out += tail + "}";
  return out;
}

TEST(parse_unknown_fields, an_unknown_object_may_hold_at_most_1000_keys) {
  // 150,000 keys took 24 s of CPU (a linear search per key) and were accepted.
  const auto big = object_with_keys(150'000);
  expect_rejected(payload_format::alertmanager,
                  R"({"alerts":[{"labels":{"a":"b"},"x":)" + big + "}]}", "x: more than 1000 keys");
  expect_rejected(payload_format::v2_alerts, R"([{"labels":{"a":"b"},"x":)" + big + "}]",
                  "x: more than 1000 keys");
  expect_rejected(payload_format::alertmanager, R"({"alerts":[],"x":)" + big + "}",
                  "x: more than 1000 keys");
  expect_rejected(payload_format::alertmanager,
                  R"({"alerts":[{"labels":{"a":"b"},"x":{"y":[)" + big + "]}}]}",
                  "x.y: more than 1000 keys");
  // Exactly 1000 is fine, in any order.
  EXPECT_TRUE(
    parse(payload_format::v2_alerts, R"([{"labels":{"a":"b"},"x":)" + object_with_keys(1000) + "}]")
      .ok());
}

TEST(parse_unknown_fields, a_repeated_key_among_many_is_found) {
  // The repeat comes last, after 999 others (keys do not arrive sorted: k10 < k2).
  expect_rejected(payload_format::v2_alerts,
                  R"([{"labels":{"a":"b"},"x":)" + object_with_keys(999, R"(,"k517":1)") + "}]",
                  "x.k517: duplicate key");
  expect_rejected(payload_format::alertmanager,
                  R"({"alerts":[],"x":)" + object_with_keys(999, R"(,"k0":1)") + "}",
                  "x.k0: duplicate key");
  // Equal keys in different objects are not repeats.
  EXPECT_TRUE(
    parse(payload_format::v2_alerts, R"([{"labels":{"a":"b"},"x":{"k":{"k":1},"j":{"k":2}}}])")
      .ok());
}

TEST(parse_unknown_fields, an_alert_or_webhook_may_have_at_most_1000_fields) {
  std::string fields;
  for (int i = 0; i < 1001; ++i)
    fields += ",\"f" + std::to_string(i) + "\":0";
  expect_rejected(payload_format::v2_alerts, R"([{"labels":{"a":"b"})" + fields + "}]",
                  "more than 1000 fields");
  expect_rejected(payload_format::alertmanager, R"({"alerts":[])" + fields + "}",
                  "more than 1000 fields");
}

TEST(parse_unknown_fields, a_repeated_unknown_alert_field_is_refused) {
  expect_rejected(payload_format::v2_alerts, R"([{"labels":{"a":"b"},"x":1,"x":2}])",
                  "x: duplicate key");
  expect_rejected(payload_format::alertmanager, R"({"alerts":[{"labels":{"a":"b"},"x":1,"x":2}]})",
                  "x: duplicate key");
  expect_rejected(payload_format::alertmanager, R"({"alerts":[],"x":1,"x":2})", "x: duplicate key");
}

TEST(parse_unknown_fields, a_broken_literal_is_a_named_error_not_an_exception) {
  // `nul` & co. used to throw out of the parser (the server answered 500 "internal").
  for (std::string lit : {"n", "nu", "nul", "nulll", "nan", "nil", "tru", "fals", "nullx"}) {
    SCOPED_TRACE(lit);
    expect_rejected(payload_format::v2_alerts, R"([{"labels":{"a":"b"},"x":)" + lit + "}]",
                    "x: invalid literal");
    expect_rejected(payload_format::alertmanager,
                    R"({"alerts":[{"labels":{"a":"b"},"x":)" + lit + "}]}", "x: invalid literal");
    expect_rejected(payload_format::alertmanager, R"({"alerts":[],"y":[)" + lit + "]}",
                    "y: invalid literal");
  }
  EXPECT_TRUE(
    parse(payload_format::v2_alerts, R"([{"labels":{"a":"b"},"x":null,"y":[true]}])").ok());
}

TEST(parse_times, the_epoch_is_refused_not_taken_for_unset) {
  // 1970-01-01T00:00:00Z was stored as "no time given" (the receive time), silently.
  expect_rejected(payload_format::events, R"({"type":"alert","timestamp":"1970-01-01T00:00:00Z"})",
                  "timestamp: must be after 1970-01-01T00:00:00Z");
  expect_rejected(payload_format::events,
                  R"({"type":"alert","timestamp":"1970-01-01T01:00:00+01:00"})",
                  "timestamp: must be after 1970-01-01T00:00:00Z");
  expect_rejected(payload_format::events, R"({"type":"alert","timestamp":"1969-12-31T23:59:59Z"})",
                  "timestamp: must be after");
  expect_rejected(payload_format::events, R"({"type":"alert","ends_at":"1970-01-01T00:00:00Z"})",
                  "ends_at: must be after");
  expect_rejected(payload_format::v2_alerts,
                  R"([{"labels":{"a":"b"},"startsAt":"1970-01-01T00:00:00.000Z"}])",
                  "startsAt: must be after");
  expect_rejected(payload_format::alertmanager,
                  R"({"alerts":[{"labels":{"a":"b"},"endsAt":"1970-01-01T00:00:00Z"}]})",
                  "endsAt: must be after");
  // One nanosecond later is a time like any other, and Go's zero time still means "unset".
  auto r = parse(payload_format::events,
                 R"({"type":"alert","timestamp":"1970-01-01T00:00:00.000000001Z"})");
  ASSERT_TRUE(r.ok()) << first_error(r);
  EXPECT_EQ(model::to_unix_nanos(r.events[0].starts_at), 1);
  r = parse(payload_format::alertmanager,
            R"({"alerts":[{"status":"firing","labels":{"a":"b"},"startsAt":"0001-01-01T00:00:00Z",
                "endsAt":"0001-01-01T00:00:00Z"}]})");
  ASSERT_TRUE(r.ok()) << first_error(r);
  EXPECT_EQ(model::to_unix_nanos(r.events[0].starts_at), 0);
  EXPECT_EQ(model::to_unix_nanos(r.events[0].ends_at), 0);
  EXPECT_EQ(r.events[0].status, event_status::firing);
}

TEST(parse_labels, keys_are_names) {
  for (std::string key : {"\\u0001", "a\\u001b[31m", "a\\nb", "a\\u0000b", "a b", "1abc", "-a",
                          ".a", "a=b", "a\\\"b", "caf\\u00e9", "a\\u0085b", "a\\tb"}) {
    SCOPED_TRACE(key);
    expect_rejected(payload_format::events, R"({"type":"alert","labels":{")" + key + R"(":"v"}})",
                    "invalid key");
    expect_rejected(payload_format::v2_alerts, R"([{"labels":{")" + key + R"(":"v"}}])",
                    "invalid key");
    expect_rejected(payload_format::alertmanager,
                    R"({"alerts":[{"labels":{"a":"b"},"annotations":{")" + key + R"(":"v"}}]})",
                    "annotations");
    expect_rejected(payload_format::alertmanager,
                    R"({"alerts":[],"commonLabels":{")" + key + R"(":"v"}})", "invalid key");
  }
  // Prometheus' names, plus dots, dashes and slashes (Kubernetes, OpenTelemetry).
  auto r = parse(payload_format::events, R"({"type":"alert","labels":{"alertname":"A","_x":"1",
    "app.kubernetes.io/name":"web","http.status-code":"500","Z9":"z"}})");
  ASSERT_TRUE(r.ok()) << first_error(r);
  EXPECT_EQ(*r.events[0].labels.find("app.kubernetes.io/name"), "web");
}

TEST(parse_labels, the_error_names_the_label) {
  auto r = parse(payload_format::events, R"({"type":"alert","labels":{"ok":"1","bad\u0001":"v"}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors[0].field, "labels.bad\x01");
  EXPECT_NE(r.errors[0].reason.find("letters, digits"), std::string::npos) << r.errors[0].reason;
}

TEST(parse_labels, values_hold_no_nul_and_no_control_characters) {
  // A NUL cut an exec argument short: `safe\u0000--evil` arrived as `safe`.
  expect_rejected(payload_format::events,
                  R"({"type":"alert","labels":{"service":"safe\u0000--evil"}})",
                  "labels.service: control character U+0000 at byte 4");
  expect_rejected(payload_format::v2_alerts, R"([{"labels":{"a":"\u001b[2J"}}])",
                  "labels.a: control character U+001B");
  expect_rejected(payload_format::v2_alerts, R"([{"labels":{"a":"x\ny"}}])",
                  "labels.a: control character U+000A");
  expect_rejected(payload_format::v2_alerts, R"([{"labels":{"a":"\u007f"}}])", "U+007F");
  expect_rejected(payload_format::v2_alerts, R"([{"labels":{"a":"\u009b31m"}}])", "U+009B");
  expect_rejected(payload_format::alertmanager,
                  R"({"alerts":[{"labels":{"a":"b"},"annotations":{"d":"x\u0000"}}]})",
                  "annotations.d: control character U+0000");
  expect_rejected(payload_format::alertmanager,
                  R"({"alerts":[{"labels":{"a":"b"},"annotations":{"d":"\u0007"}}]})",
                  "annotations.d: control character U+0007");
  expect_rejected(payload_format::events, R"({"type":"alert","id":"a\u0000b"})",
                  "id: control character U+0000");
  expect_rejected(payload_format::events, R"({"type":"alert","severity":"\u001b[1m"})",
                  "severity: control character");
  // Tabs in labels; tabs, newlines and carriage returns in annotations (descriptions); any
  // other UTF-8.
  auto r =
    parse(payload_format::v2_alerts, R"([{"labels":{"a":"x\ty","b":"caf\u00e9 \u2603 \ud83d\ude00"},
    "annotations":{"description":"line 1\r\nline 2\n\tindented"}}])");
  ASSERT_TRUE(r.ok()) << first_error(r);
  EXPECT_EQ(*r.events[0].annotations.find("description"), "line 1\r\nline 2\n\tindented");
  EXPECT_EQ(*r.events[0].labels.find("b"), "caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80");
}

TEST(parse_alertmanager, an_empty_status_is_refused) {
  // "" was taken as firing.
  expect_rejected(payload_format::alertmanager, R"({"alerts":[{"status":"","labels":{"a":"b"}}]})",
                  "status: must be firing or resolved");
  expect_rejected(payload_format::alertmanager,
                  R"({"alerts":[{"status":"Firing","labels":{"a":"b"}}]})",
                  "status: must be firing or resolved");
}

TEST(parse, body_without_padding_is_handled) {
  std::string body = R"({"type":"alert"})";
  body.shrink_to_fit();
  auto r = parse_payload(payload_format::events, body, now);
  EXPECT_TRUE(r.ok());
}

} // namespace
} // namespace vigil::ingest
