#pragma once

#include <cstddef>

#include <caf/actor_system_config.hpp>

namespace vigil::actors {

/// CAF configuration for Vigil: registers Vigil's error category and message types and sizes
/// the scheduler. Never reads command-line arguments or CAF's ini file: Vigil's own config
/// decides everything.
class system_config : public caf::actor_system_config {
public:
  /// `scheduler_threads` 0 means one per core.
  explicit system_config(std::size_t scheduler_threads = 0);
};

} // namespace vigil::actors
