#pragma once

#include <memory>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/process.hpp"

namespace vigil::actors {

/// Spawns the actor that runs `exec` steps. It takes `(exec_atom, token, exec_request)` and
/// answers the sender with `(exec_done_atom, token, exec_result)`. With `inline_mode` the
/// command runs inside the handler (deterministic actor tests); otherwise each command gets a
/// thread of its own, so a long command never holds a scheduler thread.
[[nodiscard]] caf::actor spawn_executor(caf::actor_system& sys,
                                        const std::shared_ptr<process_registry>& registry,
                                        bool inline_mode);

} // namespace vigil::actors
