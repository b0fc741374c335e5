#pragma once

#include "runtime/http/router.hpp"

namespace vigil::actors {
class workflow_service;
}

namespace vigil::http {

/// Adds the runbook endpoints: `GET /api/runbooks?category=`, `GET /api/runbooks/search?q=`,
/// `POST /api/runbooks/validate` (`{"runbook_path": ...}` relative to the repository, or an
/// inline YAML body), `POST /api/runbooks/execute` (`{"runbook", "parameters", "dry_run"}` →
/// `{"workflow_id"}` or the rendered plan) and `POST /api/runbooks/enable|disable`
/// (`{"runbook": name or path}`). The service must outlive the router.
void add_runbook_routes(router& r, actors::workflow_service& workflows);

} // namespace vigil::http
