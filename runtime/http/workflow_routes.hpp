#pragma once

#include "runtime/http/router.hpp"
#include "runtime/model/clock.hpp"

namespace vigil::actors {
class workflow_service;
}

namespace vigil::http {

/// Adds the workflow endpoints: `GET /api/workflows` (filters status, runbook, since, limit;
/// newest first), `GET /api/workflows/{id}` (with its steps), `GET /api/workflows/{id}/logs`
/// (the timeline), and the operator commands `POST /api/workflows/{id}/cancel|kill|pause|resume`
/// and `POST /api/workflows/{id}/gates/{step}/approve|reject`. The service must outlive the
/// router.
void add_workflow_routes(router& r, actors::workflow_service& workflows, const model::clock& clk);

} // namespace vigil::http
