#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <string_view>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "actors/messages.hpp"
#include "runtime/model/config.hpp"
#include "runtime/model/time.hpp"

namespace vigil::actors {

// -- vocabulary ---------------------------------------------------------------------------------

/// Where a circuit breaker stands.
enum class breaker_state : uint8_t {
  closed,    ///< calls go out
  open,      ///< calls fail at once with `circuit_open` until the cooldown ends
  half_open, ///< a few probe calls go out; the rest wait for their verdict
};

/// Stable name of a breaker state (`closed`, `open`, `half_open`).
[[nodiscard]] std::string_view to_string(breaker_state s) noexcept;

/// The outcome of one health probe (periodic or `test`).
struct probe_result {
  bool ran = false;   ///< false: no probe was sent (none configured, rate limited, unknown)
  bool ok = false;    ///< the probe answered 2xx
  int status = 0;     ///< HTTP status, 0 when none
  std::string detail; ///< what it found (`3 active alerts: ...`) or why it did not run
  std::string error;  ///< why it failed (never contains a secret)
  std::chrono::milliseconds latency{0};
  model::timestamp at; ///< when it finished (model clock)
};

/// What `integration_service::health` shows for one integration. A snapshot: copies, no
/// references into the actors.
struct integration_health {
  std::string name;
  std::string type;
  bool enabled = true;
  bool paused = false; ///< by an operator
  breaker_state state = breaker_state::closed;
  uint32_t consecutive_failures = 0; ///< counted failures since the last success
  uint32_t recent_failures = 0;      ///< counted failures within the breaker's window
  std::string last_error;            ///< of the last failed call (never contains a secret)
  model::timestamp last_success;     ///< unset (epoch) when none yet
  model::timestamp last_failure;
  model::timestamp open_until;           ///< while open: when it half-opens
  std::chrono::milliseconds cooldown{0}; ///< the cooldown it opened with last
  model::timestamp rate_limited_until;   ///< a 429's Retry-After pause, while in force
  uint64_t queued = 0;                   ///< calls waiting (pause, bulkhead, half-open, rate)
  uint64_t in_flight = 0;
  probe_result last_probe;
  std::string unconfigured; ///< the setting it needs and lacks (`routing_key`); empty: none
};

/// How an integration is, in one word (`/api/integrations`, `/api/health`): `disabled` (by an
/// operator or its config), `unconfigured` (a setting it needs is unset), `unhealthy` (its
/// breaker is not closed, or its last probe or, with no probe yet, its last call failed),
/// `healthy` (its last probe or, with no probe yet, its last call succeeded), `unknown` (nothing
/// has answered yet: a probe goes out at start and after every change).
enum class health_word : uint8_t { healthy, unhealthy, unknown, disabled, unconfigured };

[[nodiscard]] health_word judge(const integration_health& h) noexcept;
[[nodiscard]] std::string_view to_string(health_word w) noexcept;

// -- messages between the router, the breakers and the adapters -----------------------------

/// Operator → breaker: allow calls again / refuse them with `integration_disabled`.
using enable_atom = caf::atom_constant<caf::atom("intenable")>;
using disable_atom = caf::atom_constant<caf::atom("intdisable")>;
/// Service → breaker → adapter: a new configuration; service → router: a new integration.
using update_atom = caf::atom_constant<caf::atom("intupdate")>;
/// Breaker → adapter: send a health probe; adapter → breaker: its result. Also the operator's
/// "probe now" (with a `probe_promise`).
using probe_atom = caf::atom_constant<caf::atom("intprobe")>;
/// Adapter → itself: an HTTP exchange ended (from the transport's thread).
using http_done_atom = caf::atom_constant<caf::atom("httpdone")>;
/// Breaker → itself: a timer (pause over, token due, half-open due, probe due).
using tick_atom = caf::atom_constant<caf::atom("inttick")>;

/// Where an operator's "probe now" answer goes.
using probe_promise = std::shared_ptr<std::promise<probe_result>>;

/// Adapter → breaker: how a call's HTTP exchange counts for the breaker and the pause.
struct call_outcome {
  bool counted = false; ///< an exchange took place (false: bad params, nothing was sent)
  bool failure = false; ///< timeout, connection error, 5xx or 429
  std::chrono::milliseconds retry_after_header{0}; ///< a 429's Retry-After, 0 when none
  std::chrono::microseconds latency{0};
};

} // namespace vigil::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::probe_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::probe_promise)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::call_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::model::integration_config)
