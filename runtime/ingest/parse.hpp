#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/model/event.hpp"
#include "runtime/model/time.hpp"

namespace vigil::ingest {

/// The body formats Vigil accepts.
enum class payload_format : uint8_t {
  events,       ///< `POST /api/events`: one event object or an array of them
  ndjson,       ///< `POST /api/events` with `application/x-ndjson`: one object per line
  alertmanager, ///< `POST /api/v1/alertmanager`: Alertmanager's webhook (version 4)
  v2_alerts,    ///< `POST /api/v2/alerts`: Alertmanager's alerts API, as Prometheus sends it
};

/// Bounds on what one request may contain.
struct parse_limits {
  std::size_t max_depth = 32;
  std::size_t max_labels = 64; ///< per labels / annotations object
  std::size_t max_key_bytes = 256;
  std::size_t max_value_bytes = 16 * 1024;
  std::size_t max_id_bytes = 256;
  /// Keys of one object Vigil does not read (an unknown field's value), and unknown fields of
  /// one alert or of the webhook: a bound that keeps the duplicate-key check cheap.
  std::size_t max_object_keys = 1000;
  std::size_t max_errors = 20; ///< details reported before giving up
};

/// One problem, located: the event's position in the request and the field.
struct parse_error {
  long index = -1;   ///< event position (-1: the request as a whole)
  std::string field; ///< e.g. `labels.instance`
  std::string reason;
};

/// Parsed events, or what was wrong. All or nothing: `events` is empty when `errors` is not.
struct parse_result {
  std::vector<model::event> events;
  std::vector<parse_error> errors;

  [[nodiscard]] bool ok() const noexcept { return errors.empty(); }
};

/// Parses and validates a request body into owning events (simdjson On-Demand; values that
/// borrow the body never leave this call). Sets `received_at`, `fingerprint`, `priority` and,
/// unless given, `severity` from the `severity` label. The body's capacity is grown when it
/// lacks simdjson's padding. Thread-safe: each thread reuses its own parser.
[[nodiscard]] parse_result parse_payload(payload_format format, std::string& body,
                                         model::timestamp received_at,
                                         const parse_limits& limits = {});

/// One-line summary of a failed parse, for the `message` of the error answer.
[[nodiscard]] std::string summarize(const parse_result& result);

} // namespace vigil::ingest
