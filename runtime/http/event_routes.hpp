#pragma once

#include "runtime/http/router.hpp"
#include "runtime/model/clock.hpp"

namespace vigil::ingest {
class ingest_service;
}
namespace vigil::storage {
class event_log;
}

namespace vigil::http {

/// Adds the ingest endpoints (`POST /api/events`, `/api/v1/alertmanager`, `/api/v2/alerts`)
/// and the event reads (`GET /api/events`, `/api/events/recent`). The services must outlive
/// the router.
void add_event_routes(router& r, ingest::ingest_service& ingest, storage::event_log& log,
                      const model::clock& clk);

} // namespace vigil::http
