#include <filesystem>

#include "tests/actors/workflow_fixture.hpp"

namespace vigil::test {
namespace {

using namespace std::chrono_literals;
using actors::approve_atom;
using actors::cancel_atom;
using actors::gate_decision;
using actors::pause_atom;
using actors::reject_atom;
using actors::resume_atom;
using actors::resume_options;
using model::step_status;
using model::workflow_state;

std::chrono::milliseconds until_wake(const model::workflow_record& rec,
                                     const model::manual_clock& clk) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(rec.wake_at - clk.now());
}

TEST_F(workflow_fixture, noop_and_log_steps_complete_with_every_change_checkpointed) {
  auto book = load(R"(
name: simple
parameters: {who: nobody}
steps:
  - {name: first, action: noop}
  - {name: say, action: log, message: "hello {{ params.who }} from {{ workflow.id }}"}
)");
  const auto id = execute(book, {{"who", "ops"}});
  const auto rec = record(id);
  EXPECT_EQ(rec.state, workflow_state::completed);
  ASSERT_EQ(rec.steps.size(), 2U);
  EXPECT_EQ(rec.steps[0].status, step_status::succeeded);
  EXPECT_EQ(rec.steps[1].output, "hello ops from " + id);
  EXPECT_EQ(rec.params.at("who"), "ops");
  const auto t = timeline(id);
  EXPECT_NE(t.find("created::started by hand"), std::string::npos) << t;
  EXPECT_NE(t.find("step_started:first:attempt 1 (key " + id + "/0/1)"), std::string::npos) << t;
  EXPECT_NE(t.find("log:say:hello ops"), std::string::npos) << t;
  EXPECT_NE(t.find("state::completed"), std::string::npos) << t;
  EXPECT_EQ(eng.stats.completed.load(), 1U);
}

TEST_F(workflow_fixture, exec_gets_labels_as_single_literal_arguments_and_its_key) {
  auto book = load(R"(
name: echo
triggers: [{type: alert, labels: {alertname: Inject}}]
steps:
  - name: echo
    action: exec
    command: ["printf", "[%s]", "{{ labels.name }}"]
  - name: key
    action: exec
    command: ["sh", "-c", "printf %s \"$VIGIL_IDEMPOTENCY_KEY\""]
)");
  const auto pwned = dir.file("pwned");
  auto e = alert({{"alertname", "Inject"}, {"name", "x; touch " + pwned}});
  trigger(e, {book});
  auto runs = store->list({});
  ASSERT_TRUE(runs);
  ASSERT_EQ(runs->size(), 1U);
  const auto& rec = runs->front();
  EXPECT_EQ(rec.state, workflow_state::completed) << rec.error;
  EXPECT_EQ(rec.steps[0].output, "[x; touch " + pwned + "]");
  EXPECT_FALSE(std::filesystem::exists(pwned)) << "a label value ran as a command";
  EXPECT_EQ(rec.steps[1].output, rec.id + "/1/1");
  // The run's creation and the event's dispatched mark were one write.
  auto stored = log->get(e.seq);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, storage::event_state::dispatched);
}

TEST_F(workflow_fixture, retries_back_off_exponentially_within_the_jitter_bounds) {
  auto book = load(R"(
name: flaky
steps:
  - name: fail
    action: exec
    command: ["sh", "-c", "date +%N; exit 3"]
    retry: {attempts: 3, initial: 1s, multiplier: 2, max: 10s, jitter: 0.5}
)");
  const auto id = execute(book);
  auto rec = record(id);
  EXPECT_EQ(rec.state, workflow_state::waiting);
  EXPECT_EQ(rec.steps[0].attempts, 1U);
  auto wait = until_wake(rec, clock);
  EXPECT_GE(wait, 500ms);
  EXPECT_LE(wait, 1000ms);
  advance(wait);
  rec = record(id);
  EXPECT_EQ(rec.steps[0].attempts, 2U);
  wait = until_wake(rec, clock);
  EXPECT_GE(wait, 1000ms);
  EXPECT_LE(wait, 2000ms);
  advance(wait - 1ms);
  EXPECT_EQ(record(id).steps[0].attempts, 2U) << "fired early";
  advance(1ms);
  rec = record(id);
  EXPECT_EQ(rec.steps[0].attempts, 3U);
  EXPECT_EQ(rec.state, workflow_state::failed);
  EXPECT_EQ(rec.steps[0].exit_code, 3);
  EXPECT_EQ(rec.error, "exit code 3");
  EXPECT_EQ(rec.total_attempts, 3U);
}

TEST_F(workflow_fixture, skip_strategy_moves_on) {
  auto book = load(R"(
name: skipper
steps:
  - {name: broken, action: exec, command: ["false"], on_failure: skip}
  - {name: after, action: noop}
)");
  const auto rec = record(execute(book));
  EXPECT_EQ(rec.state, workflow_state::completed);
  EXPECT_EQ(rec.steps[0].status, step_status::skipped);
  EXPECT_EQ(rec.steps[1].status, step_status::succeeded);
}

TEST_F(workflow_fixture, rollback_undoes_completed_steps_in_reverse_order) {
  const auto file = dir.file("journal");
  auto book = load(R"(
name: rollbacks
on_failure: rollback
steps:
  - name: a
    action: exec
    command: ["sh", "-c", "echo a >> )"
                   + file + R"("]
    rollback: {action: exec, command: ["sh", "-c", "echo undo-a >> )"
                   + file + R"("]}
  - name: b
    action: exec
    command: ["sh", "-c", "echo b >> )"
                   + file + R"("]
    rollback: {action: exec, command: ["sh", "-c", "echo undo-b >> )"
                   + file + R"("]}
  - name: no-undo
    action: noop
  - name: c
    action: exec
    command: ["false"]
)");
  const auto rec = record(execute(book));
  EXPECT_EQ(read_file(file), "a\nb\nundo-b\nundo-a\n");
  EXPECT_EQ(rec.state, workflow_state::failed);
  EXPECT_EQ(rec.reason, "rolled back");
  EXPECT_EQ(rec.steps[0].status, step_status::rolled_back);
  EXPECT_EQ(rec.steps[1].status, step_status::rolled_back);
  EXPECT_EQ(rec.steps[2].status, step_status::succeeded);
  EXPECT_EQ(rec.steps[3].status, step_status::failed);
}

TEST_F(workflow_fixture, manual_strategy_waits_for_a_human_and_resumes_with_reset_failed) {
  const auto flag = dir.file("fixed");
  auto book = load(R"(
name: manual
steps:
  - {name: check, action: exec, command: ["test", "-e", ")"
                   + flag + R"("], on_failure: manual}
  - {name: done, action: noop}
)");
  const auto id = execute(book);
  auto rec = record(id);
  EXPECT_EQ(rec.state, workflow_state::needs_human);
  EXPECT_EQ(rec.reason, "manual");
  write_file(flag, "");
  auto answer = command(resume_atom::value, id, resume_options{true, ""});
  ASSERT_TRUE(answer) << describe(answer.error());
  EXPECT_EQ(*answer, "running");
  rec = record(id);
  EXPECT_EQ(rec.state, workflow_state::completed);
  EXPECT_EQ(rec.steps[0].attempts, 1U) << "reset_failed starts the step's count again";
}

TEST_F(workflow_fixture, escalate_strategy_needs_a_human_and_runs_the_escalation) {
  const auto file = dir.file("escalated");
  auto book = load(R"(
name: escalating
on_failure: escalate
escalation: {action: exec, command: ["sh", "-c", "echo paged >> )"
                   + file + R"("]}
steps:
  - {name: broken, action: exec, command: ["false"]}
)");
  const auto rec = record(execute(book));
  EXPECT_EQ(rec.state, workflow_state::needs_human);
  EXPECT_EQ(rec.reason, "escalated");
  EXPECT_EQ(read_file(file), "paged\n");
}

TEST_F(workflow_fixture, same_failure_three_times_is_a_stall) {
  auto book = load(R"(
name: stalling
steps:
  - name: same
    action: exec
    command: ["sh", "-c", "echo disk full; exit 1"]
    retry: {attempts: 10, initial: 1s, jitter: 0}
)");
  const auto id = execute(book);
  advance(1s);
  advance(2s);
  const auto rec = record(id);
  EXPECT_EQ(rec.steps[0].attempts, 3U);
  EXPECT_EQ(rec.state, workflow_state::needs_human);
  EXPECT_EQ(rec.reason, "stalled");
}

TEST_F(workflow_fixture, budget_caps_attempts_across_the_run) {
  auto book = load(R"(
name: budgeted
budget: {max_attempts: 2}
steps:
  - name: changing
    action: exec
    command: ["sh", "-c", "date +%N; exit 1"]
    retry: {attempts: 5, initial: 1s, jitter: 0}
)");
  const auto id = execute(book);
  advance(1s);
  const auto rec = record(id);
  EXPECT_EQ(rec.total_attempts, 2U);
  EXPECT_EQ(rec.state, workflow_state::needs_human);
  EXPECT_EQ(rec.reason, "over_budget");
}

TEST_F(workflow_fixture, wait_fires_after_its_duration) {
  auto book = load(R"(
name: waiter
steps:
  - {name: pause, action: wait, duration: 5s}
  - {name: after, action: noop}
)");
  const auto id = execute(book);
  EXPECT_EQ(record(id).state, workflow_state::waiting);
  advance(4s);
  EXPECT_EQ(record(id).state, workflow_state::waiting);
  advance(1s);
  EXPECT_EQ(record(id).state, workflow_state::completed);
}

TEST_F(workflow_fixture, wait_until_resolved_ends_when_the_alert_resolves) {
  auto book = load(R"(
name: until-resolved
triggers: [{type: alert, labels: {alertname: Flapping}}]
steps:
  - {name: hold, action: wait, duration: 10m, until: resolved}
  - {name: after, action: noop}
)");
  auto firing = alert({{"alertname", "Flapping"}, {"instance", "a"}});
  trigger(firing, {book});
  auto runs = store->list({});
  ASSERT_EQ(runs->size(), 1U);
  const auto id = runs->front().id;
  EXPECT_EQ(record(id).state, workflow_state::waiting);
  // The same alert again starts nothing new.
  trigger(alert({{"alertname", "Flapping"}, {"instance", "a"}}), {book});
  EXPECT_EQ(store->list({})->size(), 1U);
  auto resolved =
    alert({{"alertname", "Flapping"}, {"instance", "a"}}, model::event_status::resolved);
  trigger(resolved, {}); // matches no runbook (firing-only trigger) but reaches the run
  const auto rec = record(id);
  EXPECT_EQ(rec.state, workflow_state::completed);
  EXPECT_TRUE(rec.resolved);
  EXPECT_EQ(rec.steps[0].output, "resolved");
  EXPECT_EQ(log->get(resolved.seq)->state, storage::event_state::dispatched);
}

TEST_F(workflow_fixture, approval_gate_approve_reject_and_timeout) {
  auto book = load(R"(
name: gated
steps:
  - {name: approve, action: approval, timeout: 1m}
  - {name: act, action: noop}
)");
  const auto approved = execute(book);
  EXPECT_EQ(record(approved).state, workflow_state::awaiting_gate);
  EXPECT_EQ(record(approved).gate_step, "approve");
  auto answer = command(approve_atom::value, approved, gate_decision{"", "alice", "looks safe"});
  ASSERT_TRUE(answer);
  auto rec = record(approved);
  EXPECT_EQ(rec.state, workflow_state::completed);
  EXPECT_EQ(rec.decided_by, "alice");
  EXPECT_NE(timeline(approved).find("approved by alice: looks safe"), std::string::npos);
  // No open gate any more: a conflict.
  auto again = command(approve_atom::value, approved, gate_decision{"", "alice", ""});
  ASSERT_FALSE(again);
  EXPECT_EQ(code_of(again.error()), errc::conflict);

  const auto rejected = execute(book);
  answer = command(reject_atom::value, rejected, gate_decision{"approve", "bob", "not now"});
  ASSERT_TRUE(answer);
  rec = record(rejected);
  EXPECT_EQ(rec.state, workflow_state::failed);
  EXPECT_EQ(rec.error, "rejected by bob: not now");

  const auto timed_out = execute(book);
  advance(59s);
  EXPECT_EQ(record(timed_out).state, workflow_state::awaiting_gate);
  advance(1s);
  rec = record(timed_out);
  EXPECT_EQ(rec.state, workflow_state::failed);
  EXPECT_EQ(rec.error, "approval timed out");
}

TEST_F(workflow_fixture, cancel_while_waiting_is_immediate_and_unknown_ids_are_not_found) {
  auto book = load(R"(
name: long-wait
steps:
  - {name: hold, action: wait, duration: 1h}
  - {name: never, action: noop}
)");
  const auto id = execute(book);
  auto answer = command(cancel_atom::value, id);
  ASSERT_TRUE(answer);
  EXPECT_EQ(*answer, "cancelled");
  auto rec = record(id);
  EXPECT_EQ(rec.state, workflow_state::cancelled);
  EXPECT_EQ(rec.steps[1].status, step_status::pending);
  auto missing = command(cancel_atom::value, std::string{"wf-does-not-exist"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(code_of(missing.error()), errc::not_found);
  // Cancel or kill of a run that has ended changes nothing and answers its final state; other
  // commands are a conflict.
  auto again = command(cancel_atom::value, id);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, "cancelled");
  auto killed = command(actors::kill_atom::value, id);
  ASSERT_TRUE(killed);
  EXPECT_EQ(*killed, "cancelled");
  EXPECT_EQ(record(id).state, workflow_state::cancelled);
  auto paused = command(pause_atom::value, id);
  ASSERT_FALSE(paused);
  EXPECT_EQ(code_of(paused.error()), errc::conflict);
}

TEST_F(workflow_fixture, cancel_during_a_step_takes_effect_at_the_next_boundary) {
  const auto file = dir.file("ran");
  auto book = load(R"(
name: two-steps
steps:
  - {name: first, action: exec, command: ["sh", "-c", "echo first >> )"
                   + file + R"("]}
  - {name: second, action: exec, command: ["sh", "-c", "echo second >> )"
                   + file + R"("]}
)");
  self->send(manager, actors::execute_atom::value, actors::execute_request{book, {}});
  // Run until the first command waits in the executor's mailbox, then cancel.
  auto* executor = caf::actor_cast<caf::abstract_actor*>(eng.executor);
  for (int i = 0;
       i < 100
       && std::find(sched.jobs.begin(), sched.jobs.end(), dynamic_cast<caf::resumable*>(executor))
            == sched.jobs.end();
       ++i)
    sched.run_once();
  std::string id;
  self->receive([&](std::string& s) { id = s; }, caf::after(std::chrono::seconds{0}) >> [] {});
  ASSERT_FALSE(id.empty());
  self->send(manager, cancel_atom::value, id);
  sched.prioritize(manager);
  sched.run_once(); // the manager forwards the command
  consume_messages();
  const auto rec = record(id);
  EXPECT_EQ(rec.state, workflow_state::cancelled);
  EXPECT_EQ(read_file(file), "first\n") << "the step in flight finishes; nothing after it runs";
  EXPECT_EQ(rec.steps[1].status, step_status::pending);
}

TEST_F(workflow_fixture, pause_and_resume_from_a_step) {
  auto book = load(R"(
name: pausable
steps:
  - {name: first, action: log, message: one}
  - {name: hold, action: wait, duration: 10s}
  - {name: last, action: log, message: two}
)");
  const auto id = execute(book);
  auto answer = command(pause_atom::value, id);
  ASSERT_TRUE(answer);
  EXPECT_EQ(*answer, "paused");
  advance(30s);
  EXPECT_EQ(record(id).state, workflow_state::paused) << "a paused run ignores its timers";
  auto again = command(pause_atom::value, id);
  EXPECT_EQ(code_of(again.error()), errc::conflict);
  answer = command(resume_atom::value, id, resume_options{false, "last"});
  ASSERT_TRUE(answer);
  const auto rec = record(id);
  EXPECT_EQ(rec.state, workflow_state::completed);
  EXPECT_EQ(rec.steps[2].output, "two");
  auto bad = command(resume_atom::value, id, resume_options{false, "nope"});
  EXPECT_FALSE(bad);
}

TEST_F(workflow_fixture, concurrency_skip_queue_and_replace) {
  const std::string steps = R"(
steps:
  - {name: gate, action: approval}
)";
  auto skip =
    load("name: skip\nconcurrency: {key: \"{{ labels.instance }}\", policy: skip}" + steps);
  auto queue =
    load("name: queue\nconcurrency: {key: \"{{ labels.instance }}\", policy: queue}" + steps);
  auto replace =
    load("name: replace\nconcurrency: {key: \"{{ labels.instance }}\", policy: replace}" + steps);
  // Two alerts (different fingerprints) for one instance.
  auto first = alert({{"alertname", "A"}, {"instance", "web-1"}});
  auto second = alert({{"alertname", "B"}, {"instance", "web-1"}});
  trigger(first, {skip, queue, replace});
  trigger(second, {skip, queue, replace});
  auto by_runbook = [&](const std::string& name) {
    storage::workflow_query q;
    q.runbook = name;
    return *store->list(q);
  };
  EXPECT_EQ(by_runbook("skip").size(), 1U) << "skip: the second starts nothing";
  auto queued = by_runbook("queue");
  ASSERT_EQ(queued.size(), 2U);
  EXPECT_EQ(queued[0].state, workflow_state::pending) << "newest first: the second waits";
  EXPECT_EQ(queued[1].state, workflow_state::awaiting_gate);
  auto replaced = by_runbook("replace");
  ASSERT_EQ(replaced.size(), 2U);
  EXPECT_EQ(replaced[1].state, workflow_state::cancelled) << "replace cancels the older run";
  EXPECT_EQ(replaced[0].state, workflow_state::awaiting_gate);
  // The queued one starts when the first finishes.
  ASSERT_TRUE(command(approve_atom::value, queued[1].id, gate_decision{"", "ops", ""}));
  EXPECT_EQ(record(queued[0].id).state, workflow_state::awaiting_gate);
}

TEST_F(workflow_fixture, max_concurrent_keeps_extra_runs_pending_in_order) {
  eng.options.max_concurrent = 1;
  auto book = load(R"(
name: one-at-a-time
steps:
  - {name: gate, action: approval}
)");
  const auto a = execute(book);
  const auto b = execute(book);
  const auto c = execute(book);
  EXPECT_EQ(record(a).state, workflow_state::awaiting_gate);
  EXPECT_EQ(record(b).state, workflow_state::pending);
  EXPECT_EQ(record(c).state, workflow_state::pending);
  // A pending run can be cancelled before it ever starts.
  ASSERT_TRUE(command(cancel_atom::value, b));
  EXPECT_EQ(record(b).state, workflow_state::cancelled);
  ASSERT_TRUE(command(approve_atom::value, a, gate_decision{"", "ops", ""}));
  EXPECT_EQ(record(a).state, workflow_state::completed);
  EXPECT_EQ(record(c).state, workflow_state::awaiting_gate);
}

TEST_F(workflow_fixture, dedup_window_holds_back_a_new_run_of_the_same_alert_then_forgets_it) {
  auto book = load("name: quiet\ndedup_window: 5m\nsteps:\n  - {name: a, action: noop}\n");
  const auto e = alert({{"alertname", "DiskFull"}, {"instance", "db-1"}});
  trigger(e, {book});
  EXPECT_EQ(eng.stats.completed.load(), 1U);
  EXPECT_EQ(eng.stats.recently_finished.load(), 1);
  advance(4min);
  trigger(e, {book}); // within the window: nothing starts
  EXPECT_EQ(eng.stats.created.load(), 1U);
  advance(2min);
  trigger(e, {book}); // past it
  EXPECT_EQ(eng.stats.created.load(), 2U);
  EXPECT_EQ(eng.stats.completed.load(), 2U);
  // A thousand other alerts finish after the window: the marks past it are dropped, so the
  // manager holds the alerts of one window, not every alert it has seen.
  advance(6min);
  for (int i = 0; i < 1024; ++i)
    trigger(alert({{"alertname", "DiskFull"}, {"instance", "host-" + std::to_string(i)}}), {book});
  EXPECT_EQ(eng.stats.completed.load(), 1026U);
  EXPECT_EQ(eng.stats.recently_finished.load(), 1024) << "db-1's mark is forgotten";
  // A runbook without a window remembers nothing.
  auto plain = load("name: plain\nsteps:\n  - {name: a, action: noop}\n");
  trigger(e, {plain});
  trigger(e, {plain});
  EXPECT_EQ(eng.stats.recently_finished.load(), 1024);
  EXPECT_EQ(eng.stats.completed.load(), 1028U);
}

} // namespace
} // namespace vigil::test
