// The ingest and event-read endpoints over real HTTP, against an in-process Vigil with its own
// RocksDB in a temp dir.

#include <gtest/gtest.h>
#include <thread>

#include "runtime/app/application.hpp"
#include "runtime/model/errc.hpp"
#include "storage/database.hpp"
#include "storage/event_log.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil {
namespace {

using namespace std::chrono_literals;

const std::string alert_event = R"({"type":"alert","severity":"warning","source":"prometheus",
  "labels":{"alertname":"HighMemoryUsage","instance":"server-01","severity":"warning"},
  "annotations":{"summary":"High memory usage detected"}})";

const std::string webhook = R"({"version":"4","status":"firing","receiver":"vigil","groupKey":"g",
  "truncatedAlerts":0,"groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am",
  "alerts":[
   {"status":"firing","labels":{"alertname":"HighCPU","instance":"web-1"},"annotations":{},
    "startsAt":"2024-05-01T11:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://p","fingerprint":"1"},
   {"status":"firing","labels":{"alertname":"HighCPU","instance":"web-2"},"annotations":{},
    "startsAt":"2024-05-01T11:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://p","fingerprint":"2"}]})";

const std::string v2_alerts = R"([
  {"labels":{"alertname":"DiskFull","instance":"db-1"},"annotations":{"summary":"disk"},
   "startsAt":"2024-05-01T11:00:00Z","endsAt":"2099-01-01T00:00:00Z","generatorURL":"http://p"},
  {"labels":{"alertname":"DiskFull","instance":"db-2"},"startsAt":"2024-05-01T11:00:00Z"},
  {"labels":{"alertname":"DiskFull","instance":"db-3"},"startsAt":"2024-05-01T11:00:00Z"}])";

/// Counts occurrences of `needle`.
std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

class event_routes_test : public ::testing::Test {
protected:
  void start() {
    model::config defaults;
    start(std::move(defaults));
  }

  void start(model::config cfg) {
    cfg.server.listen = {"127.0.0.1", 0};
    cfg.storage.path = dir_.file("data");
    auto app = app::application::start(std::move(cfg));
    ASSERT_TRUE(app) << describe(app.error());
    app_ = std::move(*app);
    client_ = std::make_unique<test::http_client>(app_->port());
  }

  /// Number of events the log holds, through the API.
  std::size_t stored() {
    auto r = client_->get("/api/events?limit=10000");
    EXPECT_EQ(r.status, 200) << r.body;
    return count(r.body, "\"seq\":");
  }

  test::temp_dir dir_;
  std::unique_ptr<app::application> app_;
  std::unique_ptr<test::http_client> client_;
};

TEST_F(event_routes_test, all_three_formats_are_accepted_and_resends_are_duplicates) {
  start();
  struct body {
    std::string path, content, type;
    int events;
  };
  const std::vector<body> bodies = {
    {"/api/events", alert_event, "application/json", 1},
    {"/api/events", "[" + alert_event + R"(,{"type":"event","labels":{"k":"v"}}])",
     "application/json", 2},
    {"/api/events",
     R"({"type":"event","labels":{"n":"1"}})"
     "\n"
     R"({"type":"event","labels":{"n":"2"}})"
     "\n",
     "application/x-ndjson", 2},
    {"/api/v1/alertmanager", webhook, "application/json", 2},
    {"/api/v2/alerts", v2_alerts, "application/json", 3},
  };
  for (const auto& b : bodies) {
    auto first = client_->post(b.path, b.content, b.type);
    ASSERT_EQ(first.status, 202) << b.path << ": " << first.body;
    EXPECT_EQ(count(first.body, "\"ev-"), static_cast<std::size_t>(b.events)) << first.body;
    auto again = client_->post(b.path, b.content, b.type);
    ASSERT_EQ(again.status, 202) << again.body;
    EXPECT_EQ(again.body, first.body.substr(0, first.body.find("\"accepted\""))
                            + "\"accepted\":0,\"duplicates\":" + std::to_string(b.events)
                            + first.body.substr(first.body.find(",\"ids\"")))
      << "the same ids come back as duplicates";
  }
  // The second body repeats the first event: 1 + 1 new + 2 + 2 + 3.
  EXPECT_EQ(stored(), 9U);
  auto recent = client_->get("/api/events/recent?limit=2");
  ASSERT_EQ(recent.status, 200);
  EXPECT_EQ(count(recent.body, "\"seq\":"), 2U);
  EXPECT_NE(recent.body.find("\"seq\":9"), std::string::npos) << "newest first: " << recent.body;
  EXPECT_NE(recent.body.find("\"timestamp\":"), std::string::npos);
}

TEST_F(event_routes_test, bad_bodies_are_rejected_and_store_nothing) {
  model::config cfg;
  cfg.server.max_body_bytes = 4096;
  start(cfg);
  ASSERT_EQ(client_->post("/api/events", alert_event).status, 202);
  const auto before = stored();
  struct bad {
    std::string path, content, type;
    int status;
    std::string needle;
  };
  const std::vector<bad> cases = {
    {"/api/events", R"({"type":"alert","labels":{"instance":5}})", "application/json", 400,
     R"("details":[{"index":0,"field":"labels.instance","reason":"expected a string"}])"},
    {"/api/events", R"([{"type":"event"},{"type":"alert","type":"x"}])", "application/json", 400,
     R"("index":1,"field":"type","reason":"duplicate key")"},
    {"/api/events", "{\"type\":\"alert\",\"source\":\"\xc3\x28\"}", "application/json", 400,
     "invalid UTF-8"},
    {"/api/events", R"({"type":"alert"} garbage)", "application/json", 400, "trailing content"},
    {"/api/v1/alertmanager", R"({"alerts":[{"labels":{"a":"1"},"startsAt":"soon"}]})",
     "application/json", 400, "startsAt"},
    {"/api/v2/alerts", R"([{"labels":{"a":"1"}}, 7])", "application/json", 400,
     "expected an alert object"},
    {"/api/events", std::string(5000, ' '), "application/json", 413, "payload_too_large"},
    {"/api/events", alert_event, "text/plain", 415, "unsupported_media_type"},
    {"/api/v2/alerts", v2_alerts, "application/x-www-form-urlencoded", 415,
     "unsupported_media_type"},
  };
  for (const auto& c : cases) {
    auto r = client_->post(c.path, c.content, c.type);
    EXPECT_EQ(r.status, c.status) << c.path << " " << c.content.substr(0, 80) << " -> " << r.body;
    EXPECT_NE(r.body.find(c.needle), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\"error\":"), std::string::npos);
    EXPECT_EQ(r.header("content-type"), "application/json");
  }
  EXPECT_EQ(stored(), before) << "nothing of a rejected request is stored";
}

TEST_F(event_routes_test, full_queue_answers_429_with_retry_after_and_stores_nothing) {
  model::config cfg;
  cfg.engine.event_processing.queue_size = 5;
  start(cfg);
  std::string six = "[";
  for (int i = 0; i < 6; ++i)
    six += (i ? "," : "") + std::string{R"({"type":"event","labels":{"i":")"} + std::to_string(i)
           + "\"}}";
  six += "]";
  auto r = client_->post("/api/events", six);
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.header("retry-after"), "1");
  EXPECT_NE(r.body.find("\"error\":\"overloaded\""), std::string::npos);
  EXPECT_EQ(stored(), 0U);
}

TEST_F(event_routes_test, event_queries_filter_and_validate_parameters) {
  start();
  ASSERT_EQ(client_->post("/api/events", alert_event).status, 202);
  ASSERT_EQ(
    client_
      ->post("/api/events", R"({"type":"metric","metric_name":"cpu_usage_percent","value":95,
    "labels":{"instance":"server-01"}})")
      .status,
    202);
  ASSERT_EQ(
    client_
      ->post("/api/events", R"({"type":"alert","status":"resolved","labels":{"alertname":"X"}})")
      .status,
    202);
  auto alerts = client_->get("/api/events?type=alert");
  EXPECT_EQ(count(alerts.body, "\"seq\":"), 2U);
  auto resolved = client_->get("/api/events?type=alert&status=resolved&since=1h");
  EXPECT_EQ(count(resolved.body, "\"seq\":"), 1U);
  auto metric = client_->get("/api/events?type=metric&limit=5");
  EXPECT_NE(metric.body.find("\"metric_name\":\"cpu_usage_percent\",\"value\":95"),
            std::string::npos)
    << metric.body;
  for (auto bad : {"/api/events?type=page", "/api/events?limit=0", "/api/events?limit=abc",
                   "/api/events?since=yesterday", "/api/events?colour=red",
                   "/api/events/recent?limit=100000"}) {
    auto r = client_->get(bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_NE(r.body.find("invalid_parameter"), std::string::npos) << r.body;
  }
}

TEST_F(event_routes_test, events_accepted_before_a_restart_are_dispatched_after_it) {
  // Events that were acknowledged but never dispatched (as after a crash).
  {
    auto db = storage::database::open({dir_.file("data")});
    ASSERT_TRUE(db);
    auto log =
      storage::event_log::open(**db, model::clock::system(), model::sync_policy::batch, 24h);
    ASSERT_TRUE(log);
    std::vector<model::event> events;
    for (int i = 0; i < 3; ++i) {
      model::event e;
      e.type = model::event_type::event;
      e.labels.set("i", std::to_string(i));
      e.fingerprint = model::fingerprint_of(e.labels);
      e.received_at = model::clock::system().now();
      events.push_back(std::move(e));
    }
    ASSERT_EQ((*log)->append_sync(std::move(events)).accepted.size(), 3U);
  }
  start();
  // Dispatch is asynchronous: wait for it, bounded.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  std::string body;
  while (std::chrono::steady_clock::now() < deadline) {
    body = client_->get("/api/events?state=dispatched").body;
    if (count(body, "\"seq\":") == 3)
      break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(count(body, "\"seq\":"), 3U) << body;
  EXPECT_EQ(count(client_->get("/api/events?state=accepted").body, "\"seq\":"), 0U);
}

} // namespace
} // namespace vigil
