#include "runtime/model/event_json.hpp"

#include "runtime/model/time_json.hpp"

namespace vigil::model {

void write_labels_json(json_writer& w, const label_set& labels) {
  w.begin_object();
  for (const auto& [k, v] : labels)
    w.field(k, v);
  w.end_object();
}

void write_event_json(json_writer& w, const event& e, std::string_view state) {
  const bool has_start = to_unix_nanos(e.starts_at) != 0;
  w.begin_object();
  w.field("id", e.id).field("seq", e.seq).field("type", to_string(e.type));
  w.field("severity", e.severity).field("source", e.source).field("status", to_string(e.status));
  write_time(w, "timestamp", has_start ? e.starts_at : e.received_at);
  write_time(w, "received_at", e.received_at);
  if (has_start)
    write_time(w, "starts_at", e.starts_at);
  if (to_unix_nanos(e.ends_at) != 0)
    write_time(w, "ends_at", e.ends_at);
  if (!e.generator_url.empty())
    w.field("generator_url", e.generator_url);
  if (e.type == event_type::metric || !e.metric_name.empty())
    w.field("metric_name", e.metric_name);
  if (e.value)
    w.field("value", *e.value);
  w.key("labels");
  write_labels_json(w, e.labels);
  w.key("annotations");
  write_labels_json(w, e.annotations);
  w.field("fingerprint", fingerprint_hex(e.fingerprint));
  w.field("priority", to_string(e.priority));
  if (!state.empty())
    w.field("state", state);
  w.end_object();
}

} // namespace vigil::model
