#pragma once

#include "runtime/model/logger.hpp"

namespace vigil::actors {

/// Logger of the integration adapters and circuit breakers. Never given a secret: lines name
/// the integration, never its URL, headers or bodies.
inline constexpr log::logger integrations_log{"integrations"};

} // namespace vigil::actors
