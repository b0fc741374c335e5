// GET /api/workflows as the operations runbook reads it: times are Unix seconds (jq compares them
// with `now`), `status=running` lists every run in flight, and the runbook's stuck-run alert
// (`select(.started_at < (now - 3600))`) counts a run started over an hour ago and not a fresh
// one. The clock is a manual one, set an hour and a half back while the old run starts; jq is the
// real jq the runbook's operators use.

#include <chrono>
#include <gtest/gtest.h>

#include "runtime/model/clock.hpp"
#include "tests/http/operator_fixture.hpp"
#include "tests/support/doc_commands.hpp"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using test::json_answer;

class workflow_list_test : public test::operator_fixture {
protected:
  void SetUp() override {
    write_runbook("gated.yaml", "name: gated\nsteps:\n  - {name: approve, action: approval}\n");
    write_runbook("paused.yaml",
                  "name: breather\nsteps:\n  - {name: pause, action: wait, duration: 1h}\n");
    write_runbook("quick.yaml", "name: quick\nsteps:\n  - {name: nothing, action: noop}\n");
  }

  std::string execute(const std::string& runbook) {
    auto r = post("/api/runbooks/execute", R"({"runbook": ")" + runbook + R"("})");
    EXPECT_EQ(r.status, 202) << r.body;
    return json_answer{r.body}.text("/workflow_id").value_or("");
  }

  /// The stuck-run alert of the operations runbook ("Alert Queries"), with the real jq.
  std::string stuck_count() {
    const auto script = "curl -s --fail-with-body 'http://127.0.0.1:" + std::to_string(app().port())
                        + "/api/workflows?status=running' | jq '[.workflows[] | select(.started_at "
                          "< (now - 3600))] | length'";
    auto r = test::run_shell(script, dir().path(), dir().file("stuck"));
    EXPECT_EQ(r.code, 0) << r.out;
    return r.out;
  }

  model::manual_clock clock_{model::clock::system().now()};
};

TEST_F(workflow_list_test, the_stuck_run_alert_counts_a_run_started_over_an_hour_ago_only) {
  start(&clock_);
  clock_.set(model::clock::system().now() - 90min);
  const auto old_id = execute("gated.yaml");
  ASSERT_TRUE(wait_for_workflow(old_id, "awaiting_gate"));
  clock_.set(model::clock::system().now());
  const auto fresh_id = execute("paused.yaml");
  ASSERT_TRUE(wait_for_workflow(fresh_id, "waiting"));

  EXPECT_EQ(stuck_count(), "1\n") << "the gated run started 90 minutes ago; the waiting one now";
  auto list = get_json("/api/workflows?status=running");
  EXPECT_EQ(list.size("/workflows"), 2U) << "a run at a gate or in a wait is in flight";

  // Numbers, with the same instant for people beside each.
  auto run = get_json("/api/workflows/" + old_id);
  ASSERT_TRUE(run.valid());
  EXPECT_FALSE(run.text("/started_at")) << "a number, not a string";
  const auto rfc = run.text("/started_at_rfc3339");
  ASSERT_TRUE(rfc);
  EXPECT_EQ(rfc->size(), std::string{"2026-12-02T18:00:00.000Z"}.size()) << *rfc;
  EXPECT_TRUE(run.has("/finished_at")) << "unset times are null";
  EXPECT_FALSE(run.text("/finished_at_rfc3339"));
}

TEST_F(workflow_list_test, status_running_lists_runs_in_flight_and_a_list_of_states_works) {
  start();
  const auto gated = execute("gated.yaml");
  const auto waiting = execute("paused.yaml");
  const auto done = execute("quick.yaml");
  ASSERT_TRUE(wait_for_workflow(gated, "awaiting_gate"));
  ASSERT_TRUE(wait_for_workflow(waiting, "waiting"));
  ASSERT_TRUE(wait_for_workflow(done, "completed"));

  auto running = get_json("/api/workflows?status=running");
  auto ids = running.texts("/workflows", "id");
  EXPECT_EQ(ids.size(), 2U);
  EXPECT_EQ(running.integer("/count"), 2);
  EXPECT_EQ(get_json("/api/workflows?status=active").integer("/count"), 2);
  EXPECT_EQ(get_json("/api/workflows?status=awaiting_gate").integer("/count"), 1);
  EXPECT_EQ(get_json("/api/workflows?status=completed,awaiting_gate").integer("/count"), 2);
  EXPECT_TRUE(test::is_error(get("/api/workflows?status=running,sleeping"), 400,
                             "invalid_parameter", "status"));
  // Each record still says its precise state.
  EXPECT_EQ(get_json("/api/workflows/" + waiting).text("/status"), "waiting");
}

TEST_F(workflow_list_test, a_runs_runbook_is_its_file_and_its_name_is_beside_it) {
  start();
  const auto id = execute("gated");
  ASSERT_FALSE(id.empty());
  auto run = get_json("/api/workflows/" + id);
  EXPECT_EQ(run.text("/runbook"), "gated.yaml");
  EXPECT_EQ(run.text("/runbook_name"), "gated");
  EXPECT_EQ(get_json("/api/workflows?runbook=gated").integer("/count"), 1);
  EXPECT_EQ(get_json("/api/workflows?runbook=gated.yaml").integer("/count"), 1);
}

} // namespace
} // namespace vigil
