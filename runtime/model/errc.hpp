#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace vigil {

/// Vigil's error codes, shared by every subsystem and registered with CAF (category
/// "vigil") so that they cross actor boundaries as `caf::error`.
enum class errc : uint8_t {
  none = 0,
  invalid_argument,  ///< bad input from a user: HTTP body, YAML, flag, parameter
  not_found,         ///< no such workflow, runbook, integration, event
  conflict,          ///< the request is invalid in the current state (e.g. no open gate)
  unauthorized,      ///< no or unknown credentials
  forbidden,         ///< credentials lack the scope
  payload_too_large, ///< body over the configured limit
  unsupported_media_type,
  overloaded,    ///< queues full; retry later
  unavailable,   ///< shutting down, draining, or a dependency is down
  storage_error, ///< RocksDB failed
  io_error,      ///< filesystem or socket failure
  timeout,       ///< an operation ran out of time
  circuit_open,  ///< the integration's breaker is open
  integration_disabled,
  rate_limited,   ///< the remote side asked us to slow down
  cancelled,      ///< an operator cancelled or killed the work
  format_too_new, ///< stored data written by a newer Vigil
  internal,       ///< a bug: an invariant did not hold
};

/// Stable snake_case name of an error code, used as the JSON `error` field.
[[nodiscard]] std::string_view to_string_view(errc x) noexcept;

/// For CAF's error renderer.
[[nodiscard]] std::string to_string(errc x);

/// Makes a Vigil error carrying a human-readable message.
[[nodiscard]] caf::error make_error(errc code, std::string message);

/// The Vigil code of `err`, or `errc::internal` for errors of other categories
/// (`errc::none` when there is no error).
[[nodiscard]] errc code_of(const caf::error& err) noexcept;

/// The human-readable message of a Vigil error (empty when it has none).
[[nodiscard]] std::string message_of(const caf::error& err);

/// Renders a CAF error: "<code>: <context>" for Vigil errors, CAF's own text otherwise.
[[nodiscard]] std::string describe(const caf::error& err);

} // namespace vigil

CAF_ERROR_CODE_ENUM(vigil::errc, "vigil")
