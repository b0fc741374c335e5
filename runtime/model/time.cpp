#include "runtime/model/time.hpp"

#include <cstdio>

namespace vigil::model {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
constexpr int64_t days_from_civil(int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct civil {
  int64_t year;
  unsigned month;
  unsigned day;
};

constexpr civil civil_from_days(int64_t z) noexcept {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2 ? 1 : 0), m, d};
}

bool is_leap(int64_t y) noexcept {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(int64_t y, unsigned m) noexcept {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

// Reads exactly `n` digits at `pos`.
bool read_digits(std::string_view s, std::size_t& pos, std::size_t n, unsigned& out) noexcept {
  if (pos + n > s.size())
    return false;
  unsigned v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  pos += n;
  out = v;
  return true;
}

bool expect_char(std::string_view s, std::size_t& pos, char a, char b = '\0') noexcept {
  if (pos >= s.size() || (s[pos] != a && (b == '\0' || s[pos] != b)))
    return false;
  ++pos;
  return true;
}

} // namespace

std::optional<timestamp> parse_rfc3339(std::string_view s) noexcept {
  // Go's zero time, which Alertmanager sends as endsAt of every firing alert.
  if (s == "0001-01-01T00:00:00Z")
    return timestamp{};
  std::size_t pos = 0;
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_digits(s, pos, 4, year) || !expect_char(s, pos, '-') || !read_digits(s, pos, 2, month)
      || !expect_char(s, pos, '-') || !read_digits(s, pos, 2, day) || !expect_char(s, pos, 'T', 't')
      || !read_digits(s, pos, 2, hour) || !expect_char(s, pos, ':')
      || !read_digits(s, pos, 2, minute) || !expect_char(s, pos, ':')
      || !read_digits(s, pos, 2, second))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23
      || minute > 59 || second > 60)
    return std::nullopt;
  int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9)
        nanos = nanos * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0)
      return std::nullopt;
    for (std::size_t i = digits; i < 9; ++i)
      nanos *= 10;
  }
  int64_t offset_seconds = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const bool negative = s[pos] == '-';
    ++pos;
    unsigned oh = 0, om = 0;
    if (!read_digits(s, pos, 2, oh) || !expect_char(s, pos, ':') || !read_digits(s, pos, 2, om)
        || oh > 23 || om > 59)
      return std::nullopt;
    offset_seconds = (static_cast<int64_t>(oh) * 60 + om) * 60 * (negative ? -1 : 1);
  } else {
    return std::nullopt;
  }
  if (pos != s.size())
    return std::nullopt;
  // Go's zero time, which Alertmanager sends for "no end yet".
  if (year == 1 && month == 1 && day == 1 && hour == 0 && minute == 0 && second == 0 && nanos == 0
      && offset_seconds == 0)
    return timestamp{};
  // Keep within what int64 nanoseconds can hold (years 1678..2261).
  if (year < 1678 || year > 2261)
    return std::nullopt;
  const int64_t days = days_from_civil(year, month, day);
  const int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return from_unix_nanos(secs * 1'000'000'000 + nanos);
}

std::string format_rfc3339(timestamp t) {
  const int64_t ns = to_unix_nanos(t);
  int64_t secs = ns / 1'000'000'000;
  int64_t rem = ns % 1'000'000'000;
  if (rem < 0) {
    rem += 1'000'000'000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  const civil c = civil_from_days(days);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(c.year), c.month, c.day, static_cast<long long>(sod / 3600),
                static_cast<long long>((sod / 60) % 60), static_cast<long long>(sod % 60),
                static_cast<long long>(rem / 1'000'000));
  return buf;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view s) noexcept {
  if (s.empty())
    return std::nullopt;
  int64_t total_ms = 0;
  std::size_t pos = 0;
  bool any = false;
  while (pos < s.size()) {
    int64_t whole = 0;
    std::size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      whole = whole * 10 + (s[pos] - '0');
      if (whole > 1'000'000'000'000)
        return std::nullopt;
      ++digits;
      ++pos;
    }
    double frac = 0;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      double scale = 0.1;
      std::size_t frac_digits = 0;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        frac += (s[pos] - '0') * scale;
        scale /= 10;
        ++frac_digits;
        ++pos;
      }
      if (frac_digits == 0)
        return std::nullopt;
    }
    if (digits == 0)
      return std::nullopt;
    int64_t unit_ms;
    if (pos == s.size()) {
      // A bare number is seconds, but only on its own ("30", not "1m30").
      if (any)
        return std::nullopt;
      unit_ms = 1000;
    } else if (s.compare(pos, 2, "ms") == 0) {
      unit_ms = 1;
      pos += 2;
    } else {
      switch (s[pos]) {
        case 's':
          unit_ms = 1000;
          break;
        case 'm':
          unit_ms = 60'000;
          break;
        case 'h':
          unit_ms = 3'600'000;
          break;
        case 'd':
          unit_ms = 86'400'000;
          break;
        case 'w':
          unit_ms = 7 * 86'400'000LL;
          break;
        default:
          return std::nullopt;
      }
      ++pos;
    }
    total_ms += whole * unit_ms + static_cast<int64_t>(frac * static_cast<double>(unit_ms));
    if (total_ms > 100LL * 365 * 86'400'000)
      return std::nullopt;
    any = true;
  }
  return std::chrono::milliseconds{total_ms};
}

std::string format_duration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0)
    return "0s";
  std::string out;
  if (ms < 0) {
    out += '-';
    ms = -ms;
  }
  const struct {
    int64_t size;
    const char* unit;
  } units[] = {{86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const auto& u : units) {
    if (ms >= u.size) {
      out += std::to_string(ms / u.size);
      out += u.unit;
      ms %= u.size;
    }
  }
  return out;
}

} // namespace vigil::model
