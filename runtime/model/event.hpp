#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/model/label_set.hpp"
#include "runtime/model/time.hpp"

namespace vigil::model {

/// What kind of signal an event carries.
enum class event_type : uint8_t { alert, metric, event };

/// Whether an alert is still firing or has resolved.
enum class event_status : uint8_t { firing, resolved };

/// Dispatch priority class: critical events are dequeued first.
enum class priority : uint8_t { critical = 0, high = 1, normal = 2, low = 3 };

/// Number of priority classes (one ingest queue each).
inline constexpr std::size_t priority_count = 4;

/// One alert, metric sample or generic event, owning all of its data.
/// Plain value type: safe to copy between threads and to put in actor messages.
struct event {
  /// Dense, increasing position in the event log (0 until the log assigns it).
  uint64_t seq = 0;
  /// Stable identifier: the client's idempotency id when given, else derived from `seq`.
  std::string id;
  /// True when `id` came from the client.
  bool client_id = false;
  event_type type = event_type::event;
  std::string severity;
  std::string source;
  label_set labels;
  label_set annotations;
  event_status status = event_status::firing;
  /// When the condition started (RFC 3339 `startsAt` / `timestamp`); 0 when unknown.
  timestamp starts_at{};
  /// When it ended; 0 while still firing.
  timestamp ends_at{};
  std::string generator_url;
  std::string metric_name;
  std::optional<double> value;
  /// 64-bit hash of the sorted label pairs (see `fingerprint_of`).
  uint64_t fingerprint = 0;
  /// When Vigil received it.
  timestamp received_at{};
  /// Queue class; derived from severity unless an operator rule says otherwise.
  model::priority priority = model::priority::normal;

  friend bool operator==(const event& x, const event& y);
};

// -- fingerprints ----------------------------------------------------------

/// Stable 64-bit hash of the sorted label pairs: equal label sets give equal
/// fingerprints whatever order they arrived in, across processes and versions.
[[nodiscard]] uint64_t fingerprint_of(const label_set& labels) noexcept;

/// Prints a fingerprint as 16 lowercase hex digits.
[[nodiscard]] std::string fingerprint_hex(uint64_t fingerprint);

/// Parses 16 hex digits; nullopt otherwise.
[[nodiscard]] std::optional<uint64_t> parse_fingerprint(std::string_view hex) noexcept;

// -- names -----------------------------------------------------------------

[[nodiscard]] std::string_view to_string(event_type x) noexcept;
[[nodiscard]] std::string_view to_string(event_status x) noexcept;
[[nodiscard]] std::string_view to_string(priority x) noexcept;
[[nodiscard]] std::optional<event_type> parse_event_type(std::string_view x) noexcept;
[[nodiscard]] std::optional<event_status> parse_event_status(std::string_view x) noexcept;
[[nodiscard]] std::optional<priority> parse_priority(std::string_view x) noexcept;

/// Default priority for a severity: critical/page → critical, error/high → high,
/// warning/info/unknown → normal, debug/none → low.
[[nodiscard]] priority default_priority(std::string_view severity) noexcept;

/// The id shown for an event the client did not name: "ev-" and the sequence as 16 hex digits.
[[nodiscard]] std::string derived_event_id(uint64_t seq);

} // namespace vigil::model
