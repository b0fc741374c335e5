// Kill reaches a running command's whole process group at once. With the real scheduler and a
// command on its own thread (the production executor), so the waits here are bounded polls of
// real processes, not timers of the engine.

#include <caf/actor_system.hpp>
#include <csignal>
#include <filesystem>
#include <gtest/gtest.h>
#include <thread>

#include "actors/system_config.hpp"
#include "actors/workflow_service.hpp"
#include "runtime/model/errc.hpp"
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

TEST(workflow_kill, kills_the_process_group_of_the_running_command_now) {
  test::temp_dir dir;
  auto db = storage::database::open({dir.file("data")});
  ASSERT_TRUE(db);
  auto log = storage::event_log::open(**db, model::clock::system(), model::sync_policy::none, 24h);
  ASSERT_TRUE(log);
  actors::system_config cfg{2};
  caf::actor_system sys{cfg};
  actors::workflow_service_options opts;
  opts.sync = model::sync_policy::none;
  actors::workflow_service wf{sys, **db, **log, model::clock::system(), opts};
  const auto child_pid_file = dir.file("child.pid");
  auto loaded = runbook::load_runbook_text(R"(
name: hang
steps:
  - name: hang
    action: exec
    # A shell that starts a child and waits: kill must take both (the whole group).
    command: ["sh", "-c", "sleep 300 & echo $! > )"
                                             + child_pid_file + R"(; wait"]
    timeout: 10m
  - name: never
    action: noop
)",
                                           "hang.yaml", "hang.yaml", {});
  ASSERT_TRUE(loaded);
  auto book = std::make_shared<const runbook::runbook>(std::move(loaded).value());
  auto id = wf.execute(book, {});
  ASSERT_TRUE(id) << describe(id.error());
  ASSERT_TRUE(eventually([&] {
    return std::filesystem::exists(child_pid_file) && !test::read_file(child_pid_file).empty();
  }));
  const pid_t child = std::stoi(test::read_file(child_pid_file));
  ASSERT_EQ(::kill(child, 0), 0) << "the child should be running";
  const auto t0 = std::chrono::steady_clock::now();
  auto answer = wf.kill(*id);
  ASSERT_TRUE(answer) << describe(answer.error());
  EXPECT_EQ(*answer, "cancelling");
  ASSERT_TRUE(eventually([&] {
    auto rec = wf.store().get(*id);
    return rec && rec->state == model::workflow_state::cancelled;
  }));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  auto rec = wf.store().get(*id);
  EXPECT_EQ(rec->reason, "killed by operator");
  EXPECT_EQ(rec->steps[1].status, model::step_status::pending) << "nothing runs after a kill";
  // The grandchild died with its group (reaped by init, so kill(pid, 0) fails).
  EXPECT_TRUE(eventually([&] { return ::kill(child, 0) != 0; }, 2s))
    << "child " << child << " survived";
  wf.stop();
  (*log)->close();
}

} // namespace
} // namespace vigil
