#pragma once

#include "runtime/model/logger.hpp"

namespace vigil::app {

/// Logger of the process wiring (startup, shutdown, signals).
inline constexpr log::logger app_log{"app"};

} // namespace vigil::app
