#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace vigil::log {

/// Severity of a log line.
enum class level : uint8_t { trace, debug, info, warn, error, critical, off };

/// One structured field of a log line (`workflow_id`, `runbook`, `event_id`, ...).
struct field {
  std::string_view key;
  std::string_view value;
};

/// Configures the process logger: `level` (trace..off) and `format` (`json`: one JSON object per
/// line with `ts`, `level`, `logger`, `msg` and the fields; `text`: human readable). Writes to
/// stderr. Call once at startup; before that, lines go out as JSON at `info`.
void setup(std::string_view level, std::string_view format);

/// Parses a level name (`warning` is accepted for `warn`); `info` when unknown.
[[nodiscard]] level parse_level(std::string_view name) noexcept;

/// True when lines of `lvl` are written; check before building expensive messages.
[[nodiscard]] bool enabled(level lvl) noexcept;

/// Writes one line. Thread-safe.
void write(level lvl, std::string_view logger, std::string_view msg,
           std::initializer_list<field> fields = {});

/// A subsystem's named logger (see each folder's logger.hpp). Cheap to copy.
class logger {
public:
  constexpr explicit logger(std::string_view name) noexcept : name_(name) {}

  void trace(std::string_view msg, std::initializer_list<field> f = {}) const {
    if (enabled(level::trace))
      write(level::trace, name_, msg, f);
  }
  void debug(std::string_view msg, std::initializer_list<field> f = {}) const {
    if (enabled(level::debug))
      write(level::debug, name_, msg, f);
  }
  void info(std::string_view msg, std::initializer_list<field> f = {}) const {
    if (enabled(level::info))
      write(level::info, name_, msg, f);
  }
  void warn(std::string_view msg, std::initializer_list<field> f = {}) const {
    if (enabled(level::warn))
      write(level::warn, name_, msg, f);
  }
  void error(std::string_view msg, std::initializer_list<field> f = {}) const {
    if (enabled(level::error))
      write(level::error, name_, msg, f);
  }

  [[nodiscard]] constexpr std::string_view name() const noexcept { return name_; }

private:
  std::string_view name_;
};

} // namespace vigil::log
