#include "actors/workflow_run.hpp"

#include <caf/actor_system.hpp>

#include "actors/logger.hpp"
#include "actors/run_state.hpp"
#include "runtime/model/errc.hpp"

namespace vigil::actors {

using namespace detail;

namespace {

caf::error conflict(const run_state& st, const std::string& what) {
  return make_error(errc::conflict, "workflow " + st.rec.id + " is "
                                      + std::string{model::to_string(st.rec.state)} + ": " + what);
}

std::string describe_exec_failure(const exec_result& r, milliseconds timeout) {
  if (!r.error.empty())
    return r.error;
  if (r.timed_out)
    return "timed out after " + model::format_duration(timeout);
  if (r.killed)
    return "killed";
  if (r.signal != 0)
    return "ended by signal " + std::to_string(r.signal);
  return "exit code " + std::to_string(r.exit_code);
}

/// The run's deadline passed: a run past its timeout goes to its on_failure.
void on_deadline(self_ptr self) {
  auto& st = self->state;
  const auto s = st.rec.state;
  if (model::is_terminal(s) || s == workflow_state::paused || s == workflow_state::needs_human
      || s == workflow_state::awaiting_gate)
    return; // an operator is involved; the gate has its own timeout
  st.run_timed_out = true;
  st.log("timeout", "", 0, "the run exceeded its timeout");
  if (st.in_flight) {
    // Its result comes back (killed) and is taken as the run's timeout.
    st.eng->processes->kill(st.in_flight_key);
    return;
  }
  st.cancel_timer();
  if (st.rec.current_step < st.rec.steps.size())
    return step_failed(self, failure_kind::timeout, "the run exceeded its timeout", "", -1,
                       milliseconds{0}, false);
  finish(self, workflow_state::failed, "the run exceeded its timeout");
}

caf::behavior run_behavior(self_ptr self) {
  return {
    [=](checkpointed_atom, const caf::error& err) {
      auto& st = self->state;
      if (err) {
        engine_log.error("checkpoint failed; retrying in 1 s",
                         {{"workflow_id", st.rec.id}, {"error", describe(err)}});
        self->delayed_send(self, std::chrono::seconds{1}, checkpointed_atom::value,
                           caf::atom("retry"));
        return;
      }
      st.writing = false;
      st.pending_write = {};
      st.unwritten.shrink_to_fit();
      auto next = std::move(st.after_write);
      st.after_write = nullptr;
      // At shutdown the state is durable; the next side effect waits for the restart.
      if (next && !st.eng->stopping.load())
        next();
      maybe_hibernate(self);
    },
    [=](checkpointed_atom, caf::atom_value) { self->state.rewrite(); },
    [=](timer_atom, uint64_t token) -> caf::result<void> {
      auto& st = self->state;
      if (st.eng->stopping.load())
        return caf::unit;
      if (st.writing)
        return caf::skip;
      if ((token & deadline_bit) != 0) {
        if ((token & ~deadline_bit) == st.deadline_token)
          on_deadline(self);
        return caf::unit;
      }
      if (token != st.timer_token)
        return caf::unit; // stale
      const auto kind = st.timer;
      st.timer = timer_kind::none;
      switch (kind) {
        case timer_kind::backoff:
          run_next(self);
          break;
        case timer_kind::wait:
          step_succeeded(self, "waited " + model::format_duration(st.step_def().action.duration),
                         0);
          break;
        case timer_kind::gate:
          st.rec.gate_step.clear();
          st.log("gate", st.step_def().name, 0, "approval timed out");
          step_failed(self, failure_kind::timeout, "approval timed out", "", -1, milliseconds{0},
                      false);
          break;
        case timer_kind::none:
          break;
      }
      return caf::unit;
    },
    [=](exec_done_atom, uint64_t token, exec_result& r) -> caf::result<void> {
      auto& st = self->state;
      if (st.eng->stopping.load())
        return caf::unit;
      if (st.writing)
        return caf::skip;
      if (token != st.op_token || !st.in_flight)
        return caf::unit;
      const auto timeout =
        st.rec.current_step < st.book->steps.size() && st.step_def().timeout.count() > 0
          ? st.step_def().timeout
          : st.eng->options.default_exec_timeout;
      const auto kind = r.timed_out ? failure_kind::timeout : failure_kind::error;
      auto error = r.ok() ? std::string{} : describe_exec_failure(r, timeout);
      on_result(self, r.ok(), kind, std::move(error), std::move(r.output), r.exit_code,
                milliseconds{0}, r.killed);
      return caf::unit;
    },
    [=](call_done_atom, uint64_t token, call_result& r) -> caf::result<void> {
      auto& st = self->state;
      if (st.eng->stopping.load())
        return caf::unit;
      if (st.writing)
        return caf::skip;
      if (token != st.op_token || !st.in_flight)
        return caf::unit;
      const auto kind =
        r.failure == call_failure::timeout ? failure_kind::timeout
        : r.failure == call_failure::rate_limited || r.failure == call_failure::unavailable
          ? failure_kind::rate_limited
          : failure_kind::error;
      on_result(self, r.ok(), kind, r.error, std::move(r.output), r.status, r.retry_after, false);
      return caf::unit;
    },
    [=](resolved_atom) -> caf::result<void> {
      auto& st = self->state;
      if (st.writing)
        return caf::skip;
      if (st.rec.resolved || model::is_terminal(st.rec.state))
        return caf::unit;
      st.rec.resolved = true;
      st.log("resolved", "", 0, "the triggering alert resolved");
      if (st.rec.state == workflow_state::waiting && st.timer == timer_kind::wait
          && st.step_def().action.until_resolved) {
        st.cancel_timer();
        step_succeeded(self, "resolved", 0);
      } else {
        st.checkpoint([] {});
      }
      return caf::unit;
    },
    [=](cancel_atom) -> caf::result<std::string> {
      auto& st = self->state;
      if (st.writing)
        return caf::skip;
      if (model::is_terminal(st.rec.state))
        return conflict(st, "it has already ended");
      if (st.in_flight && st.in_flight_exec) {
        // The command is stopped: SIGTERM to its group now, SIGKILL after the grace. Its end
        // (killed) finishes the run as cancelled; nothing after it runs.
        st.rec.cancel_requested = true;
        st.rec.reason = "cancelled by operator";
        st.log("cancel", "", 0,
               "cancel requested; stopping the running command (SIGTERM, SIGKILL after "
                 + model::format_duration(st.eng->options.kill_grace) + ")");
        st.eng->processes->terminate(st.in_flight_key);
        st.checkpoint([] {});
        return std::string{"cancelling"};
      }
      if (st.in_flight) {
        // An integration call: abandoned (its answer, whenever it comes, is ignored).
        st.in_flight = false;
        ++st.op_token;
        if (st.in_flight_for == purpose::step) {
          auto& sr = st.step_rec();
          sr.status = step_status::cancelled;
          sr.error = "abandoned: the run was cancelled during the call";
          sr.finished_at = st.now();
        }
        st.log("cancel", "", 0, "cancelled; the integration call in flight was abandoned");
      }
      finish(self, workflow_state::cancelled, "cancelled by operator");
      return std::string{"cancelled"};
    },
    [=](kill_atom) -> caf::result<std::string> {
      auto& st = self->state;
      if (st.writing)
        return caf::skip;
      if (model::is_terminal(st.rec.state))
        return conflict(st, "it has already ended");
      if (st.in_flight) {
        st.rec.cancel_requested = true;
        st.rec.reason = "killed by operator";
        st.log("kill", "", 0, "killing the running command's process group");
        st.eng->processes->kill(st.in_flight_key);
        return std::string{"cancelling"};
      }
      finish(self, workflow_state::cancelled, "killed by operator");
      return std::string{"cancelled"};
    },
    [=](pause_atom) -> caf::result<std::string> {
      auto& st = self->state;
      if (st.writing)
        return caf::skip;
      switch (st.rec.state) {
        case workflow_state::running:
          if (st.in_flight) {
            st.pause_requested = true;
            st.log("pause", "", 0, "pause requested; pausing after the current step");
            return std::string{"pausing"};
          }
          [[fallthrough]];
        case workflow_state::waiting:
        case workflow_state::awaiting_gate:
          st.cancel_timer();
          st.rec.paused_from = st.rec.state;
          st.set_state(workflow_state::paused, "paused by operator");
          st.checkpoint([] {});
          return std::string{"paused"};
        default:
          return conflict(st, "only a running, waiting or gated run can be paused");
      }
    },
    [=](resume_atom, const resume_options& opts) -> caf::result<std::string> {
      auto& st = self->state;
      if (st.writing)
        return caf::skip;
      auto& rec = st.rec;
      if (rec.state != workflow_state::paused && rec.state != workflow_state::needs_human)
        return conflict(st, "only a paused or needs_human run can be resumed");
      if (!opts.from_step.empty()) {
        const int idx = st.book->step_index(opts.from_step);
        if (idx < 0)
          return make_error(errc::invalid_argument,
                            "runbook " + st.book->name + " has no step named " + opts.from_step);
        rec.current_step = static_cast<uint32_t>(idx);
        rec.steps[rec.current_step].status = step_status::pending;
        rec.steps[rec.current_step].attempts = 0;
        rec.rolling_back = false;
      }
      if (opts.reset_failed && rec.current_step < rec.steps.size()
          && rec.steps[rec.current_step].status == step_status::failed) {
        rec.steps[rec.current_step].attempts = 0;
        rec.steps[rec.current_step].status = step_status::pending;
      }
      rec.same_failures = 0;
      rec.last_failure_hash = 0;
      st.log("resume", "", 0,
             "resumed by operator"
               + (opts.from_step.empty() ? std::string{} : " from " + opts.from_step)
               + (opts.reset_failed ? " (failed step reset)" : ""));
      if (rec.state == workflow_state::paused && rec.paused_from == workflow_state::awaiting_gate
          && opts.from_step.empty()) {
        st.set_state(workflow_state::awaiting_gate, "approval " + rec.gate_step);
        st.checkpoint([self] {
          auto& s = self->state;
          if (model::to_unix_nanos(s.rec.wake_at) != 0)
            s.arm_timer(std::chrono::duration_cast<milliseconds>(s.rec.wake_at - s.now()),
                        timer_kind::gate);
        });
        return std::string{"awaiting_gate"};
      }
      st.set_state(workflow_state::running);
      st.checkpoint([self] { run_next(self); });
      return std::string{"running"};
    },
    [=](approve_atom, const gate_decision& d) -> caf::result<std::string> {
      auto& st = self->state;
      if (st.writing)
        return caf::skip;
      auto& rec = st.rec;
      if (rec.state != workflow_state::awaiting_gate)
        return conflict(st, "it has no open gate");
      if (!d.step.empty() && d.step != rec.gate_step)
        return conflict(st, "the open gate is " + rec.gate_step + ", not " + d.step);
      rec.decided_by = d.by;
      rec.decision_reason = d.reason;
      st.cancel_timer();
      st.log("gate", rec.gate_step, 0,
             "approved by " + d.by + (d.reason.empty() ? "" : ": " + d.reason));
      step_succeeded(self, "approved by " + d.by, 0);
      return std::string{model::to_string(rec.state)};
    },
    [=](reject_atom, const gate_decision& d) -> caf::result<std::string> {
      auto& st = self->state;
      if (st.writing)
        return caf::skip;
      auto& rec = st.rec;
      if (rec.state != workflow_state::awaiting_gate)
        return conflict(st, "it has no open gate");
      if (!d.step.empty() && d.step != rec.gate_step)
        return conflict(st, "the open gate is " + rec.gate_step + ", not " + d.step);
      rec.decided_by = d.by;
      rec.decision_reason = d.reason;
      st.cancel_timer();
      const auto gate = rec.gate_step;
      rec.gate_step.clear();
      st.log("gate", gate, 0, "rejected by " + d.by + (d.reason.empty() ? "" : ": " + d.reason));
      step_failed(self, failure_kind::error,
                  "rejected by " + d.by + (d.reason.empty() ? "" : ": " + d.reason), "", -1,
                  milliseconds{0}, false);
      return std::string{model::to_string(rec.state)};
    },
  };
}

} // namespace

caf::actor spawn_workflow_run(caf::actor_system& sys, engine* eng, const caf::actor& manager,
                              runbook::runbook_ptr book, model::workflow_record record,
                              bool woken) {
  // Everything goes in as spawn arguments: CAF 0.17 dereferences a null argument tuple when a
  // function is spawned without any (harmless, but undefined behaviour that UBSan reports).
  auto fn = [](caf::stateful_actor<run_state>* self, engine* eng, caf::actor manager, bool woken,
               runbook::runbook_ptr book, model::workflow_record record) -> caf::behavior {
    auto& st = self->state;
    st.self = self;
    st.eng = eng;
    st.manager = std::move(manager);
    st.book = std::move(book);
    st.rec = std::move(record);
    st.rng.seed(static_cast<std::minstd_rand::result_type>(
      eng->options.seed != 0 ? eng->options.seed : std::hash<std::string>{}(st.rec.id)));
    eng->stats.active.fetch_add(1, std::memory_order_relaxed);
    self->attach_functor([eng] { eng->stats.active.fetch_sub(1, std::memory_order_relaxed); });
    st.woken = woken;
    begin(self);
    return run_behavior(self);
  };
  return sys.spawn(fn, eng, manager, woken, std::move(book), std::move(record));
}

} // namespace vigil::actors
