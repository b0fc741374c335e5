#pragma once

#include <string_view>

#include "runtime/model/json_writer.hpp"
#include "runtime/model/time.hpp"

namespace vigil::model {

/// Writes a time of Vigil's own API answers as two fields: `key` in Unix seconds with a
/// millisecond fraction, a number (`1764700000.250`), so that jq's `now - .started_at` and
/// comparisons work; and `key_rfc3339`, the same instant for people
/// (`2025-12-02T18:26:40.250Z`). An unset time (0) writes null for both.
/// (The Alertmanager-compatible endpoints keep Alertmanager's own formats.)
void write_time(json_writer& w, std::string_view key, timestamp t);

/// The number `write_time` writes: whole seconds, a dot, three digits (`1764700000.250`).
[[nodiscard]] std::string unix_seconds_text(timestamp t);

} // namespace vigil::model
