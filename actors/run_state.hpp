#pragma once

// Internal to the workflow run actor (actors/workflow_run.cpp, actors/run_steps.cpp): its
// state and the steps of its state machine. Not for other users.

#include <functional>
#include <random>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/engine.hpp"
#include "actors/messages.hpp"
#include "runtime/model/workflow.hpp"
#include "runtime/runbook/runbook.hpp"

namespace vigil::actors::detail {

using model::step_status;
using model::workflow_state;
using std::chrono::milliseconds;

/// What a command or call in flight is for.
enum class purpose : uint8_t { step, rollback, escalation };

/// What a timer is for.
enum class timer_kind : uint8_t { none, backoff, wait, gate };

/// Marks a timer token as the run's deadline (kept apart from step timers).
inline constexpr uint64_t deadline_bit = uint64_t{1} << 63;

/// How an attempt failed, as retry_on sees it.
enum class failure_kind : uint8_t { error, timeout, rate_limited };

struct run_state {
  static inline const char* name = "vigil.workflow";

  caf::event_based_actor* self = nullptr;
  engine* eng = nullptr;
  caf::actor manager;
  runbook::runbook_ptr book;
  model::workflow_record rec;

  // -- checkpointing -----------------------------------------------------------------------
  std::vector<model::workflow_log_entry> unwritten; // log lines for the next checkpoint
  bool writing = false;                             // a checkpoint is in flight
  std::function<void()> after_write;                // runs once it is durable

  // -- timers and work in flight -----------------------------------------------------------
  uint64_t timer_token = 0;
  timer_kind timer = timer_kind::none;
  uint64_t deadline_token = 0;
  uint64_t op_token = 0;
  bool in_flight = false;
  purpose in_flight_for = purpose::step;
  int32_t in_flight_step = -1; // the rollback's step
  std::string in_flight_key;
  bool in_flight_exec = false; // the work in flight is a command (a cancel can stop it)
  bool pause_requested = false;
  bool woken = false; // back from hibernation
  bool run_timed_out = false;
  std::minstd_rand rng; // jitter only: 8 bytes of state, not mt19937's 2.5 KB per run

  // -- helpers -------------------------------------------------------------------------------

  [[nodiscard]] model::timestamp now() const { return eng->clock->now(); }

  [[nodiscard]] const runbook::step& step_def() const { return book->steps[rec.current_step]; }
  [[nodiscard]] model::step_record& step_rec() { return rec.steps[rec.current_step]; }

  void log(std::string kind, std::string step, uint32_t attempt, std::string message) {
    model::workflow_log_entry e;
    e.seq = ++rec.log_seq;
    e.at = now();
    e.kind = std::move(kind);
    e.step = std::move(step);
    e.attempt = attempt;
    e.message = std::move(message);
    unwritten.push_back(std::move(e));
  }

  void set_state(workflow_state s, std::string reason = {}) {
    if (rec.state == s && rec.reason == reason)
      return;
    rec.state = s;
    rec.reason = std::move(reason);
    log("state", "", 0,
        std::string{model::to_string(s)} + (rec.reason.empty() ? "" : ": " + rec.reason));
  }

  /// Writes the record and the new log lines; `next` runs once they are durable.
  void checkpoint(std::function<void()> next) {
    rec.updated_at = now();
    storage::workflow_write w;
    w.records.push_back(rec);
    for (auto& e : unwritten)
      w.log.emplace_back(rec.id, std::move(e));
    unwritten.clear();
    writing = true;
    after_write = std::move(next);
    pending_write = w; // released once durable
    auto me = caf::actor_cast<caf::actor>(self);
    eng->persist(std::move(w), [me](caf::error err) {
      caf::anon_send(me, checkpointed_atom::value, std::move(err));
    });
  }
  storage::workflow_write pending_write; // kept to retry after a storage error

  /// Writes `pending_write` again (after a storage error).
  void rewrite() {
    auto me = caf::actor_cast<caf::actor>(self);
    eng->persist(pending_write, [me](caf::error err) {
      caf::anon_send(me, checkpointed_atom::value, std::move(err));
    });
  }

  void arm_timer(milliseconds delay, timer_kind kind) {
    timer = kind;
    ++timer_token;
    schedule(delay, timer_token);
  }

  /// Asks the manager for `(timer_atom, token)` after `delay` (now when overdue).
  void schedule(milliseconds delay, uint64_t token) {
    if (delay.count() <= 0) {
      self->send(self, timer_atom::value, token);
      return;
    }
    const auto at = now() + std::chrono::duration_cast<std::chrono::nanoseconds>(delay);
    self->send(manager, schedule_atom::value, rec.id, model::to_unix_nanos(at), token);
  }

  void cancel_timer() {
    timer = timer_kind::none;
    ++timer_token; // a timer already armed fires with a stale token and is ignored
  }

  [[nodiscard]] std::string key_for(uint32_t index, const std::string& attempt) const {
    return rec.id + "/" + std::to_string(index) + "/" + attempt;
  }
};

using self_ptr = caf::stateful_actor<run_state>*;

// -- the steps of the state machine (run_steps.cpp) ----------------------------------------
void run_next(self_ptr self);
void start_attempt(self_ptr self);
void step_succeeded(self_ptr self, std::string output, int exit_code);
void step_failed(self_ptr self, failure_kind kind, std::string error, std::string output,
                 int exit_code, milliseconds retry_after, bool retryable);
void apply_strategy(self_ptr self, std::string error);
void finish(self_ptr self, workflow_state s, std::string reason);
void needs_human(self_ptr self, std::string reason);

void send_action(self_ptr self, const runbook::action& act, uint32_t index, const std::string& key,
                 purpose why);
void on_result(self_ptr self, bool ok, failure_kind kind, std::string error, std::string output,
               int exit_code, milliseconds retry_after, bool killed);
void begin(self_ptr self);
void maybe_hibernate(self_ptr self);

} // namespace vigil::actors::detail
