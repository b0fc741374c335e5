// Kill reaches a running command's whole process group at once. With the real scheduler and a
// command on its own thread (the production executor), so the waits here are bounded polls of
// real processes, not timers of the engine.

#include <caf/actor_system.hpp>
#include <csignal>
#include <filesystem>
#include <gtest/gtest.h>
#include <memory>
#include <thread>

#include "actors/system_config.hpp"
#include "actors/workflow_service.hpp"
#include "runtime/model/errc.hpp"
#include "runtime/model/json_writer.hpp"
#include "runtime/model/workflow_json.hpp"
#include "storage/database.hpp"
#include "storage/event_log.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil {
namespace {

using namespace std::chrono_literals;

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred())
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

/// A run of `command` (its first step) with a pid file, on the real scheduler.
struct command_run {
  test::temp_dir dir;
  std::unique_ptr<storage::database> db;
  std::unique_ptr<storage::event_log> log;
  actors::system_config cfg{2};
  caf::actor_system sys{cfg};
  std::unique_ptr<actors::workflow_service> wf;
  std::string pid_file = dir.file("child.pid");

  explicit command_run(std::chrono::milliseconds kill_grace) {
    db = std::move(*storage::database::open({dir.file("data")}));
    log = std::move(
      *storage::event_log::open(*db, model::clock::system(), model::sync_policy::none, 24h));
    actors::workflow_service_options opts;
    opts.sync = model::sync_policy::none;
    opts.engine.kill_grace = kill_grace;
    wf = std::make_unique<actors::workflow_service>(sys, *db, *log, model::clock::system(), opts);
  }

  ~command_run() {
    wf->stop();
    log->close();
  }

  /// Starts a run whose first step runs `script` under sh (which writes its child's pid).
  std::string start(const std::string& script) {
    auto loaded = runbook::load_runbook_text(R"(
name: long
steps:
  - name: long
    action: exec
    command: ["sh", "-c", ")" + script + R"("]
    timeout: 10m
  - name: never
    action: noop
)",
                                             "long.yaml", "long.yaml", {});
    EXPECT_TRUE(loaded);
    auto book = std::make_shared<const runbook::runbook>(std::move(loaded).value());
    auto id = wf->execute(book, {});
    EXPECT_TRUE(id);
    EXPECT_TRUE(eventually(
      [&] { return std::filesystem::exists(pid_file) && !test::read_file(pid_file).empty(); }));
    return id ? *id : std::string{};
  }
};

TEST(workflow_kill, kills_the_process_group_of_the_running_command_now) {
  command_run run{5s};
  // A shell that starts a child and waits: kill must take both (the whole group).
  const auto id = run.start("sleep 300 & echo $! > " + run.pid_file + "; wait");
  const pid_t child = std::stoi(test::read_file(run.pid_file));
  ASSERT_EQ(::kill(child, 0), 0) << "the child should be running";
  const auto t0 = std::chrono::steady_clock::now();
  auto answer = run.wf->kill(id);
  ASSERT_TRUE(answer) << describe(answer.error());
  EXPECT_EQ(*answer, "cancelling");
  ASSERT_TRUE(eventually([&] {
    auto rec = run.wf->store().get(id);
    return rec && rec->state == model::workflow_state::cancelled;
  }));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  auto rec = run.wf->store().get(id);
  EXPECT_EQ(rec->reason, "killed by operator");
  EXPECT_EQ(rec->steps[1].status, model::step_status::pending) << "nothing runs after a kill";
  // The grandchild died with its group (reaped by init, so kill(pid, 0) fails).
  EXPECT_TRUE(eventually([&] { return ::kill(child, 0) != 0; }, 2s))
    << "child " << child << " survived";
}

TEST(workflow_kill, cancel_inside_a_120_s_command_stops_it_and_reads_cancelled_within_5_s) {
  command_run run{5s};
  const auto id = run.start("sleep 120 & echo $! > " + run.pid_file + "; wait");
  const pid_t child = std::stoi(test::read_file(run.pid_file));
  ASSERT_EQ(::kill(child, 0), 0);
  const auto t0 = std::chrono::steady_clock::now();
  auto answer = run.wf->cancel(id);
  ASSERT_TRUE(answer) << describe(answer.error());
  EXPECT_EQ(*answer, "cancelling");
  ASSERT_TRUE(eventually([&] {
    auto rec = run.wf->store().get(id);
    return rec && rec->state == model::workflow_state::cancelled;
  }))
    << "still " << model::to_string(run.wf->store().get(id)->state);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  auto rec = run.wf->store().get(id);
  EXPECT_EQ(rec->reason, "cancelled by operator");
  EXPECT_EQ(rec->steps[0].status, model::step_status::cancelled);
  EXPECT_EQ(rec->steps[1].status, model::step_status::pending) << "nothing runs after a cancel";
  EXPECT_TRUE(eventually([&] { return ::kill(child, 0) != 0; }, 2s))
    << "the command's child " << child << " survived the cancel";
}

TEST(workflow_kill, a_command_that_ignores_sigterm_is_killed_after_the_grace) {
  command_run run{1500ms};
  // Ignored signals stay ignored across exec: neither the shell nor its sleep hears SIGTERM.
  const auto id = run.start("trap '' TERM; sleep 120 & echo $! > " + run.pid_file + "; wait");
  const pid_t child = std::stoi(test::read_file(run.pid_file));
  auto answer = run.wf->cancel(id);
  ASSERT_TRUE(answer);
  EXPECT_EQ(*answer, "cancelling");
  ASSERT_TRUE(eventually(
    [&] {
      auto rec = run.wf->store().get(id);
      return rec && rec->state == model::workflow_state::cancelled;
    },
    5s));
  EXPECT_TRUE(eventually([&] { return ::kill(child, 0) != 0; }, 2s))
    << "the child " << child << " survived SIGKILL";
}

} // namespace
} // namespace vigil
