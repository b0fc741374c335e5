#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::loadtest {

/// Parses a duration such as `10s`, `250ms`, `1us`, `1m30s`, `2h`; a bare number is seconds.
/// Units: ns, us (or µs), ms, s, m, h; fractions are allowed (`1.5s`). nullopt when malformed.
[[nodiscard]] std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);

/// Formats nanoseconds for people: `850 ns`, `41.2 us`, `3.45 ms`, `1.20 s`.
[[nodiscard]] std::string format_latency(uint64_t ns);

/// Formats a duration compactly for configs and SLO names: `10s`, `250ms`, `1us`, `1.5s`.
[[nodiscard]] std::string format_duration(std::chrono::nanoseconds d);

/// Nanoseconds as milliseconds (for JSON reports).
[[nodiscard]] inline double to_ms(uint64_t ns) noexcept {
  return static_cast<double>(ns) / 1e6;
}

} // namespace vigil::loadtest
