#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "runtime/model/workflow.hpp"
#include "runtime/runbook/runbook.hpp"

namespace vigil::actors {

/// What a run's templates can read, built from its record: the trigger event, the parameters,
/// the earlier steps' outputs and the run id. Borrows `rec`: keep it alive while rendering.
class run_view {
public:
  explicit run_view(const model::workflow_record& rec);

  /// A context pointing into this view and the record.
  [[nodiscard]] runbook::render_context context() const;

private:
  const model::workflow_record& rec_;
  std::map<std::string, runbook::step_view> steps_;
};

/// An exec action's argv: each element rendered to exactly one argument.
[[nodiscard]] std::vector<std::string> render_argv(const runbook::action& act,
                                                   const runbook::render_context& ctx);

/// An exec action's extra environment, rendered.
[[nodiscard]] std::vector<std::pair<std::string, std::string>>
render_env(const runbook::action& act, const runbook::render_context& ctx);

/// An integration action's parameter tree rendered to JSON; every templated string stays one
/// JSON string. An http action's `path` gets each substituted value percent-encoded as data
/// (a label cannot add a segment, a query or a fragment) unless the runbook says
/// `raw_path: true`.
[[nodiscard]] std::string render_params_json(const runbook::action& act,
                                             const runbook::render_context& ctx);

/// Appends `value` percent-encoded so that it stays inside one path segment or query value:
/// everything but RFC 3986's unreserved characters is encoded, `/`, `?`, `#` and `%` included.
void encode_path_value(std::string_view value, std::string& out);

} // namespace vigil::actors
