#pragma once

#include "runtime/model/json_writer.hpp"
#include "runtime/model/workflow.hpp"

namespace vigil::model {

/// A run as the API shows it: `id`, `runbook`, `status`, `reason`, `started_at`,
/// `current_step`, `error`, `parameters`, timestamps, the trigger event's id, and with
/// `with_steps` every step's status, attempts, exit code and output.
void write_workflow_json(model::json_writer& w, const model::workflow_record& r, bool with_steps);

/// One timeline entry.
void write_log_entry_json(model::json_writer& w, const model::workflow_log_entry& e);

} // namespace vigil::model
