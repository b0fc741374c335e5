// From `POST /api/events` to a completed run whose exec step wrote a file, through a real
// `vigil serve` with its own runbooks, data directory and port.

#include <filesystem>
#include <gtest/gtest.h>
#include <thread>

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil {
namespace {

using namespace std::chrono_literals;

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

TEST(workflow_e2e, alert_starts_its_runbook_and_exec_gets_labels_as_literal_arguments) {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.file("runbooks/remediation"));
  const auto marks = dir.file("marks");
  const auto pwned = dir.file("pwned");
  test::write_file(dir.file("runbooks/remediation/disk.yaml"), R"(name: disk-full
description: records the instance that filled its disk
category: remediation
triggers:
  - type: alert
    labels: {alertname: DiskFull}
steps:
  - name: record
    action: exec
    command: ["sh", "-c", "printf '%s\n' \"$1\" >> )" + marks + R"(", "sh", "{{ labels.instance }}"]
  - name: note
    action: log
    message: "recorded {{ labels.instance }}"
)");
  test::write_file(dir.file("vigil.yaml"),
                   "runbooks: {repository: " + dir.file("runbooks") + "}\nintegrations: {}\n");
  test::vigil_server server{dir.file("data"), dir.file("vigil.yaml")};
  test::http_client client{server.port()};
  const std::string alert =
    R"({"type":"alert","labels":{"alertname":"DiskFull","instance":"x; touch )" + pwned + R"("}})";
  auto r = client.post("/api/events", alert);
  ASSERT_EQ(r.status, 202) << r.body;
  auto runs =
    test::wait_for_body(client, "/api/workflows?runbook=disk-full", R"("status":"completed")");
  EXPECT_EQ(count(runs, R"("id":"wf-)"), 1U) << runs;
  EXPECT_EQ(test::read_file(marks), "x; touch " + pwned + "\n");
  EXPECT_FALSE(std::filesystem::exists(pwned)) << "a label value ran as a command";

  // The run's details and timeline.
  const auto id_pos = runs.find(R"("id":")") + 6;
  const auto id = runs.substr(id_pos, runs.find('"', id_pos) - id_pos);
  auto detail = client.get("/api/workflows/" + id);
  ASSERT_EQ(detail.status, 200);
  EXPECT_NE(detail.body.find(R"("name":"record","status":"succeeded","attempts":1,"exit_code":0)"),
            std::string::npos)
    << detail.body;
  auto logs = client.get("/api/workflows/" + id + "/logs");
  EXPECT_NE(logs.body.find("recorded x; touch"), std::string::npos) << logs.body;

  // The same alert again is a duplicate and starts nothing new.
  r = client.post("/api/events", alert);
  ASSERT_EQ(r.status, 202);
  EXPECT_NE(r.body.find(R"("duplicates":1)"), std::string::npos);
  // A new event for the same alert (another status, so not a duplicate) while the first run is
  // over starts a new run only if a trigger matches it: the resolve does not.
  r = client.post(
    "/api/events",
    R"({"type":"alert","status":"resolved","labels":{"alertname":"DiskFull","instance":"x; touch )"
      + pwned + R"("}})");
  ASSERT_EQ(r.status, 202);
  test::wait_for_body(client, "/api/events?state=dispatched", R"("status":"resolved")");
  EXPECT_EQ(count(client.get("/api/workflows").body, R"("id":"wf-)"), 1U);
  EXPECT_EQ(test::read_file(marks), "x; touch " + pwned + "\n");

  EXPECT_EQ(client.get("/api/workflows/wf-0000000000000000").status, 404);
  // Cancelling a run that has ended changes nothing and says how it ended.
  auto cancel_done = client.post("/api/workflows/" + id + "/cancel", "");
  EXPECT_EQ(cancel_done.status, 200) << cancel_done.body;
  EXPECT_NE(cancel_done.body.find(R"("status":"completed")"), std::string::npos)
    << cancel_done.body;
  EXPECT_EQ(client.post("/api/workflows/" + id + "/pause", "").status, 409);
}

} // namespace
} // namespace vigil
