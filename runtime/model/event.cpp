#include "runtime/model/event.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "runtime/model/hash.hpp"

namespace vigil::model {

bool operator==(const event& x, const event& y) {
  return x.seq == y.seq && x.id == y.id && x.client_id == y.client_id && x.type == y.type
         && x.severity == y.severity && x.source == y.source && x.labels == y.labels
         && x.annotations == y.annotations && x.status == y.status && x.starts_at == y.starts_at
         && x.ends_at == y.ends_at && x.generator_url == y.generator_url
         && x.metric_name == y.metric_name && x.value == y.value && x.fingerprint == y.fingerprint
         && x.received_at == y.received_at && x.priority == y.priority;
}

// -- fingerprints -----------------------------------------------------------------

uint64_t fingerprint_of(const label_set& labels) noexcept {
  // XXH3-64 (a published, fixed algorithm) over "name 0xff value 0xff" of the sorted pairs:
  // stable across runs, machines and versions; the separators keep {"ab":"c"} apart from
  // {"a":"bc"} (0xff never occurs in UTF-8). A set built in key order already holds exactly
  // these bytes, so the common case hashes in place.
  const auto bytes = labels.canonical_bytes();
  return xxh3_64(bytes);
}

std::string fingerprint_hex(uint64_t fingerprint) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(fingerprint));
  return std::string(buf, 16);
}

std::optional<uint64_t> parse_fingerprint(std::string_view hex) noexcept {
  if (hex.size() != 16)
    return std::nullopt;
  uint64_t result = 0;
  for (char c : hex) {
    int digit;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      digit = c - 'A' + 10;
    else
      return std::nullopt;
    result = (result << 4) | static_cast<uint64_t>(digit);
  }
  return result;
}

// -- names --------------------------------------------------------------------------

std::string_view to_string(event_type x) noexcept {
  switch (x) {
    case event_type::alert:
      return "alert";
    case event_type::metric:
      return "metric";
    case event_type::event:
      return "event";
  }
  return "event";
}

std::string_view to_string(event_status x) noexcept {
  return x == event_status::resolved ? "resolved" : "firing";
}

std::string_view to_string(priority x) noexcept {
  switch (x) {
    case priority::critical:
      return "critical";
    case priority::high:
      return "high";
    case priority::normal:
      return "normal";
    case priority::low:
      return "low";
  }
  return "normal";
}

std::optional<event_type> parse_event_type(std::string_view x) noexcept {
  if (x == "alert")
    return event_type::alert;
  if (x == "metric")
    return event_type::metric;
  if (x == "event")
    return event_type::event;
  return std::nullopt;
}

std::optional<event_status> parse_event_status(std::string_view x) noexcept {
  if (x == "firing")
    return event_status::firing;
  if (x == "resolved")
    return event_status::resolved;
  return std::nullopt;
}

std::optional<priority> parse_priority(std::string_view x) noexcept {
  if (x == "critical" || x == "1")
    return priority::critical;
  if (x == "high" || x == "2")
    return priority::high;
  if (x == "normal" || x == "3")
    return priority::normal;
  if (x == "low" || x == "4")
    return priority::low;
  return std::nullopt;
}

priority default_priority(std::string_view severity) noexcept {
  if (severity == "critical" || severity == "page" || severity == "emergency")
    return priority::critical;
  if (severity == "error" || severity == "high" || severity == "major")
    return priority::high;
  if (severity == "debug" || severity == "none" || severity == "low")
    return priority::low;
  return priority::normal;
}

std::string derived_event_id(uint64_t seq) {
  return "ev-" + fingerprint_hex(seq);
}

} // namespace vigil::model
