// The admin endpoints (/api/admin/...) over real HTTP, against an in-process Vigil with its own
// RocksDB and runbook repository in a temp dir: drain and resume, workers, priorities, queue
// analysis, poison messages, backup, archive, and the validation every body and parameter gets.

#include <filesystem>
#include <gtest/gtest.h>
#include <set>

#include "actors/workflow_service.hpp"
#include "runtime/model/errc.hpp"
#include "storage/backup.hpp"
#include "storage/event_log.hpp"
#include "tests/http/operator_fixture.hpp"

namespace vigil {
namespace {

using test::is_error;
using test::json_answer;

class operator_api_test : public test::operator_fixture {
protected:
  void SetUp() override {
    write_runbook("note.yaml", test::log_runbook("note", "Note"));
    write_runbook("noop.yaml",
                  "name: noop\ncategory: test\nsteps:\n  - {name: nothing, action: noop}\n");
  }

  /// POSTs an alert that the `note` runbook picks up; its event id (empty when refused).
  std::string post_note(const std::string& instance) {
    auto r = post("/api/events", test::alert_json("Note", instance));
    EXPECT_EQ(r.status, 202) << r.body;
    return json_answer{r.body}.text("/ids/0").value_or("");
  }

  /// Workflow runs with `status`.
  std::size_t runs_with_status(const std::string& status) {
    auto j = get_json("/api/workflows?limit=10000&status=" + status);
    return j.size("/workflows").value_or(0);
  }

  /// Dispatcher ids as GET /api/admin/workers lists them.
  std::vector<std::string> worker_ids() {
    return get_json("/api/admin/workers").texts("/workers", "id");
  }
};

// -- drain and resume ----------------------------------------------------------------------

TEST_F(operator_api_test, drain_then_resume_loses_nothing) {
  start();
  std::set<std::string> posted;
  posted.insert(post_note("before-1"));
  posted.insert(post_note("before-2"));
  ASSERT_TRUE(test::eventually([&] { return runs_with_status("completed") == 2; }));

  auto drained = post("/api/admin/drain-queue", "");
  ASSERT_EQ(drained.status, 200) << drained.body;
  EXPECT_EQ(json_answer{drained.body}.text("/status"), "ok");
  EXPECT_EQ(json_answer{drained.body}.integer("/drained"), 0) << "nothing was waiting";
  auto workers = get_json("/api/admin/workers");
  EXPECT_EQ(workers.boolean("/draining"), true);
  EXPECT_EQ(workers.size("/workers"), 0U) << "no dispatcher runs while drained";

  for (int i = 0; i < 6; ++i)
    posted.insert(post_note("during-" + std::to_string(i)));
  ASSERT_EQ(posted.size(), 8U);
  EXPECT_EQ(events_in_state("drained"), 6U);
  EXPECT_EQ(workflow_ids().size(), 2U) << "nothing is dispatched while drained";
  // A second drain is harmless and finds nothing new in the queue.
  EXPECT_EQ(json_answer{post("/api/admin/drain-queue", "").body}.integer("/drained"), 0);

  auto resumed = post("/api/admin/resume-processing", "");
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_EQ(json_answer{resumed.body}.integer("/resumed"), 6);
  EXPECT_FALSE(app().draining());
  EXPECT_TRUE(test::eventually([&] { return runs_with_status("completed") == 8; }))
    << get("/api/workflows").body;
  EXPECT_EQ(events_in_state("drained"), 0U);
  EXPECT_EQ(events_in_state("accepted"), 0U);
  EXPECT_EQ(events_in_state("dispatched"), 8U);
  EXPECT_EQ(get_json("/api/admin/workers").size("/workers"), 4U);
  // Every event started exactly one run.
  auto runs = get_json("/api/workflows?limit=10000").texts("/workflows", "event_id");
  EXPECT_EQ(runs.size(), 8U);
  EXPECT_EQ(std::set<std::string>(runs.begin(), runs.end()), posted);
}

TEST_F(operator_api_test, a_drain_in_the_middle_of_a_burst_loses_nothing) {
  config().engine.event_processing.workers = 1;
  config().engine.event_processing.batch_size = 1;
  start();
  // A burst, then a drain at once: what is still queued is set aside (and the answer counts
  // exactly those), the rest is dispatched; after the resume every event is dispatched once.
  std::set<std::string> posted;
  for (int i = 0; i < 20; ++i)
    posted.insert(post_note("burst-" + std::to_string(i)));
  auto drained = post("/api/admin/drain-queue", "");
  ASSERT_EQ(drained.status, 200);
  const auto aside = json_answer{drained.body}.integer("/drained").value_or(-1);
  EXPECT_EQ(aside, static_cast<int64_t>(events_in_state("drained")));
  auto resumed = post("/api/admin/resume-processing", "");
  ASSERT_EQ(resumed.status, 200);
  EXPECT_EQ(json_answer{resumed.body}.integer("/resumed"), aside);
  EXPECT_TRUE(test::eventually([&] { return events_in_state("dispatched") == 20; }))
    << events_in_state("dispatched") << " dispatched, " << events_in_state("drained")
    << " drained, " << events_in_state("accepted") << " accepted";
  EXPECT_TRUE(test::eventually([&] { return runs_with_status("completed") == 20; }));
  auto runs = get_json("/api/workflows?limit=10000").texts("/workflows", "event_id");
  EXPECT_EQ(std::set<std::string>(runs.begin(), runs.end()), posted);
  EXPECT_EQ(runs.size(), 20U) << "one run per event, none twice";
}

// -- workers -------------------------------------------------------------------------------

TEST_F(operator_api_test, scale_workers_changes_the_pool_without_a_restart) {
  start();
  auto before = get_json("/api/admin/workers");
  EXPECT_EQ(before.size("/workers"), 4U);
  EXPECT_EQ(before.integer("/target"), 4);
  EXPECT_EQ(before.text("/workers/0/status"), "idle");

  auto up = post("/api/admin/scale-workers", R"({"workers": 8})");
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(json_answer{up.body}.integer("/workers"), 8);
  EXPECT_EQ(get_json("/api/admin/workers").size("/workers"), 8U);
  EXPECT_EQ(get_json("/api/admin/workers").integer("/target"), 8);

  // curl -d sends the runbook's example form-encoded: read as JSON all the same.
  auto down =
    post("/api/admin/scale-workers", R"({"workers":2})", {}, "application/x-www-form-urlencoded");
  ASSERT_EQ(down.status, 200) << down.body;
  EXPECT_EQ(get_json("/api/admin/workers").size("/workers"), 2U);

  const std::vector<std::string> bad = {R"({"workers": 0})",
                                        R"({"workers": -1})",
                                        R"({"workers": -9223372036854775808})",
                                        R"({"workers": 257})",
                                        R"({"workers": 100000})",
                                        R"({"workers": 18446744073709551615})",
                                        R"({"workers": 1e30})",
                                        R"({"workers": 2.5})",
                                        R"({"workers": "8"})",
                                        R"({"workers": true})",
                                        R"({"workers": null})",
                                        R"({"workers": [4]})",
                                        R"({"workers": {"n": 4}})",
                                        R"({})",
                                        ""};
  for (const auto& body : bad) {
    auto r = post("/api/admin/scale-workers", body);
    EXPECT_TRUE(is_error(r, 400, "invalid_body", "workers")) << body;
  }
  // The message and the detail say what is wrong, not only where.
  auto zero = json_answer{post("/api/admin/scale-workers", R"({"workers": 0})").body};
  EXPECT_EQ(zero.text("/message"), "workers: out of range (1..256)");
  EXPECT_EQ(zero.text("/details/0/reason"), "out of range (1..256)");
  EXPECT_EQ(
    json_answer{post("/api/admin/scale-workers", R"({"workers": 2.5})").body}.text("/message"),
    "workers: expected a whole number (1..256)");
  EXPECT_TRUE(is_error(post("/api/admin/scale-workers", R"({"workers": 3, "force": true})"), 400,
                       "invalid_body", "force"));
  EXPECT_TRUE(is_error(post("/api/admin/scale-workers", R"([3])"), 400, "invalid_body"));
  EXPECT_TRUE(is_error(post("/api/admin/scale-workers", R"({"workers": 3)"), 400, "invalid_body"));
  auto after = get_json("/api/admin/workers");
  EXPECT_EQ(after.size("/workers"), 2U) << "refused requests changed nothing";
  EXPECT_EQ(after.integer("/target"), 2);

  // The scaled pool processes events.
  for (int i = 0; i < 5; ++i)
    post_note("scaled-" + std::to_string(i));
  EXPECT_TRUE(test::eventually([&] { return runs_with_status("completed") == 5; }));
  std::int64_t handled = 0;
  EXPECT_TRUE(test::eventually([&] {
    auto busy = get_json("/api/admin/workers");
    handled = 0;
    for (std::size_t i = 0; i < busy.size("/workers").value_or(0); ++i)
      handled += busy.integer("/workers/" + std::to_string(i) + "/events").value_or(0);
    return handled == 5;
  }))
    << handled << " events counted by the two dispatchers";
}

TEST_F(operator_api_test, scaling_while_drained_takes_effect_on_resume) {
  start();
  ASSERT_EQ(post("/api/admin/drain-queue", "").status, 200);
  ASSERT_EQ(post("/api/admin/scale-workers", R"({"workers": 6})").status, 200);
  auto drained = get_json("/api/admin/workers");
  EXPECT_EQ(drained.size("/workers"), 0U);
  EXPECT_EQ(drained.integer("/target"), 6);
  ASSERT_EQ(post("/api/admin/resume-processing", "").status, 200);
  EXPECT_EQ(get_json("/api/admin/workers").size("/workers"), 6U);
}

TEST_F(operator_api_test, restart_workers_replaces_every_dispatcher) {
  start();
  const auto before = worker_ids();
  ASSERT_EQ(before.size(), 4U);
  auto r = post("/api/admin/restart-workers", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_answer{r.body}.integer("/workers"), 4);
  const auto after = worker_ids();
  ASSERT_EQ(after.size(), 4U);
  for (const auto& id : after)
    EXPECT_EQ(std::find(before.begin(), before.end(), id), before.end())
      << id << " survived the restart";
  post_note("after-restart");
  EXPECT_TRUE(test::eventually([&] { return runs_with_status("completed") == 1; }));

  // While drained a restart starts nothing.
  ASSERT_EQ(post("/api/admin/drain-queue", "").status, 200);
  EXPECT_EQ(json_answer{post("/api/admin/restart-workers", "").body}.integer("/workers"), 0);
  EXPECT_TRUE(worker_ids().empty());
  ASSERT_EQ(post("/api/admin/resume-processing", "").status, 200);
  EXPECT_EQ(worker_ids().size(), 4U);
}

// -- priorities and the queue ------------------------------------------------------------------

TEST_F(operator_api_test, set_event_priority_applies_to_new_events) {
  start();
  auto r = post("/api/admin/set-event-priority",
                R"({"type": "alert", "severity": "info", "priority": 1})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_answer{r.body}.text("/priority"), "critical");
  r = post("/api/admin/set-event-priority", R"({"type": "metric", "priority": "low"})");
  ASSERT_EQ(r.status, 200) << r.body;

  ASSERT_EQ(post("/api/events", test::alert_json("Prio", "a", "info")).status, 202);
  ASSERT_EQ(post("/api/events", test::alert_json("Prio", "b", "warning")).status, 202);
  ASSERT_EQ(post("/api/events", R"({"type":"metric","metric_name":"cpu","value":1,
                                    "labels":{"instance":"c"}})")
              .status,
            202);
  auto events = get_json("/api/events?limit=10");
  std::map<std::string, std::string> by_instance;
  for (std::size_t i = 0; i < events.size("/events").value_or(0); ++i) {
    const auto at = "/events/" + std::to_string(i);
    by_instance[events.text(at + "/labels/instance").value_or("?")] =
      events.text(at + "/priority").value_or("?");
  }
  EXPECT_EQ(by_instance["a"], "critical") << "the rule for alert + info";
  EXPECT_EQ(by_instance["b"], "normal") << "other severities keep their default";
  EXPECT_EQ(by_instance["c"], "low") << "the rule for every metric";

  struct bad {
    std::string body, field;
  };
  const std::vector<bad> bads = {
    {R"({"severity": "info", "priority": 1})", "type"},
    {R"({"type": "bogus", "priority": 1})", "type"},
    {R"({"type": 7, "priority": 1})", "type"},
    {R"({"type": "alert"})", "priority"},
    {R"({"type": "alert", "priority": 0})", "priority"},
    {R"({"type": "alert", "priority": 5})", "priority"},
    {R"({"type": "alert", "priority": 1.5})", "priority"},
    {R"({"type": "alert", "priority": "urgent"})", "priority"},
    {R"({"type": "alert", "priority": null})", "priority"},
    {R"({"type": "alert", "priority": [1]})", "priority"},
    {R"({"type": "alert", "severity": 3, "priority": 1})", "severity"},
    {R"({"type": "alert", "priority": 1, "source": "x"})", "source"},
  };
  for (const auto& b : bads)
    EXPECT_TRUE(
      is_error(post("/api/admin/set-event-priority", b.body), 400, "invalid_body", b.field))
      << b.body;
  // The refused rules changed nothing.
  ASSERT_EQ(post("/api/events", test::alert_json("Prio", "d", "info")).status, 202);
  ASSERT_EQ(post("/api/events", test::alert_json("Prio", "e", "critical")).status, 202);
  auto later = get_json("/api/events?limit=2");
  for (std::size_t i = 0; i < 2; ++i) {
    const auto at = "/events/" + std::to_string(i);
    EXPECT_EQ(later.text(at + "/priority"), "critical")
      << later.text(at + "/labels/instance").value_or("");
  }
}

TEST_F(operator_api_test, queue_analysis_groups_waiting_events) {
  start();
  auto empty = get_json("/api/admin/queue-analysis");
  EXPECT_EQ(empty.integer("/queued"), 0);
  EXPECT_EQ(empty.size("/event_type_distribution"), 0U);

  ASSERT_EQ(post("/api/admin/drain-queue", "").status, 200);
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(post("/api/events",
                   test::alert_json("Disk", "db-" + std::to_string(i), "critical", "alertmanager"))
                .status,
              202);
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(post("/api/events", R"({"type":"metric","source":"node-exporter","metric_name":"cpu",
                                      "value":50,"labels":{"instance":"n)"
                                    + std::to_string(i) + "\"}}")
                .status,
              202);
  ASSERT_EQ(post("/api/events", R"({"type":"event","severity":"warning","source":"ci",
                                    "labels":{"job":"deploy"}})")
              .status,
            202);

  auto a = get_json("/api/admin/queue-analysis");
  EXPECT_EQ(a.integer("/queued"), 6) << "drained events are still waiting";
  EXPECT_EQ(a.counts("/event_type_distribution"),
            (std::map<std::string, int64_t>{{"alert", 3}, {"metric", 2}, {"event", 1}}));
  EXPECT_EQ(a.counts("/severity_distribution"),
            (std::map<std::string, int64_t>{{"critical", 3}, {"none", 2}, {"warning", 1}}));
  EXPECT_EQ(a.counts("/source_distribution"),
            (std::map<std::string, int64_t>{{"alertmanager", 3}, {"node-exporter", 2}, {"ci", 1}}));

  ASSERT_EQ(post("/api/admin/resume-processing", "").status, 200);
  EXPECT_TRUE(
    test::eventually([&] { return get_json("/api/admin/queue-analysis").integer("/queued") == 0; }))
    << "once dispatched they leave the analysis";
  EXPECT_TRUE(
    is_error(get("/api/admin/queue-analysis?type=alert"), 400, "invalid_parameter", "type"));
}

// -- poison messages -----------------------------------------------------------------------------

TEST_F(operator_api_test, poison_messages_are_listed_and_cleared) {
  config().engine.event_processing.max_attempts = 1;
  start();
  auto none = get_json("/api/admin/poison-messages");
  EXPECT_EQ(none.integer("/count"), 0);
  EXPECT_EQ(none.size("/poison_messages"), 0U);

  auto posted = post("/api/events", R"({"type":"event","source":"batch","labels":{"job":"x"}})");
  ASSERT_EQ(posted.status, 202);
  const auto id = json_answer{posted.body}.text("/ids/0").value_or("");
  ASSERT_TRUE(test::eventually([&] { return events_in_state("dispatched") == 1; }));
  // The engine fails on the event (as a bug would): with max_attempts 1 it is set aside.
  auto stored = app().events().query({});
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 1U);
  app().workflows().processing_failed(stored->front().event, "matcher crashed on it");

  auto listed = get_json("/api/admin/poison-messages");
  EXPECT_EQ(listed.integer("/count"), 1);
  EXPECT_EQ(listed.text("/poison_messages/0/reason"), "matcher crashed on it");
  EXPECT_EQ(listed.integer("/poison_messages/0/attempts"), 1);
  EXPECT_EQ(listed.text("/poison_messages/0/event/id"), id);
  EXPECT_EQ(events_in_state("quarantined"), 1U);

  EXPECT_TRUE(is_error(post("/api/admin/clear-poison-messages", R"({"ids": ["x"]})"), 400,
                       "invalid_body", "ids"));
  EXPECT_EQ(get_json("/api/admin/poison-messages").integer("/count"), 1)
    << "a refused clear keeps them";
  auto cleared = post("/api/admin/clear-poison-messages", "");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_EQ(json_answer{cleared.body}.integer("/cleared"), 1);
  EXPECT_EQ(get_json("/api/admin/poison-messages").integer("/count"), 0);
  EXPECT_EQ(json_answer{post("/api/admin/clear-poison-messages", "{}").body}.integer("/cleared"),
            0);
}

// -- backup and archive --------------------------------------------------------------------------

TEST_F(operator_api_test, backup_writes_a_verified_copy) {
  start();
  for (int i = 0; i < 3; ++i)
    post_note("b-" + std::to_string(i));
  ASSERT_TRUE(test::eventually([&] { return runs_with_status("completed") == 3; }));

  const auto target = dir().file("backups/first");
  std::filesystem::create_directories(dir().file("backups"));
  auto r = post("/api/admin/backup", R"({"to": ")" + target + R"("})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_answer{r.body}.text("/path"), target);
  auto copy = storage::inspect_data_dir(target);
  ASSERT_TRUE(copy) << describe(copy.error());
  EXPECT_EQ(copy->keys["events"], 3U);
  EXPECT_GE(copy->keys["workflows"], 3U);

  // Without a target: a new folder under the data directory, every time.
  std::set<std::string> defaults;
  for (int i = 0; i < 2; ++i) {
    auto d = post("/api/admin/backup", "");
    ASSERT_EQ(d.status, 200) << d.body;
    const auto path = json_answer{d.body}.text("/path").value_or("");
    EXPECT_EQ(path.rfind(config().storage.path, 0), 0U) << path;
    auto inspected = storage::inspect_data_dir(path);
    ASSERT_TRUE(inspected) << describe(inspected.error());
    EXPECT_EQ(inspected->keys["events"], 3U);
    defaults.insert(path);
  }
  EXPECT_EQ(defaults.size(), 2U) << "two backups, two folders";

  test::write_file(dir().file("a-file"), "x");
  const std::vector<std::string> bad = {
    R"({"to": "relative/backup"})",
    R"({"to": "/nonexistent-vigil-parent/deeper/backup"})",
    R"({"to": ")" + target + R"("})",                         // exists and is not empty
    R"({"to": ")" + dir().file("a-file") + R"("})",           // a file
    R"({"to": ")" + config().storage.path + R"("})",          // the live data directory
    R"({"to": ")" + config().storage.path + R"(/db/inner"})", // inside the live database
    R"({"to": 42})",
    R"({"to": ["/tmp/x"]})",
  };
  for (const auto& body : bad)
    EXPECT_TRUE(is_error(post("/api/admin/backup", body), 400, "invalid_body", "to")) << body;
  EXPECT_TRUE(
    is_error(post("/api/admin/backup", R"({"path": "/tmp/x"})"), 400, "invalid_body", "path"));
  EXPECT_FALSE(std::filesystem::exists("relative/backup"));
  EXPECT_FALSE(std::filesystem::exists(config().storage.path + "/db/inner"));
}

TEST_F(operator_api_test, archive_workflows_validates_before_and_archives_finished_runs) {
  start();
  EXPECT_TRUE(
    is_error(post("/api/admin/archive-workflows", ""), 400, "invalid_parameter", "before"));
  for (const std::string bad : {"abc", "", "-5d", "90x", "2024-13-01T00:00:00Z", "1d2"})
    EXPECT_TRUE(is_error(post("/api/admin/archive-workflows?before=" + bad, ""), 400,
                         "invalid_parameter", "before"))
      << bad;
  EXPECT_TRUE(is_error(post("/api/admin/archive-workflows?before=90d&dry_run=1", ""), 400,
                       "invalid_parameter", "dry_run"));
  EXPECT_TRUE(is_error(post("/api/admin/archive-workflows?before=90d", R"({"keep": 1})"), 400,
                       "invalid_body", "keep"));

  auto started = post("/api/runbooks/execute", R"({"runbook": "noop"})");
  ASSERT_EQ(started.status, 202) << started.body;
  const auto id = json_answer{started.body}.text("/workflow_id").value_or("");
  ASSERT_TRUE(wait_for_workflow(id, "completed"));

  auto old = post("/api/admin/archive-workflows?before=90d", "");
  ASSERT_EQ(old.status, 200) << old.body;
  EXPECT_EQ(json_answer{old.body}.integer("/archived"), 0) << "the run is not 90 days old";
  EXPECT_EQ(get("/api/workflows/" + id).status, 200);

  auto all = post("/api/admin/archive-workflows?before=0s", "");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(json_answer{all.body}.integer("/archived"), 1);
  const auto file = json_answer{all.body}.text("/file").value_or("");
  EXPECT_NE(test::read_file(file).find(id), std::string::npos) << file;
  EXPECT_TRUE(is_error(get("/api/workflows/" + id), 404, "not_found"));
}

// -- validation common to every admin endpoint
// -----------------------------------------------------

TEST_F(operator_api_test, unknown_body_fields_are_rejected_naming_the_field) {
  start();
  for (const std::string target :
       {"/api/admin/drain-queue", "/api/admin/resume-processing", "/api/admin/reload-runbooks",
        "/api/admin/restart-workers", "/api/admin/clear-poison-messages", "/api/admin/backup",
        "/api/admin/scale-workers", "/api/admin/set-event-priority"}) {
    EXPECT_TRUE(is_error(post(target, R"({"bogus_field": 1})"), 400, "invalid_body", "bogus_field"))
      << target;
    EXPECT_TRUE(is_error(post(target, "not json"), 400, "invalid_body")) << target;
    EXPECT_TRUE(is_error(post(target, "[]"), 400, "invalid_body")) << target;
  }
  EXPECT_FALSE(app().draining()) << "the refused drain did not drain";
  EXPECT_EQ(worker_ids().size(), 4U);
}

TEST_F(operator_api_test, wrong_methods_answer_405_with_allow) {
  start();
  struct call {
    std::string method, target, allow;
  };
  const std::vector<call> calls = {
    {"GET", "/api/admin/drain-queue", "POST"},   {"PUT", "/api/admin/scale-workers", "POST"},
    {"DELETE", "/api/admin/backup", "POST"},     {"GET", "/api/admin/archive-workflows", "POST"},
    {"POST", "/api/admin/workers", "GET"},       {"DELETE", "/api/admin/poison-messages", "GET"},
    {"POST", "/api/admin/queue-analysis", "GET"}};
  for (const auto& c : calls) {
    auto r = send(c.method, c.target, "");
    EXPECT_TRUE(is_error(r, 405, "method_not_allowed")) << c.method << " " << c.target;
    EXPECT_EQ(r.header("allow"), c.allow) << c.target;
  }
  EXPECT_FALSE(app().draining());
  EXPECT_TRUE(is_error(get("/api/admin/nothing-here"), 404, "not_found"));
}

} // namespace
} // namespace vigil
