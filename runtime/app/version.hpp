#pragma once

#include <string>

namespace vigil::app {

/// Vigil's own version (from CMake's project version).
[[nodiscard]] const char* vigil_version() noexcept;

/// Multi-line report: Vigil and the library versions it was built with.
[[nodiscard]] std::string version_report();

} // namespace vigil::app
