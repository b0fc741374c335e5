// libFuzzer target for one ingest body format (VIGIL_FUZZ_FORMAT: events, ndjson,
// alertmanager or v2_alerts), as `parse_payload` receives a request body.
// Invariants: all or nothing (no events when there are errors), at most `max_errors` errors,
// the limits hold for every event, labels are distinct and findable, the fingerprint is the
// labels' fingerprint, the body's bytes are left as they were, and a second parse of the same
// body (on the same thread's reused parser) gives the same result.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/ingest/parse.hpp"
#include "tests/fuzz/fuzz_check.hpp"

// CMake compiles this file once per format; the default lets tools read it alone.
#ifndef VIGIL_FUZZ_FORMAT
#define VIGIL_FUZZ_FORMAT events
#endif

namespace {

using vigil::ingest::parse_limits;
using vigil::ingest::parse_result;
using vigil::model::label_set;

constexpr auto format = vigil::ingest::payload_format::VIGIL_FUZZ_FORMAT;

void check_labels(const label_set& labels, const parse_limits& limits) {
  VIGIL_FUZZ_CHECK(labels.size() <= limits.max_labels, "more labels than max_labels");
  std::string_view previous;
  bool first = true;
  for (const auto [key, value] : labels) {
    VIGIL_FUZZ_CHECK(key.size() <= limits.max_key_bytes, "key longer than max_key_bytes");
    VIGIL_FUZZ_CHECK(value.size() <= limits.max_value_bytes, "value longer than max_value_bytes");
    VIGIL_FUZZ_CHECK(first || previous < key, "labels not sorted or a key repeated");
    VIGIL_FUZZ_CHECK(labels.find(key) == value, "a label's own key does not find its value");
    previous = key;
    first = false;
  }
}

void check(const parse_result& r, const parse_limits& limits, vigil::model::timestamp now) {
  if (!r.ok()) {
    VIGIL_FUZZ_CHECK(r.events.empty(), "events returned with errors");
    VIGIL_FUZZ_CHECK(r.errors.size() <= limits.max_errors, "more errors than max_errors");
    for (const auto& e : r.errors)
      VIGIL_FUZZ_CHECK(!e.reason.empty(), "an error without a reason");
    VIGIL_FUZZ_CHECK(!vigil::ingest::summarize(r).empty(), "empty summary of a failed parse");
    return;
  }
  for (const auto& e : r.events) {
    VIGIL_FUZZ_CHECK(e.received_at == now, "received_at is not the time given");
    VIGIL_FUZZ_CHECK(e.id.size() <= limits.max_id_bytes, "id longer than max_id_bytes");
    VIGIL_FUZZ_CHECK(e.fingerprint == vigil::model::fingerprint_of(e.labels),
                     "fingerprint is not the labels' fingerprint");
    check_labels(e.labels, limits);
    check_labels(e.annotations, limits);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static const auto now = *vigil::model::parse_rfc3339("2024-05-01T12:00:00Z");
  const parse_limits limits;
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::string body = input;
  const auto first = vigil::ingest::parse_payload(format, body, now, limits);
  VIGIL_FUZZ_CHECK(body == input, "the parser changed the body's bytes");
  check(first, limits, now);

  const auto second = vigil::ingest::parse_payload(format, body, now, limits);
  VIGIL_FUZZ_CHECK(second.events == first.events, "a second parse gave other events");
  VIGIL_FUZZ_CHECK(second.errors.size() == first.errors.size(), "a second parse gave other errors");
  for (std::size_t i = 0; i < first.errors.size(); ++i)
    VIGIL_FUZZ_CHECK(second.errors[i].field == first.errors[i].field
                       && second.errors[i].reason == first.errors[i].reason
                       && second.errors[i].index == first.errors[i].index,
                     "a second parse gave other errors");
  return 0;
}
