#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/model/event.hpp"
#include "runtime/model/time.hpp"

namespace vigil::model {

/// Where a workflow run is (DESIGN.md, "Workflow states").
enum class workflow_state : uint8_t {
  pending,       ///< created, waiting for a slot (max_concurrent, concurrency key)
  running,       ///< a step is executing
  waiting,       ///< a backoff or `wait` timer is armed
  awaiting_gate, ///< an approval step waits for approve/reject
  paused,        ///< an operator paused it
  needs_human,   ///< retries or budget spent, stalled, or manual/escalate
  completed,
  failed,
  cancelled,
};

[[nodiscard]] std::string_view to_string(workflow_state s) noexcept;
[[nodiscard]] std::optional<workflow_state> parse_workflow_state(std::string_view s) noexcept;

/// completed, failed and cancelled: nothing more happens to the run.
[[nodiscard]] constexpr bool is_terminal(workflow_state s) noexcept {
  return s == workflow_state::completed || s == workflow_state::failed
         || s == workflow_state::cancelled;
}

/// Where one step of a run is.
enum class step_status : uint8_t {
  pending,
  running,
  succeeded,
  failed,
  skipped,
  rolled_back,
  cancelled,
};

[[nodiscard]] std::string_view to_string(step_status s) noexcept;
[[nodiscard]] std::optional<step_status> parse_step_status(std::string_view s) noexcept;

/// The outcome so far of one step of a run.
struct step_record {
  std::string name;
  step_status status = step_status::pending;
  uint32_t attempts = 0; ///< attempts started
  int32_t exit_code = 0; ///< exec: the last exit code (-1: killed or never ran)
  std::string output;    ///< last attempt's captured output (at most 64 KiB)
  std::string error;     ///< last failure, for humans
  timestamp started_at{};
  timestamp finished_at{};

  friend bool operator==(const step_record& x, const step_record& y);
};

/// A workflow run's checkpoint: everything needed to resume it after a crash. Written to the
/// `workflows` column family before each next side effect. Versioned on disk.
struct workflow_record {
  std::string id;             ///< `wf-` + 16 hex digits, increasing with creation time
  std::string runbook;        ///< runbook name
  std::string runbook_path;   ///< path under the repository
  std::string runbook_sha256; ///< version it started with (its text is stored by digest)
  workflow_state state = workflow_state::pending;
  std::string reason; ///< why: stalled, over_budget, retries_exhausted, rejected, ...
  std::string error;  ///< last error, for humans

  uint32_t current_step = 0;   ///< index of the step running or next
  uint32_t total_attempts = 0; ///< step attempts across the run (budget)
  timestamp created_at{};
  timestamp started_at{}; ///< left pending
  timestamp updated_at{};
  timestamp finished_at{};
  timestamp wake_at{}; ///< waiting / awaiting_gate: when the timer fires (0: none)

  std::map<std::string, std::string> params;
  uint64_t event_seq = 0;      ///< trigger event (0: started by hand)
  event trigger;               ///< a copy, for templates after a restart
  bool resolved = false;       ///< the trigger alert has resolved since
  std::string concurrency_key; ///< rendered key ("" when the runbook has none)
  bool dry_run = false;

  std::vector<step_record> steps;

  // Stall detection: the same failure output three attempts in a row.
  uint64_t last_failure_hash = 0;
  uint32_t same_failures = 0;

  // Gates and operators.
  std::string gate_step;  ///< the approval step whose gate is open
  std::string decided_by; ///< who approved or rejected it last
  std::string decision_reason;
  workflow_state paused_from = workflow_state::running; ///< to resume into
  bool cancel_requested = false;

  // The rollback strategy's progress: the next completed step to undo, counting down.
  bool rolling_back = false;
  int32_t rollback_next = -1;

  uint64_t log_seq = 0; ///< sequence of the last log entry written

  friend bool operator==(const workflow_record& x, const workflow_record& y);
};

/// One line of a run's timeline (`GET /api/workflows/{id}/logs`).
struct workflow_log_entry {
  uint64_t seq = 0; ///< per run, increasing from 1
  timestamp at{};
  std::string kind; ///< created, state, step_started, step_finished, backoff, gate, log, ...
  std::string step; ///< step name, when it concerns one
  uint32_t attempt = 0;
  std::string message;

  friend bool operator==(const workflow_log_entry& x, const workflow_log_entry& y);
};

/// Makes the id of a run created at `at`; `counter` separates runs created in one millisecond.
[[nodiscard]] std::string make_workflow_id(timestamp at, uint32_t counter);

} // namespace vigil::model
