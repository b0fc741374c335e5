#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::model {

/// Wall-clock instant used in records and API answers (UTC, nanosecond resolution).
using timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::nanoseconds>;

/// Nanoseconds since the Unix epoch; 0 stands for "unset".
[[nodiscard]] inline int64_t to_unix_nanos(timestamp t) noexcept {
  return t.time_since_epoch().count();
}

[[nodiscard]] inline timestamp from_unix_nanos(int64_t ns) noexcept {
  return timestamp{std::chrono::nanoseconds{ns}};
}

/// Parses RFC 3339 (`2024-05-01T12:00:00Z`, fractional seconds, `+02:00` offsets).
/// Alertmanager's "zero time" `0001-01-01T00:00:00Z` parses to the unset timestamp.
[[nodiscard]] std::optional<timestamp> parse_rfc3339(std::string_view text) noexcept;

/// Formats as RFC 3339 UTC with millisecond precision (`2024-05-01T12:00:00.000Z`).
[[nodiscard]] std::string format_rfc3339(timestamp t);

/// Parses a duration such as `30s`, `5m`, `1h30m`, `7d`, `250ms`; a bare number is seconds.
[[nodiscard]] std::optional<std::chrono::milliseconds>
parse_duration(std::string_view text) noexcept;

/// Formats a duration compactly (`1h30m`, `250ms`).
[[nodiscard]] std::string format_duration(std::chrono::milliseconds d);

} // namespace vigil::model
