#pragma once

#include <string_view>

#include "runtime/model/event.hpp"
#include "runtime/model/json_writer.hpp"

namespace vigil::model {

/// Writes an event as the API shows it: `id`, `seq`, `type`, `severity`, `source`, `status`,
/// `timestamp` (startsAt when known, else received), `received_at`, `starts_at`, `ends_at`,
/// `labels`, `annotations`, `fingerprint`, `priority`, and for metrics `metric_name` and
/// `value`. `state`, when not empty, is added as the event's dispatch state.
void write_event_json(json_writer& w, const event& e, std::string_view state = {});

/// Writes a label set as a JSON object.
void write_labels_json(json_writer& w, const label_set& labels);

} // namespace vigil::model
