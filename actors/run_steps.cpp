#include "actors/run_state.hpp"

#include "actors/backoff.hpp"
#include "actors/run_render.hpp"

namespace vigil::actors::detail {

// -- actions -----------------------------------------------------------------------------------

void send_action(self_ptr self, const runbook::action& act, uint32_t index, const std::string& key,
                 purpose why) {
  auto& st = self->state;
  st.in_flight = true;
  st.in_flight_for = why;
  st.in_flight_key = key;
  st.in_flight_exec = act.kind == runbook::action_kind::exec;
  ++st.op_token;
  const run_view view{st.rec};
  const auto ctx = view.context();
  if (act.kind == runbook::action_kind::exec) {
    exec_request req;
    req.argv = render_argv(act, ctx);
    req.env = render_env(act, ctx);
    req.key = key;
    auto timeout = act.timeout;
    if (why == purpose::step && st.step_def().timeout.count() > 0)
      timeout = st.step_def().timeout;
    req.timeout = timeout.count() > 0 ? timeout : st.eng->options.default_exec_timeout;
    req.kill_grace = st.eng->options.kill_grace;
    req.env.emplace_back("VIGIL_WORKFLOW_ID", st.rec.id);
    req.env.emplace_back("VIGIL_STEP",
                         why == purpose::step ? st.book->steps[index].name : "rollback");
    self->send(st.eng->executor, exec_atom::value, st.op_token, std::move(req));
    return;
  }
  if (runbook::calls_integration(act.kind)) {
    if (!st.eng->integrations) {
      call_result r;
      r.failure = call_failure::error;
      r.error = "integration " + act.integration + " is not available";
      self->send(self, call_done_atom::value, st.op_token, std::move(r));
      return;
    }
    call_request req;
    req.integration = act.integration;
    req.action = std::string{runbook::to_string(act.kind)};
    req.params = render_params_json(act, ctx);
    req.key = key;
    req.fingerprint = model::fingerprint_hex(st.rec.trigger.fingerprint);
    if (act.timeout.count() > 0)
      req.timeout = act.timeout;
    self->send(st.eng->integrations, call_atom::value, st.op_token, std::move(req));
    return;
  }
  // log and noop finish at once (wait and approval never come here).
  exec_result r;
  r.exit_code = 0;
  if (act.kind == runbook::action_kind::log) {
    r.output = act.message.render(ctx);
    st.log("log", why == purpose::step ? st.book->steps[index].name : "", 0, r.output);
  }
  self->send(self, exec_done_atom::value, st.op_token, std::move(r));
}

// -- the state machine -------------------------------------------------------------------------

void run_next(self_ptr self) {
  auto& st = self->state;
  auto& rec = st.rec;
  if (model::is_terminal(rec.state))
    return;
  if (rec.cancel_requested)
    return finish(self, workflow_state::cancelled, rec.reason.empty() ? "cancelled" : rec.reason);
  if (st.pause_requested) {
    st.pause_requested = false;
    rec.paused_from = workflow_state::running;
    st.set_state(workflow_state::paused, "paused by operator");
    return st.checkpoint([] {});
  }
  if (rec.rolling_back) {
    // Undo the next completed step that has a rollback, counting down.
    while (rec.rollback_next >= 0) {
      const auto j = static_cast<uint32_t>(rec.rollback_next);
      if (rec.steps[j].status == step_status::succeeded && st.book->steps[j].rollback) {
        st.log("rollback_started", st.book->steps[j].name, 0, "undoing " + st.book->steps[j].name);
        st.set_state(workflow_state::running, "rolling back");
        st.in_flight_step = static_cast<int32_t>(j);
        return st.checkpoint([self, j] {
          send_action(self, *self->state.book->steps[j].rollback, j,
                      self->state.key_for(j, "rollback"), purpose::rollback);
        });
      }
      --rec.rollback_next;
    }
    rec.rolling_back = false;
    return finish(self, workflow_state::failed, "rolled back");
  }
  if (rec.current_step >= rec.steps.size())
    return finish(self, workflow_state::completed, "");
  const auto& budget = st.book->budget;
  if (budget.max_attempts > 0 && rec.total_attempts >= budget.max_attempts)
    return needs_human(self, "over_budget");
  if (budget.max_duration.count() > 0
      && st.now() - rec.started_at
           >= std::chrono::duration_cast<std::chrono::nanoseconds>(budget.max_duration))
    return needs_human(self, "over_budget");
  start_attempt(self);
}

void start_attempt(self_ptr self) {
  auto& st = self->state;
  auto& rec = st.rec;
  auto& sr = st.step_rec();
  const auto& def = st.step_def();
  sr.status = step_status::running;
  ++sr.attempts;
  ++rec.total_attempts;
  sr.started_at = st.now();
  sr.error.clear();
  st.eng->stats.step_attempts.fetch_add(1, std::memory_order_relaxed);
  st.log("step_started", def.name, sr.attempts,
         "attempt " + std::to_string(sr.attempts) + " (key "
           + st.key_for(rec.current_step, std::to_string(sr.attempts)) + ")");
  const auto index = rec.current_step;
  switch (def.action.kind) {
    case runbook::action_kind::wait: {
      const auto delay = def.action.duration;
      rec.wake_at = st.now() + std::chrono::duration_cast<std::chrono::nanoseconds>(delay);
      st.set_state(workflow_state::waiting, def.action.until_resolved ? "until resolved" : "");
      if (def.action.until_resolved && rec.resolved)
        return st.checkpoint([self] { step_succeeded(self, "already resolved", 0); });
      return st.checkpoint([self, delay] { self->state.arm_timer(delay, timer_kind::wait); });
    }
    case runbook::action_kind::approval: {
      rec.gate_step = def.name;
      const auto timeout = def.timeout.count() > 0 ? def.timeout : def.action.timeout;
      rec.wake_at = timeout.count() > 0
                      ? st.now() + std::chrono::duration_cast<std::chrono::nanoseconds>(timeout)
                      : model::timestamp{};
      st.set_state(workflow_state::awaiting_gate, "approval " + def.name);
      st.log("gate", def.name, sr.attempts, "waiting for approval");
      return st.checkpoint([self, timeout] {
        if (timeout.count() > 0)
          self->state.arm_timer(timeout, timer_kind::gate);
      });
    }
    default:
      st.set_state(workflow_state::running);
      st.checkpoint([self, index] {
        auto& s = self->state;
        send_action(self, s.book->steps[index].action, index,
                    s.key_for(index, std::to_string(s.rec.steps[index].attempts)), purpose::step);
      });
  }
}

void step_succeeded(self_ptr self, std::string output, int exit_code) {
  auto& st = self->state;
  auto& rec = st.rec;
  auto& sr = st.step_rec();
  sr.status = step_status::succeeded;
  sr.output = std::move(output);
  sr.exit_code = exit_code;
  sr.finished_at = st.now();
  rec.wake_at = {};
  rec.gate_step.clear();
  rec.same_failures = 0;
  rec.last_failure_hash = 0;
  st.log("step_finished", sr.name, sr.attempts, "succeeded");
  ++rec.current_step;
  st.set_state(workflow_state::running);
  // The step's end and what comes next (the next step's start, or the end of the run) are
  // checkpointed together, before the next side effect.
  run_next(self);
}

void step_failed(self_ptr self, failure_kind kind, std::string error, std::string output,
                 int exit_code, milliseconds retry_after, bool retryable) {
  auto& st = self->state;
  auto& rec = st.rec;
  auto& sr = st.step_rec();
  const auto& def = st.step_def();
  sr.status = step_status::failed;
  sr.error = error;
  sr.output = std::move(output);
  sr.exit_code = exit_code;
  sr.finished_at = st.now();
  rec.wake_at = {};
  rec.error = error;
  st.log("step_finished", sr.name, sr.attempts, "failed: " + error);
  // Stall: the same failure (error and output) three attempts in a row.
  const auto h = std::hash<std::string>{}(error + '\x1f' + sr.output);
  if (h == rec.last_failure_hash) {
    ++rec.same_failures;
  } else {
    rec.last_failure_hash = h;
    rec.same_failures = 1;
  }
  if (rec.same_failures >= 3)
    return needs_human(self, "stalled");
  const auto& budget = st.book->budget;
  if (budget.max_attempts > 0 && rec.total_attempts >= budget.max_attempts)
    return needs_human(self, "over_budget");
  const uint8_t bit = kind == failure_kind::error     ? runbook::retry_on_error
                      : kind == failure_kind::timeout ? runbook::retry_on_timeout
                                                      : runbook::retry_on_rate_limited;
  if (retryable && sr.attempts < def.retry.attempts && (def.retry.retry_on & bit) != 0) {
    auto delay = std::max(backoff_delay(def.retry, sr.attempts, st.rng), retry_after);
    rec.wake_at = st.now() + std::chrono::duration_cast<std::chrono::nanoseconds>(delay);
    st.eng->stats.step_retries.fetch_add(1, std::memory_order_relaxed);
    st.eng->probe.on_retry(rec.runbook, sr.name);
    st.log("backoff", sr.name, sr.attempts, "retrying in " + model::format_duration(delay));
    st.set_state(workflow_state::waiting, "backoff");
    return st.checkpoint([self, delay] { self->state.arm_timer(delay, timer_kind::backoff); });
  }
  apply_strategy(self, std::move(error));
}

void apply_strategy(self_ptr self, std::string error) {
  auto& st = self->state;
  auto& rec = st.rec;
  const auto strategy = st.step_def().on_failure.value_or(st.book->on_failure);
  st.log("recovery", st.step_rec().name, 0,
         std::string{"on_failure: "} + std::string{runbook::to_string(strategy)});
  static constexpr auto outcome_of = [](runbook::failure_strategy x) {
    switch (x) {
      case runbook::failure_strategy::fail:
        return "failed";
      case runbook::failure_strategy::rollback:
        return "rolling_back";
      case runbook::failure_strategy::skip:
        return "skipped";
      case runbook::failure_strategy::escalate:
        return "escalated";
      default:
        return "needs_human";
    }
  };
  st.eng->probe.on_recovery(runbook::to_string(strategy), outcome_of(strategy));
  switch (strategy) {
    case runbook::failure_strategy::fail:
      return finish(self, workflow_state::failed, std::move(error));
    case runbook::failure_strategy::retry:
      return needs_human(self, "retries_exhausted");
    case runbook::failure_strategy::rollback:
      rec.rolling_back = true;
      rec.rollback_next = static_cast<int32_t>(rec.current_step) - 1;
      return st.checkpoint([self] { run_next(self); });
    case runbook::failure_strategy::skip:
      st.step_rec().status = step_status::skipped;
      ++rec.current_step;
      st.set_state(workflow_state::running);
      return st.checkpoint([self] { run_next(self); });
    case runbook::failure_strategy::manual:
      return needs_human(self, "manual");
    case runbook::failure_strategy::escalate:
      needs_human(self, "escalated");
      if (st.book->escalation) {
        // After the needs_human checkpoint (queued behind it), call the escalation.
        auto prev = std::move(st.after_write);
        st.after_write = [self, prev = std::move(prev)] {
          if (prev)
            prev();
          send_action(self, *self->state.book->escalation, self->state.rec.current_step,
                      self->state.key_for(self->state.rec.current_step, "escalation"),
                      purpose::escalation);
        };
      }
      return;
  }
}

void needs_human(self_ptr self, std::string reason) {
  auto& st = self->state;
  st.cancel_timer();
  st.rec.wake_at = {};
  st.eng->stats.needs_human.fetch_add(1, std::memory_order_relaxed);
  st.set_state(workflow_state::needs_human, std::move(reason));
  st.checkpoint([] {});
}

void finish(self_ptr self, workflow_state s, std::string reason) {
  auto& st = self->state;
  auto& rec = st.rec;
  st.cancel_timer();
  ++st.deadline_token;
  rec.wake_at = {};
  rec.finished_at = st.now();
  rec.cancel_requested = false;
  if (s == workflow_state::failed && !reason.empty())
    rec.error = reason;
  st.set_state(s, std::move(reason));
  auto& stats = st.eng->stats;
  if (s == workflow_state::completed)
    stats.completed.fetch_add(1, std::memory_order_relaxed);
  else if (s == workflow_state::failed)
    stats.failed.fetch_add(1, std::memory_order_relaxed);
  else
    stats.cancelled.fetch_add(1, std::memory_order_relaxed);
  const auto from =
    rec.started_at.time_since_epoch().count() != 0 ? rec.started_at : rec.created_at;
  st.eng->probe.on_finished(rec.runbook, model::to_string(s), rec.finished_at - from);
  st.checkpoint([self, s] {
    self->send(self->state.manager, finished_atom::value, self->state.rec.id, s);
    self->quit();
  });
}

// -- results -----------------------------------------------------------------------------------

void on_result(self_ptr self, bool ok, failure_kind kind, std::string error, std::string output,
               int exit_code, milliseconds retry_after, bool killed) {
  auto& st = self->state;
  st.in_flight = false;
  const auto why = st.in_flight_for;
  if (st.run_timed_out && why == purpose::step)
    return step_failed(self, failure_kind::timeout, "the run exceeded its timeout",
                       std::move(output), exit_code, milliseconds{0}, false);
  if (killed && !st.rec.cancel_requested) {
    // Killed from outside Vigil's own kill command (a shutdown): stop like a cancel.
    st.rec.cancel_requested = true;
    st.rec.reason = "killed";
  }
  if (why == purpose::escalation) {
    st.log("escalation", "", 0, ok ? "escalation sent" : "escalation failed: " + error);
    return st.checkpoint([] {});
  }
  if (why == purpose::rollback) {
    const auto j = static_cast<uint32_t>(st.in_flight_step);
    if (ok) {
      st.rec.steps[j].status = step_status::rolled_back;
      st.log("rollback_finished", st.book->steps[j].name, 0, "rolled back");
      --st.rec.rollback_next;
      return st.checkpoint([self] { run_next(self); });
    }
    st.log("rollback_finished", st.book->steps[j].name, 0, "rollback failed: " + error);
    return needs_human(self, "rollback_failed");
  }
  if (st.rec.cancel_requested) {
    auto& sr = st.step_rec();
    sr.status = ok ? step_status::succeeded : step_status::cancelled;
    sr.output = std::move(output);
    sr.exit_code = exit_code;
    sr.finished_at = st.now();
    return finish(self, workflow_state::cancelled,
                  st.rec.reason.empty() ? "cancelled" : st.rec.reason);
  }
  if (ok)
    return step_succeeded(self, std::move(output), exit_code);
  step_failed(self, kind, std::move(error), std::move(output), exit_code, retry_after, true);
}

// -- start and recovery ------------------------------------------------------------------------

void arm_deadline(self_ptr self) {
  auto& st = self->state;
  const auto timeout =
    st.book->timeout.count() > 0 ? st.book->timeout : st.eng->options.default_run_timeout;
  const auto deadline =
    st.rec.created_at + std::chrono::duration_cast<std::chrono::nanoseconds>(timeout);
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - st.now());
  const auto token = ++st.deadline_token;
  st.schedule(std::max(left, milliseconds{0}), token | deadline_bit);
}

void begin(self_ptr self) {
  auto& st = self->state;
  auto& rec = st.rec;
  arm_deadline(self);
  switch (rec.state) {
    case workflow_state::pending:
      // Leaving pending and starting the first step are one checkpoint (written by the step).
      rec.started_at = st.now();
      st.eng->stats.started.fetch_add(1, std::memory_order_relaxed);
      st.eng->probe.on_started(
        rec.runbook, rec.event_seq != 0 && rec.trigger.received_at.time_since_epoch().count() != 0
                       ? rec.started_at - rec.trigger.received_at
                       : std::chrono::nanoseconds{-1});
      st.set_state(workflow_state::running);
      return run_next(self);
    case workflow_state::running:
      // After a restart: a step that was running runs again, as its next attempt.
      st.log("resumed", "", 0, "resumed after a restart");
      if (!rec.rolling_back && rec.current_step < rec.steps.size()
          && rec.steps[rec.current_step].status == step_status::running)
        rec.steps[rec.current_step].status = step_status::pending;
      return st.checkpoint([self] { run_next(self); });
    case workflow_state::waiting: {
      // Re-arm with the time left (at once when overdue).
      const auto left = std::chrono::duration_cast<milliseconds>(rec.wake_at - st.now());
      const bool is_wait = rec.current_step < rec.steps.size()
                           && st.step_def().action.kind == runbook::action_kind::wait
                           && st.step_rec().status == step_status::running;
      if (st.woken)
        return st.arm_timer(left, is_wait ? timer_kind::wait : timer_kind::backoff);
      st.log("resumed", "", 0, "timer re-armed");
      return st.checkpoint([self, left, is_wait] {
        self->state.arm_timer(left, is_wait ? timer_kind::wait : timer_kind::backoff);
      });
    }
    case workflow_state::awaiting_gate:
      if (model::to_unix_nanos(rec.wake_at) != 0)
        st.arm_timer(std::chrono::duration_cast<milliseconds>(rec.wake_at - st.now()),
                     timer_kind::gate);
      return;
    default:
      return; // paused and needs_human wait for an operator
  }
}

void maybe_hibernate(self_ptr self) {
  auto& st = self->state;
  const auto& rec = st.rec;
  const auto after = st.eng->options.hibernate_after;
  if (after.count() <= 0 || st.writing || st.in_flight || st.pause_requested
      || st.eng->stopping.load())
    return;
  const bool parked = rec.state == workflow_state::awaiting_gate
                      || rec.state == workflow_state::paused
                      || rec.state == workflow_state::needs_human
                      || (rec.state == workflow_state::waiting && st.timer != timer_kind::none
                          && rec.wake_at - st.now() >= after);
  if (!parked)
    return;
  // Its timers are with the manager, which brings it back when one is due or when someone
  // addresses it.
  self->send(st.manager, hibernate_atom::value, rec.id);
  self->quit();
}

} // namespace vigil::actors::detail
