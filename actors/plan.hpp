#pragma once

#include <map>
#include <string>

#include "runtime/model/event.hpp"
#include "runtime/runbook/runbook.hpp"

namespace vigil::actors {

/// What a run of `book` would do with these parameters and trigger, every step rendered, and
/// nothing done (`dry_run`): a JSON object `{"runbook", "parameters", "steps": [{"name",
/// "action", "command" | "message" | "duration" | "integration" + "params", "timeout",
/// "retry", "on_failure", "rollback"}]}`. Templates that read earlier steps' outputs render
/// empty, as those steps have not run.
[[nodiscard]] std::string render_plan_json(const runbook::runbook& book,
                                           const std::map<std::string, std::string>& params,
                                           const model::event& trigger);

/// The same plan for a terminal, one step per paragraph.
[[nodiscard]] std::string render_plan_text(const runbook::runbook& book,
                                           const std::map<std::string, std::string>& params,
                                           const model::event& trigger);

} // namespace vigil::actors
