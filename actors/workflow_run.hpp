#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/engine.hpp"
#include "runtime/model/workflow.hpp"
#include "runtime/runbook/runbook.hpp"

namespace vigil::actors {

/// Spawns the actor of one workflow run. `record` is the run's durable state (new and
/// `pending`, or loaded after a restart in any non-terminal state); the actor carries the run
/// on from there: steps with retries and backoff, waits, gates, recovery strategies, operator
/// commands. Every state change is checkpointed (through `engine::persist`) before the run's
/// next side effect. It tells `manager` `(finished_atom, id, state)` when the run ends.
///
/// Messages it takes: `(resolved_atom)`; operator commands `(cancel_atom)`, `(kill_atom)`,
/// `(pause_atom)`, `(resume_atom, resume_options)`, `(approve_atom, gate_decision)`,
/// `(reject_atom, gate_decision)`, each answering the new state name or a Vigil error
/// (`conflict` for a command that does not apply in the current state).
/// `woken`: the run comes back from hibernation (not from a restart): nothing to log.
[[nodiscard]] caf::actor spawn_workflow_run(caf::actor_system& sys, engine* eng,
                                            const caf::actor& manager, runbook::runbook_ptr book,
                                            model::workflow_record record, bool woken = false);

} // namespace vigil::actors
