#include "bench/loadtest/units.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace vigil::loadtest {

namespace {

/// Nanoseconds per unit, or 0 for an unknown unit.
double unit_ns(std::string_view unit) noexcept {
  if (unit == "ns")
    return 1;
  if (unit == "us" || unit == "\xC2\xB5s") // µs
    return 1e3;
  if (unit == "ms")
    return 1e6;
  if (unit == "s" || unit.empty())
    return 1e9;
  if (unit == "m")
    return 60e9;
  if (unit == "h")
    return 3600e9;
  return 0;
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

} // namespace

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ')
    text.remove_suffix(1);
  if (text.empty())
    return std::nullopt;
  double total = 0;
  std::size_t pos = 0;
  bool bare_allowed = true;
  while (pos < text.size()) {
    const auto start = pos;
    bool dot = false;
    while (pos < text.size() && (is_digit(text[pos]) || (text[pos] == '.' && !dot))) {
      dot = dot || text[pos] == '.';
      ++pos;
    }
    if (pos == start || (pos == start + 1 && text[start] == '.'))
      return std::nullopt;
    const std::string number{text.substr(start, pos - start)};
    const auto unit_start = pos;
    while (pos < text.size() && !is_digit(text[pos]) && text[pos] != '.')
      ++pos;
    const auto unit = text.substr(unit_start, pos - unit_start);
    if (unit.empty() && !(bare_allowed && pos == text.size()))
      return std::nullopt;
    const double scale = unit_ns(unit);
    if (scale == 0)
      return std::nullopt;
    total += std::strtod(number.c_str(), nullptr) * scale;
    bare_allowed = false;
  }
  if (!std::isfinite(total) || total > 9e18)
    return std::nullopt;
  return std::chrono::nanoseconds{static_cast<int64_t>(std::llround(total))};
}

std::string format_latency(uint64_t ns) {
  char buf[32];
  const double v = static_cast<double>(ns);
  if (ns < 1'000)
    std::snprintf(buf, sizeof buf, "%llu ns", static_cast<unsigned long long>(ns));
  else if (ns < 1'000'000)
    std::snprintf(buf, sizeof buf, v < 1e4 ? "%.2f us" : v < 1e5 ? "%.1f us" : "%.0f us", v / 1e3);
  else if (ns < 1'000'000'000)
    std::snprintf(buf, sizeof buf, v < 1e7 ? "%.2f ms" : v < 1e8 ? "%.1f ms" : "%.0f ms", v / 1e6);
  else
    std::snprintf(buf, sizeof buf, v < 1e10 ? "%.2f s" : "%.1f s", v / 1e9);
  return buf;
}

std::string format_duration(std::chrono::nanoseconds d) {
  const auto ns = static_cast<double>(d.count());
  struct unit {
    double scale;
    const char* name;
  };
  static constexpr unit units[] = {{3600e9, "h"}, {60e9, "m"}, {1e9, "s"},
                                   {1e6, "ms"},   {1e3, "us"}, {1, "ns"}};
  for (const auto& u : units) {
    if (ns >= u.scale || u.scale == 1) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g%s", ns / u.scale, u.name);
      return buf;
    }
  }
  return "0s";
}

} // namespace vigil::loadtest
