#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/http/router.hpp"
#include "runtime/model/config.hpp"

namespace vigil::actors {
class integration_service;
}
namespace vigil::storage {
class database;
}

namespace vigil::http {

/// `/api/integrations`: the configured integrations with their secrets redacted, their health,
/// and the operator's commands (`PUT`, enable, disable, pause, resume, test). A `PUT` is
/// validated as the config file's `integrations.NAME` is, stored in the data directory (the
/// config file is never written) and applied without a restart. `svc` and `db` must outlive
/// the router.
void add_integration_routes(router& r, actors::integration_service& svc, storage::database& db);

/// Applies the integration settings stored by earlier `PUT`s over `configured` (by name; new
/// names are added). Settings that no longer validate are skipped, each reported in `skipped`.
void apply_stored_integrations(storage::database& db,
                               std::vector<model::integration_config>& configured,
                               std::vector<std::string>& skipped);

/// `value` with credentials hidden: userinfo and query values of a URL, or `***` for a secret.
[[nodiscard]] std::string redact_url(std::string_view url);

} // namespace vigil::http
