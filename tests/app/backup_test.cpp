// Backup of a running server, restore into a new directory, and a server there that lists the
// same events and runs. Also: a dead owner's data directory is taken over and its runs resume.

#include <csignal>
#include <filesystem>
#include <gtest/gtest.h>
#include <thread>

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil {
namespace {

using namespace std::chrono_literals;

/// The list bodies without what differs between two servers (uptime, "active" counts).
std::string events_of(test::http_client& client) {
  return client.get("/api/events?limit=1000").body;
}

class backup_test : public ::testing::Test {
protected:
  void SetUp() override {
    std::filesystem::create_directories(dir.file("runbooks"));
    test::write_file(dir.file("runbooks/note.yaml"), R"(name: note
triggers: [{type: alert, labels: {alertname: Note}}]
steps:
  - {name: say, action: log, message: "noted {{ labels.instance }}"}
  - {name: hold, action: approval}
)");
    test::write_file(dir.file("vigil.yaml"),
                     "runbooks: {repository: " + dir.file("runbooks") + "}\nintegrations: {}\n");
  }

  test::temp_dir dir;
};

TEST_F(backup_test, backup_of_a_running_server_restores_to_the_same_events_and_runs) {
  test::vigil_server server{dir.file("data"), dir.file("vigil.yaml")};
  test::http_client client{server.port()};
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(client
                .post("/api/events", R"({"type":"alert","labels":{"alertname":"Note","instance":"h)"
                                       + std::to_string(i) + "\"}}")
                .status,
              202);
  test::wait_for_body(client, "/api/workflows", R"("status":"awaiting_gate")");
  for (int i = 0; i < 100; ++i) {
    if (client.get("/api/workflows?status=awaiting_gate").body.find("\"count\":5")
        != std::string::npos)
      break;
    std::this_thread::sleep_for(20ms);
  }
  const auto events_before = events_of(client);
  const auto runs_before = client.get("/api/workflows?status=awaiting_gate").body;
  ASSERT_NE(runs_before.find("\"count\":5"), std::string::npos) << runs_before;

  test::child_process backup{
    {test::vigil_binary(), "backup", "--data", dir.file("data"), "--to", dir.file("backup")},
    dir.file("backup-cmd")};
  ASSERT_EQ(backup.wait(60s), 0) << backup.stderr_text();
  EXPECT_NE(backup.stdout_text().find("backup written and verified"), std::string::npos);
  // The server kept serving meanwhile.
  EXPECT_EQ(client.get("/api/health").status, 200);

  // Restoring onto a non-empty directory needs --force.
  std::filesystem::create_directories(dir.file("busy"));
  test::write_file(dir.file("busy/something"), "x");
  test::child_process refused{
    {test::vigil_binary(), "restore", "--from", dir.file("backup"), "--data", dir.file("busy")},
    dir.file("refused")};
  EXPECT_EQ(refused.wait(30s), 1);
  EXPECT_NE(refused.stderr_text().find("not empty"), std::string::npos) << refused.stderr_text();

  test::child_process restore{
    {test::vigil_binary(), "restore", "--from", dir.file("backup"), "--data", dir.file("restored")},
    dir.file("restore-cmd")};
  ASSERT_EQ(restore.wait(60s), 0) << restore.stderr_text();

  test::vigil_server second{dir.file("restored"), dir.file("vigil.yaml")};
  test::http_client other{second.port()};
  EXPECT_EQ(events_of(other), events_before);
  auto runs_after =
    test::wait_for_body(other, "/api/workflows?status=awaiting_gate", "\"count\":5");
  // The same runs, the same states (parked at their gates).
  for (const auto* field : {R"("runbook_name":"note")", R"("status":"awaiting_gate")"})
    EXPECT_NE(runs_after.find(field), std::string::npos);
  EXPECT_EQ(runs_after.substr(0, runs_after.find("\"count\"")),
            runs_before.substr(0, runs_before.find("\"count\"")));
}

TEST_F(backup_test, after_kill_9_a_new_server_takes_the_directory_over_and_resumes) {
  std::string id;
  {
    test::vigil_server first{dir.file("data"), dir.file("vigil.yaml")};
    test::http_client client{first.port()};
    ASSERT_EQ(
      client.post("/api/events", R"({"type":"alert","labels":{"alertname":"Note","instance":"x"}})")
        .status,
      202);
    auto runs = test::wait_for_body(client, "/api/workflows", R"("status":"awaiting_gate")");
    const auto pos = runs.find(R"("id":")") + 6;
    id = runs.substr(pos, runs.find('"', pos) - pos);
    first.kill();
  }
  test::vigil_server second{dir.file("data"), dir.file("vigil.yaml")};
  const auto log = second.process().stderr_text();
  EXPECT_NE(log.find("took over the data directory lock"), std::string::npos) << log;
  EXPECT_NE(log.find("NOT clean"), std::string::npos);
  test::http_client client{second.port()};
  auto r = client.post("/api/workflows/" + id + "/gates/hold/approve", R"({"by":"ops"})");
  EXPECT_EQ(r.status, 200) << r.body;
  test::wait_for_body(client, "/api/workflows/" + id, R"("status":"completed")");
}

} // namespace
} // namespace vigil

namespace vigil {
namespace {

TEST_F(backup_test, archive_writes_finished_runs_as_ndjson_then_removes_them) {
  test::write_file(dir.file("runbooks/quick.yaml"), R"(name: quick
triggers: [{type: alert, labels: {alertname: Quick}}]
steps:
  - {name: say, action: log, message: "quick {{ labels.instance }}"}
)");
  {
    test::vigil_server server{dir.file("data"), dir.file("vigil.yaml")};
    test::http_client client{server.port()};
    for (int i = 0; i < 3; ++i)
      ASSERT_EQ(
        client
          .post("/api/events", R"({"type":"alert","labels":{"alertname":"Quick","instance":"q)"
                                 + std::to_string(i) + "\"}}")
          .status,
        202);
    ASSERT_EQ(
      client.post("/api/events", R"({"type":"alert","labels":{"alertname":"Note"}})").status, 202);
    test::wait_for_body(client, "/api/workflows?status=completed", "\"count\":3");
    test::wait_for_body(client, "/api/workflows?status=awaiting_gate", "\"count\":1");
    ASSERT_EQ(server.stop(), 0);
  }
  // Bad input changes nothing.
  test::child_process bad{{test::vigil_binary(), "archive", "--data", dir.file("data"), "--before",
                           "yesterday", "--to", dir.file("runs.ndjson")},
                          dir.file("bad-cmd")};
  EXPECT_EQ(bad.wait(30s), 2);
  EXPECT_NE(bad.stderr_text().find("--before"), std::string::npos) << bad.stderr_text();
  EXPECT_FALSE(std::filesystem::exists(dir.file("runs.ndjson")));

  // Everything created before a moment in the future: the three finished runs, not the parked one.
  test::child_process archive{{test::vigil_binary(), "archive", "--data", dir.file("data"),
                               "--before", "2200-01-01T00:00:00Z", "--to", dir.file("runs.ndjson")},
                              dir.file("archive-cmd")};
  ASSERT_EQ(archive.wait(60s), 0) << archive.stderr_text();
  EXPECT_NE(archive.stdout_text().find("archived 3 finished runs"), std::string::npos)
    << archive.stdout_text();
  const auto lines = test::read_file(dir.file("runs.ndjson"));
  std::size_t n = 0;
  for (auto pos = lines.find('\n'); pos != std::string::npos; pos = lines.find('\n', pos + 1))
    ++n;
  EXPECT_EQ(n, 3U) << lines;
  EXPECT_NE(lines.find(R"("runbook_name":"quick")"), std::string::npos) << lines;
  EXPECT_EQ(lines.find(R"("runbook_name":"note")"), std::string::npos) << "a parked run stays";

  test::vigil_server again{dir.file("data"), dir.file("vigil.yaml")};
  test::http_client client{again.port()};
  EXPECT_NE(client.get("/api/workflows?status=completed").body.find("\"count\":0"),
            std::string::npos);
  EXPECT_NE(client.get("/api/workflows?status=awaiting_gate").body.find("\"count\":1"),
            std::string::npos);
}

} // namespace
} // namespace vigil
