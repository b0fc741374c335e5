#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "runtime/model/event.hpp"
#include "runtime/model/workflow.hpp"
#include "runtime/runbook/runbook.hpp"

namespace vigil::actors {

// -- atoms ------------------------------------------------------------------------------------

/// Dispatcher → manager: start the runs an event triggers.
using start_atom = caf::atom_constant<caf::atom("start")>;
/// Operator → manager: start a runbook by hand.
using execute_atom = caf::atom_constant<caf::atom("execute")>;
/// Manager → itself: the creation of runs is durable.
using created_atom = caf::atom_constant<caf::atom("created")>;
/// Run → manager: the run reached a state that frees its slot (terminal).
using finished_atom = caf::atom_constant<caf::atom("finished")>;
/// Run → itself: a checkpoint is durable.
using checkpointed_atom = caf::atom_constant<caf::atom("ckpted")>;
/// Run → itself: a timer (backoff, wait, gate or run timeout) fired.
using timer_atom = caf::atom_constant<caf::atom("timer")>;
/// Run → executor: run a command. Executor → run: `exec_done_atom`.
using exec_atom = caf::atom_constant<caf::atom("exec")>;
using exec_done_atom = caf::atom_constant<caf::atom("execdone")>;
/// Run → integration (circuit breaker) actor: call it. Back: `call_done_atom`.
using call_atom = caf::atom_constant<caf::atom("call")>;
using call_done_atom = caf::atom_constant<caf::atom("calldone")>;
/// Manager → run: the trigger alert resolved.
using resolved_atom = caf::atom_constant<caf::atom("resolved")>;
/// Operator commands (to the manager, which forwards them to the run).
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using kill_atom = caf::atom_constant<caf::atom("kill")>;
using pause_atom = caf::atom_constant<caf::atom("pause")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using approve_atom = caf::atom_constant<caf::atom("approve")>;
using reject_atom = caf::atom_constant<caf::atom("reject")>;
/// Anyone → manager: counts of runs by state.
using status_atom = caf::atom_constant<caf::atom("status")>;
/// App → manager: load and resume the unfinished runs after a start.
using recover_atom = caf::atom_constant<caf::atom("recover")>;
/// Run → manager: parked (a long wait, a gate, paused, needs_human), its state durable; it
/// leaves memory until `wake` (0: until someone addresses it). Manager → itself: wake-ups due.
using hibernate_atom = caf::atom_constant<caf::atom("hibernate")>;
using wake_atom = caf::atom_constant<caf::atom("wakeup")>;
/// Run → manager: send me `(timer_atom, token)` at this time (unix nanos). Runs keep no timers
/// of their own, so that a run that leaves memory leaves nothing behind in CAF's clock.
using schedule_atom = caf::atom_constant<caf::atom("schedule")>;

// -- commands ---------------------------------------------------------------------------------

/// A command's argv and environment, rendered: every element is data, no shell.
struct exec_request {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env; ///< added to the allowlisted environment
  std::chrono::milliseconds timeout{300'000};
  std::chrono::milliseconds kill_grace{5'000}; ///< SIGTERM, then SIGKILL after this
  std::string key;                             ///< idempotency key; also names the process
  std::size_t output_limit = 64 * 1024;
};

/// How a command ended.
struct exec_result {
  int exit_code = -1; ///< -1 when it did not exit normally
  int signal = 0;     ///< the signal that ended it, if any
  bool timed_out = false;
  bool killed = false; ///< an operator killed it
  bool truncated = false;
  std::string output; ///< stdout and stderr, interleaved, at most output_limit bytes
  std::string error;  ///< could not start it: why

  [[nodiscard]] bool ok() const noexcept {
    return error.empty() && !timed_out && !killed && exit_code == 0;
  }
};

// -- integration calls --------------------------------------------------------------------------

/// How an integration call failed (the step's `retry_on` decides what is retried).
enum class call_failure : uint8_t {
  none,
  error, ///< the call failed (4xx, bad answer, condition not met)
  timeout,
  rate_limited, ///< 429 or the integration's own limit
  unavailable,  ///< circuit open, integration disabled or paused
};

/// A step's call to an integration, rendered.
struct call_request {
  std::string integration;
  std::string action; ///< http | pagerduty | slack | alertmanager_silence | prometheus_query
  std::string params; ///< the step's params rendered as JSON
  std::string key;    ///< idempotency key
  std::string fingerprint;
  std::chrono::milliseconds timeout{10'000};
};

/// What an integration call gave.
struct call_result {
  call_failure failure = call_failure::none;
  int status = 0;     ///< HTTP status, 0 when none
  std::string output; ///< the answer (or the value a query found)
  std::string error;
  std::chrono::milliseconds retry_after{0}; ///< wait at least this before the next attempt

  [[nodiscard]] bool ok() const noexcept { return failure == call_failure::none; }
};

// -- operators --------------------------------------------------------------------------------

/// Arguments of `resume`.
struct resume_options {
  bool reset_failed = false; ///< forget the failed step's attempts
  std::string from_step;     ///< continue from this step instead
};

/// Who decided a gate, and why.
struct gate_decision {
  std::string step; ///< the approval step (empty: whichever is open)
  std::string by;
  std::string reason;
};

} // namespace vigil::actors

// Vigil's messages stay inside one process: CAF need not know how to serialize them.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::exec_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::exec_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::call_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::call_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::resume_options)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::gate_decision)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::model::event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::model::workflow_state)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<vigil::runbook::runbook_ptr>)
