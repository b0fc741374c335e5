#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "runtime/model/event.hpp"

namespace vigil::storage {

/// Serializes an event for the `events` column family. The sequence number is the key and is
/// not repeated in the value; the id is stored only when the client chose it.
void encode_event(const model::event& e, std::string& out);

/// Inverse of `encode_event`; `seq` comes from the key. nullopt when the bytes are damaged or
/// written by a newer format.
[[nodiscard]] std::optional<model::event> decode_event(uint64_t seq, std::string_view bytes);

/// The idempotency key of an event (DESIGN.md "Guarantees"): the client's id when given, else
/// source + fingerprint + status + startsAt. Metric samples add their name and value, so that
/// two readings of one series are two events.
[[nodiscard]] std::string dedup_key(const model::event& e);

} // namespace vigil::storage
