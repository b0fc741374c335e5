#pragma once

#include "runtime/model/logger.hpp"

namespace vigil::actors {

/// Logger of the workflow engine and the dispatchers.
inline constexpr log::logger engine_log{"engine"};

} // namespace vigil::actors
