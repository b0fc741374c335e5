// `/metrics`, `/api/metrics` and friends on a real `vigil serve` after real traffic: the
// Prometheus exposition passes `promtool check metrics` and counts what happened; the JSON
// summary carries the operations runbook's fields.

#include <cstdio>
#include <filesystem>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <thread>

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil {
namespace {

using namespace std::chrono_literals;

/// The value of the sample line that starts with `series ` (-1 when absent).
double sample(const std::string& exposition, const std::string& series) {
  const auto at = exposition.find("\n" + series + " ");
  if (at == std::string::npos)
    return -1;
  return std::stod(exposition.substr(at + series.size() + 2));
}

class metrics_test : public ::testing::Test {
protected:
  metrics_test() {
    std::filesystem::create_directories(dir.file("runbooks"));
    test::write_file(dir.file("runbooks/cpu.yaml"), R"(name: cpu-high
description: notes a hot CPU
category: remediation
triggers:
  - type: alert
    labels: {alertname: HighCPU}
steps:
  - name: note
    action: log
    message: "hot {{ labels.instance }}"
)");
    test::write_file(dir.file("runbooks/broken.yaml"), R"(name: always-fails
category: remediation
triggers:
  - type: alert
    labels: {alertname: Broken}
steps:
  - name: fail
    action: exec
    command: ["false"]
)");
    test::write_file(dir.file("vigil.yaml"),
                     "runbooks: {repository: " + dir.file("runbooks")
                       + "}\n"
                         "integrations:\n"
                         "  pagerduty: {type: pagerduty, url: 'http://127.0.0.1:9', routing_key: "
                         "rk-do-not-show}\n");
  }

  test::temp_dir dir;
};

TEST_F(metrics_test, exposition_passes_promtool_and_counts_the_traffic) {
  test::vigil_server server{dir.file("data"), dir.file("vigil.yaml")};
  test::http_client client{server.port()};
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(
      client
        .post("/api/events", R"({"type":"alert","labels":{"alertname":"HighCPU","instance":"h)"
                               + std::to_string(i) + R"("}})")
        .status,
      202);
  ASSERT_EQ(
    client.post("/api/events", R"({"type":"alert","labels":{"alertname":"Broken"}})").status, 202);
  ASSERT_EQ(client.post("/api/events", R"({"type":"nope"})").status, 400);
  test::wait_for_body(client, "/api/workflows?runbook=always-fails", R"("status":"failed")");
  test::wait_for_body(client, "/metrics",
                      R"(vigil_workflows_finished_total{runbook="cpu-high",status="completed"} 3)");

  const auto text = client.get("/metrics");
  ASSERT_EQ(text.status, 200);
  EXPECT_NE(text.header("content-type").find("text/plain"), std::string::npos);
  const auto& m = text.body;
  EXPECT_EQ(sample(m, R"(vigil_events_received_total{endpoint="/api/events"})"), 4);
  EXPECT_EQ(sample(m, R"(vigil_events_accepted_total{type="alert"})"), 4);
  EXPECT_EQ(sample(m, R"(vigil_events_rejected_total{reason="invalid"})"), 1);
  EXPECT_EQ(sample(m, R"(vigil_workflows_started_total{runbook="cpu-high"})"), 3);
  EXPECT_EQ(sample(m, R"(vigil_workflows_finished_total{runbook="always-fails",status="failed"})"),
            1);
  EXPECT_EQ(sample(m, "vigil_ingest_to_trigger_seconds_count"), 4);
  EXPECT_EQ(sample(m, R"(vigil_recovery_actions_total{strategy="fail",outcome="failed"})"), 1);
  EXPECT_GE(sample(m, R"(vigil_storage_write_seconds_count{store="event_log"})"), 1);
  EXPECT_EQ(sample(m, R"(vigil_storage_memory_limit_bytes{kind="cache"})"), 64 << 20);
  EXPECT_EQ(sample(m, R"(vigil_storage_memory_limit_bytes{kind="memtables"})"), 128 << 20);
  EXPECT_GT(sample(m, R"(vigil_storage_memory_bytes{kind="memtables"})"), 0);
  EXPECT_GE(sample(m, R"(vigil_storage_memory_bytes{kind="cache"})"), 0);
  EXPECT_EQ(sample(m, R"(vigil_circuit_breaker_state{integration="pagerduty"})"), 0);
  EXPECT_GT(sample(m, "process_resident_memory_bytes"), 0);
  EXPECT_EQ(m.find("rk-do-not-show"), std::string::npos);

  // promtool is part of the setup; without it this half cannot run, and says so.
  if (std::system("command -v promtool >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "promtool is not installed (scripts/setup.sh installs it)";
  const auto file = dir.file("metrics.txt");
  test::write_file(file, m);
  const auto out = dir.file("promtool.out");
  const int rc = std::system(("promtool check metrics < " + file + " > " + out + " 2>&1").c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 0) << test::read_file(out);
  EXPECT_EQ(test::read_file(out), "") << "promtool found problems";
}

TEST_F(metrics_test, json_summary_history_and_runbook_performance) {
  test::vigil_server server{dir.file("data"), dir.file("vigil.yaml")};
  test::http_client client{server.port()};
  ASSERT_EQ(
    client.post("/api/events", R"({"type":"alert","labels":{"alertname":"HighCPU"}})").status, 202);
  ASSERT_EQ(
    client.post("/api/events", R"({"type":"alert","labels":{"alertname":"Broken"}})").status, 202);
  test::wait_for_body(client, "/api/workflows?runbook=always-fails", R"("status":"failed")");
  test::wait_for_body(client, "/api/workflows?runbook=cpu-high", R"("status":"completed")");

  const auto s = client.get("/api/metrics");
  ASSERT_EQ(s.status, 200);
  for (const char* field :
       {"\"event_queue_depth\":0", "\"events_per_minute\":", "\"events_processed_per_second\":",
        "\"ingestion_rate\":", "\"processing_rate\":", "\"event_types\":{\"alert\":2",
        "\"processing_errors_last_hour\":1", "\"workflow_success_rate_1h\":0.5",
        "\"workflow_success_rate_24h\":0.5",
        "\"avg_workflow_duration_seconds\":", "\"active_workflows\":"})
    EXPECT_NE(s.body.find(field), std::string::npos) << field << " in " << s.body;

  const auto perf = client.get("/api/metrics/runbook-performance");
  ASSERT_EQ(perf.status, 200);
  EXPECT_NE(
    perf.body.find(
      R"("runbook":"always-fails","runs":1,"finished":1,"completed":0,"failed":1,"cancelled":0,)"
      R"("success_rate":0)"),
    std::string::npos)
    << perf.body;
  EXPECT_NE(perf.body.find(R"("p95_duration_seconds":)"), std::string::npos);

  // Within the first minute: one point, the minute under way.
  const auto history = client.get("/api/metrics/history?metric=event_queue_depth");
  ASSERT_EQ(history.status, 200);
  EXPECT_NE(history.body.find(R"("metric":"event_queue_depth","interval":"1m","points":[)"
                              R"({"timestamp":)"),
            std::string::npos)
    << history.body;
  EXPECT_NE(history.body.find(R"(,"value":0,"partial":true}]})"), std::string::npos)
    << history.body;
  const auto started = client.get("/api/metrics/history?metric=workflows_started");
  EXPECT_NE(started.body.find(R"("value":2,"partial":true)"), std::string::npos) << started.body;
  const auto unknown = client.get("/api/metrics/history?metric=nope");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("event_queue_depth"), std::string::npos) << unknown.body;
  EXPECT_EQ(client.get("/api/metrics/history").status, 400);
}

// A rate with no completed or failed run is null, never 1: cancelled runs count neither way.
TEST_F(metrics_test, success_rates_without_a_finished_run_are_null) {
  test::write_file(dir.file("runbooks/gate.yaml"),
                   "name: gated\ncategory: test\nsteps:\n  - {name: ok, action: approval}\n");
  test::vigil_server server{dir.file("data"), dir.file("vigil.yaml")};
  test::http_client client{server.port()};
  auto s = client.get("/api/metrics");
  EXPECT_NE(s.body.find(R"("workflow_success_rate_1h":null)"), std::string::npos) << s.body;
  EXPECT_NE(s.body.find(R"("workflow_success_rate_24h":null)"), std::string::npos) << s.body;
  auto r = client.post("/api/runbooks/execute", R"({"runbook": "gated"})");
  ASSERT_EQ(r.status, 202) << r.body;
  const auto at = r.body.find("wf-");
  ASSERT_NE(at, std::string::npos) << r.body;
  const auto id = r.body.substr(at, 19);
  test::wait_for_body(client, "/api/workflows/" + id, R"("status":"awaiting_gate")");
  ASSERT_EQ(client.post("/api/workflows/" + id + "/cancel", "").status, 200);
  test::wait_for_body(client, "/api/workflows/" + id, R"("status":"cancelled")");
  test::wait_for_body(client, "/api/metrics/runbook-performance",
                      R"("runbook":"gated","runs":1,"finished":1,"completed":0,"failed":0,)"
                      R"("cancelled":1,"success_rate":null)");
  s = client.get("/api/metrics");
  EXPECT_NE(s.body.find(R"("workflow_success_rate_1h":null)"), std::string::npos) << s.body;
}

} // namespace
} // namespace vigil
