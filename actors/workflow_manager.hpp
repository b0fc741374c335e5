#pragma once

#include <map>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>

#include "actors/engine.hpp"
#include "runtime/model/event.hpp"
#include "runtime/runbook/runbook.hpp"

namespace vigil::actors {

/// A runbook started by hand (`POST /api/runbooks/execute`, `vigil run`).
struct execute_request {
  runbook::runbook_ptr book;
  std::map<std::string, std::string> params;
  /// Labels the run's templates see as `labels.*` (`vigil run --label`); no event is stored.
  model::label_set labels;
};

/// Counts the manager reports for `status_atom`.
struct manager_status {
  std::size_t active = 0;  ///< run actors alive (any non-terminal state but pending)
  std::size_t pending = 0; ///< waiting for a slot
};

/// Spawns the workflow manager: the one actor that decides which runs start.
///
/// `(start_atom, model::event, std::vector<runbook_ptr>)` from a dispatcher: the runbooks the
/// event matched. Per runbook: a run of the same runbook for the same fingerprint that is still
/// active (or finished within the runbook's `dedup_window`) means nothing new starts; a
/// `resolved` event is delivered to every active run of its fingerprint. Then the concurrency
/// key and policy (skip, queue, replace) and `max_concurrent` (extra runs wait as `pending`, in
/// order). The new runs and the event's dispatched mark are written in one atomic batch before
/// any run starts.
///
/// `(execute_atom, execute_request)` answers the new run's id once it is durable.
/// `(recover_atom)` loads the unfinished runs from the store and resumes them (answers how many).
/// Operator commands `(cancel_atom|kill_atom|pause_atom, id)`, `(resume_atom, id,
/// resume_options)`, `(approve_atom|reject_atom, id, gate_decision)` go to the run's actor and
/// answer its new state, `not_found` for an unknown id, `conflict` for a run that has ended.
/// `(status_atom)` answers a `manager_status`.
[[nodiscard]] caf::actor spawn_workflow_manager(caf::actor_system& sys, engine* eng);

} // namespace vigil::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::execute_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::manager_status)
