#pragma once

// Internal to the integrations subsystem: the three actors and what they share with the
// service. Users go through `integration_service`.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/integrations/http_transport.hpp"
#include "actors/integrations/probe.hpp"
#include "actors/integrations/types.hpp"
#include "runtime/model/clock.hpp"
#include "runtime/model/config.hpp"

namespace vigil::actors::detail {

/// What the service and one integration's actors share. The flags are the operator's word
/// (the breaker reads them when it decides); the health snapshot is written by the breaker
/// actor and read by the service. Thread-safe.
struct integration_shared {
  explicit integration_shared(const model::integration_config& cfg)
    : name(cfg.name), enabled(cfg.enabled) {
    health.name = cfg.name;
    health.type = cfg.type;
    health.enabled = cfg.enabled;
  }

  const std::string name;
  std::atomic<bool> enabled;
  std::atomic<bool> paused{false};
  integration_probe probe;

  /// A copy of the health snapshot, with the flags as they are now.
  [[nodiscard]] integration_health snapshot() const {
    std::lock_guard<std::mutex> guard{mutex};
    auto h = health;
    h.enabled = enabled.load();
    h.paused = paused.load();
    return h;
  }

  mutable std::mutex mutex;
  integration_health health; ///< guarded by `mutex`
};

/// How to start one integration's breaker (and, linked to it, its adapter).
struct breaker_setup {
  model::integration_config cfg;
  std::shared_ptr<integration_shared> shared;
  std::shared_ptr<http_transport> transport;
  const model::clock* clock = nullptr;
  bool health_probes = true; ///< periodic probes (`test` works either way)
};

/// Spawns the adapter of one integration: builds each call's request (`plan_call`), sends it
/// through the transport and answers the breaker with `(call_done_atom, id, call_result,
/// call_outcome)`, secrets removed.
[[nodiscard]] caf::actor spawn_adapter(caf::actor_system& sys, const breaker_setup& setup);

/// Spawns the circuit breaker of one integration (which spawns its adapter, linked).
/// Takes `(call_atom, token, call_request, reply_to)`; answers `reply_to` with
/// `(call_done_atom, token, call_result)`.
[[nodiscard]] caf::actor spawn_breaker(caf::actor_system& sys, const breaker_setup& setup);

/// Spawns the router: `(call_atom, token, call_request)` from a run goes to the breaker of
/// `call_request::integration`; `(cancel_atom, token, integration)` withdraws that call if it
/// still waits in the queue (answered with error `withdrawn before it was sent`);
/// `(update_atom, name, breaker)` adds or replaces a route.
[[nodiscard]] caf::actor spawn_router(caf::actor_system& sys,
                                      std::unordered_map<std::string, caf::actor> routes);

} // namespace vigil::actors::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::detail::breaker_setup)
