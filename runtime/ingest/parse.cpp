#include "runtime/ingest/parse.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "runtime/ingest/parse_internal.hpp"

namespace vigil::ingest {

namespace {

using namespace detail;

void finish_event(context& c, model::event& e) {
  e.received_at = c.now;
  e.fingerprint = model::fingerprint_of(e.labels);
  if (e.severity.empty())
    if (auto s = e.labels.find("severity"))
      e.severity.assign(s->data(), s->size());
  e.priority = model::default_priority(e.severity);
}

// -- POST /api/events ----------------------------------------------------------------------------

enum event_field : unsigned {
  f_type,
  f_severity,
  f_source,
  f_labels,
  f_annotations,
  f_status,
  f_metric_name,
  f_value,
  f_timestamp,
  f_id,
  f_ends_at,
  f_generator_url,
  f_unknown,
};

event_field lookup_event_field(std::string_view k) noexcept {
  static constexpr std::pair<std::string_view, event_field> names[] = {
    {"type", f_type},
    {"severity", f_severity},
    {"source", f_source},
    {"labels", f_labels},
    {"annotations", f_annotations},
    {"status", f_status},
    {"metric_name", f_metric_name},
    {"value", f_value},
    {"timestamp", f_timestamp},
    {"id", f_id},
    {"ends_at", f_ends_at},
    {"generator_url", f_generator_url},
  };
  for (const auto& [name, f] : names)
    if (name == k)
      return f;
  return f_unknown;
}

bool parse_event_object(context& c, od::value v, long index, model::event& e) {
  od::object obj;
  if (auto ec = v.get_object().get(obj))
    return c.fail(index, "", ec, "an event object");
  seen_fields seen;
  bool ok = true;
  for (auto item : obj) {
    od::field f;
    if (auto ec = std::move(item).get(f))
      return c.fail(index, "", ec);
    std::string_view key;
    if (auto ec = f.unescaped_key().get(key))
      return c.fail(index, "", ec);
    const auto which = lookup_event_field(key);
    if (which == f_unknown) {
      ok = c.fail(index, std::string{key.substr(0, 64)},
                  "unknown field (known: type, severity, source, labels, annotations, status, "
                  "metric_name, value, timestamp, id, ends_at, generator_url)");
      continue;
    }
    if (!seen.mark(which)) {
      ok = c.fail(index, std::string{key}, "duplicate key");
      continue;
    }
    od::value val = f.value();
    switch (which) {
      case f_type: {
        std::string t;
        if (!read_string(c, val, index, "type", t)) {
          ok = false;
        } else if (auto ty = model::parse_event_type(t)) {
          e.type = *ty;
        } else {
          ok = c.fail(index, "type", "must be alert, metric or event");
        }
        break;
      }
      case f_severity:
        ok = read_string(c, val, index, "severity", e.severity) && ok;
        break;
      case f_source:
        ok = read_string(c, val, index, "source", e.source) && ok;
        break;
      case f_labels:
        ok = read_labels(c, val, index, "labels", e.labels, model::text_rule::single_line) && ok;
        break;
      case f_annotations:
        ok = read_labels(c, val, index, "annotations", e.annotations, model::text_rule::multi_line)
             && ok;
        break;
      case f_status: {
        std::string s;
        if (!read_string(c, val, index, "status", s)) {
          ok = false;
        } else if (auto st = model::parse_event_status(s)) {
          e.status = *st;
        } else {
          ok = c.fail(index, "status", "must be firing or resolved");
        }
        break;
      }
      case f_metric_name:
        ok = read_string(c, val, index, "metric_name", e.metric_name) && ok;
        break;
      case f_value: {
        double d = 0;
        if (auto ec = val.get_double().get(d)) {
          ok = c.fail(index, "value", ec, "a number");
        } else if (!std::isfinite(d)) {
          ok = c.fail(index, "value", "number out of range");
        } else {
          e.value = d;
        }
        break;
      }
      case f_timestamp:
        ok = read_time(c, val, index, "timestamp", e.starts_at) && ok;
        break;
      case f_id:
        if (!read_string(c, val, index, "id", e.id)) {
          ok = false;
        } else if (e.id.empty() || e.id.size() > c.limits.max_id_bytes) {
          ok =
            c.fail(index, "id", "must be 1 to " + std::to_string(c.limits.max_id_bytes) + " bytes");
        } else {
          e.client_id = true;
        }
        break;
      case f_ends_at:
        ok = read_time(c, val, index, "ends_at", e.ends_at) && ok;
        break;
      case f_generator_url:
        ok = read_string(c, val, index, "generator_url", e.generator_url) && ok;
        break;
      case f_unknown:
        break;
    }
    if (c.fatal)
      return false;
  }
  if (!seen.has(f_type))
    ok = c.fail(index, "type", "required (alert, metric or event)");
  if (seen.has(f_type) && e.type == model::event_type::metric) {
    if (!seen.has(f_metric_name))
      ok = c.fail(index, "metric_name", "required for a metric event");
    if (!seen.has(f_value))
      ok = c.fail(index, "value", "required for a metric event");
  }
  if (ok)
    finish_event(c, e);
  return ok;
}

// -- Alertmanager --------------------------------------------------------------------------------

enum alert_field : unsigned {
  a_status,
  a_labels,
  a_annotations,
  a_starts_at,
  a_ends_at,
  a_generator_url,
  a_fingerprint,
  a_unknown,
};

alert_field lookup_alert_field(std::string_view k) noexcept {
  if (k == "status")
    return a_status;
  if (k == "labels")
    return a_labels;
  if (k == "annotations")
    return a_annotations;
  if (k == "startsAt")
    return a_starts_at;
  if (k == "endsAt")
    return a_ends_at;
  if (k == "generatorURL")
    return a_generator_url;
  if (k == "fingerprint")
    return a_fingerprint;
  return a_unknown;
}

/// One alert of either Alertmanager format. Unknown fields are checked and ignored: Alertmanager
/// and Prometheus add fields across versions, and a newer sender must not be refused.
bool parse_alert(context& c, od::value v, long index, std::string_view prefix, bool webhook,
                 model::event& e) {
  od::object obj;
  if (auto ec = v.get_object().get(obj))
    return c.fail(index, std::string{prefix}, ec, "an alert object");
  seen_fields seen;
  key_scope unknown{c}; // only touched when a sender adds fields
  bool ok = true;
  std::string_view status;
  bool status_is_string = false;
  for (auto item : obj) {
    od::field f;
    if (auto ec = std::move(item).get(f))
      return c.fail(index, std::string{prefix}, ec);
    std::string_view key;
    if (auto ec = f.unescaped_key().get(key))
      return c.fail(index, std::string{prefix}, ec);
    const auto which = lookup_alert_field(key);
    if (which != a_unknown && !seen.mark(which)) {
      ok = c.fail(index, std::string{key}, "duplicate key");
      continue;
    }
    if (which == a_unknown && !unknown.add(key, c.limits.max_object_keys))
      return c.fail(index, std::string{prefix},
                    "more than " + std::to_string(c.limits.max_object_keys) + " fields");
    od::value val = f.value();
    switch (which) {
      case a_status:
        if (auto ec = val.get_string().get(status))
          ok = c.fail(index, "status", ec, "a string");
        else
          status_is_string = true;
        break;
      case a_labels:
        ok = read_labels(c, val, index, "labels", e.labels, model::text_rule::single_line) && ok;
        break;
      case a_annotations:
        ok = read_labels(c, val, index, "annotations", e.annotations, model::text_rule::multi_line)
             && ok;
        break;
      case a_starts_at:
        ok = read_time(c, val, index, "startsAt", e.starts_at) && ok;
        break;
      case a_ends_at:
        ok = read_time(c, val, index, "endsAt", e.ends_at) && ok;
        break;
      case a_generator_url:
        ok = read_string(c, val, index, "generatorURL", e.generator_url) && ok;
        break;
      case a_fingerprint:
        ok = skip_string(c, val, index, "fingerprint") && ok;
        break;
      case a_unknown:
        ok = check_unknown(c, val, index, key.substr(0, 64), 3) && ok;
        break;
    }
    if (c.fatal)
      return false;
  }
  if (auto dup = unknown.repeated())
    ok = c.fail(index, std::string{dup->substr(0, 64)}, "duplicate key");
  if (!seen.has(a_labels))
    ok = c.fail(index, "labels", "required");
  e.type = model::event_type::alert;
  if (webhook) {
    e.source = "alertmanager";
    // Absent, it is firing (as before); present, it must say which: "" is not "firing".
    if (status_is_string) {
      if (auto st = model::parse_event_status(status))
        e.status = *st;
      else
        ok = c.fail(index, "status", "must be firing or resolved");
    }
  } else {
    e.source = "prometheus";
    // The alerts API carries no status: an alert whose end lies in the past has resolved.
    e.status = model::to_unix_nanos(e.ends_at) != 0 && e.ends_at <= c.now
                 ? model::event_status::resolved
                 : model::event_status::firing;
  }
  if (ok)
    finish_event(c, e);
  return ok;
}

bool parse_alert_array(context& c, od::value v, std::string_view field, bool webhook,
                       std::vector<model::event>& out) {
  od::array arr;
  if (auto ec = v.get_array().get(arr))
    return c.fail(-1, std::string{field}, ec, "an array of alerts");
  long index = 0;
  bool ok = true;
  for (auto item : arr) {
    od::value el;
    if (auto ec = item.get(el))
      return c.fail(index, std::string{field}, ec);
    // Parsed in place: an event is large, and moving one costs a dozen string moves.
    out.emplace_back();
    if (!parse_alert(c, el, index, field, webhook, out.back())) {
      out.pop_back();
      ok = false;
    }
    if (c.stop())
      return false;
    ++index;
  }
  return ok;
}

bool parse_webhook(context& c, od::value v, std::vector<model::event>& out) {
  od::object obj;
  if (auto ec = v.get_object().get(obj))
    return c.fail(-1, "", ec, "an Alertmanager webhook object");
  bool ok = true;
  bool has_alerts = false;
  key_scope keys{c}; // known and unknown alike: a repeat is found once all are read
  for (auto item : obj) {
    od::field f;
    if (auto ec = std::move(item).get(f))
      return c.fail(-1, "", ec);
    std::string_view key;
    if (auto ec = f.unescaped_key().get(key))
      return c.fail(-1, "", ec);
    if (!keys.add(key, c.limits.max_object_keys))
      return c.fail(-1, "", "more than " + std::to_string(c.limits.max_object_keys) + " fields");
    od::value val = f.value();
    if (key == "alerts") {
      has_alerts = true;
      ok = parse_alert_array(c, val, "alerts", true, out) && ok;
    } else if (key == "version") {
      std::string version;
      if (read_string(c, val, -1, "version", version) && version != "4")
        ok = c.fail(-1, "version", "unsupported webhook version \"" + version + "\" (expected 4)");
    } else if (key == "receiver" || key == "status" || key == "externalURL" || key == "groupKey") {
      ok = skip_string(c, val, -1, key) && ok;
    } else if (key == "groupLabels" || key == "commonLabels") {
      model::label_set ignored;
      ok = read_labels(c, val, -1, key, ignored, model::text_rule::single_line) && ok;
    } else if (key == "commonAnnotations") {
      model::label_set ignored;
      ok = read_labels(c, val, -1, key, ignored, model::text_rule::multi_line) && ok;
    } else if (key == "truncatedAlerts") {
      uint64_t n;
      if (auto ec = val.get_uint64().get(n))
        ok = c.fail(-1, "truncatedAlerts", ec, "a non-negative integer");
    } else {
      ok = check_unknown(c, val, -1, key.substr(0, 64), 1) && ok;
    }
    if (c.stop())
      return false;
  }
  if (auto dup = keys.repeated())
    ok = c.fail(-1, std::string{dup->substr(0, 64)}, "duplicate key");
  if (!has_alerts)
    ok = c.fail(-1, "alerts", "required");
  return ok;
}

// -- documents ------------------------------------------------------------------------------

od::parser& thread_parser(std::size_t max_depth) {
  thread_local od::parser parser;
  thread_local bool configured = false;
  if (!configured) {
    // Depth is bounded by our own walk, which counts from where the schema hands over to it;
    // simdjson's bound sits above it (its count includes the levels above) so ours trips first.
    // On failure the first iterate() allocates instead, with simdjson's default bound.
    configured = parser.allocate(64 * 1024, max_depth + 16) == simdjson::SUCCESS;
  }
  return parser;
}

/// Parses one document spanning [data, data + len) with `capacity` readable bytes.
void parse_document(context& c, payload_format format, const char* data, std::size_t len,
                    std::size_t capacity, long index_base, std::vector<model::event>& out) {
  auto& parser = thread_parser(c.limits.max_depth);
  od::document doc;
  if (auto ec = parser.iterate(data, len, capacity).get(doc)) {
    c.fail(index_base, "", ec);
    return;
  }
  od::value root;
  if (auto ec = doc.get_value().get(root)) {
    c.fail(index_base, "", ec);
    return;
  }
  switch (format) {
    case payload_format::events:
    case payload_format::ndjson: {
      od::json_type type;
      if (auto ec = root.type().get(type)) {
        c.fail(index_base, "", ec);
        return;
      }
      if (type == od::json_type::array && format == payload_format::events) {
        od::array arr;
        if (auto ec = root.get_array().get(arr)) {
          c.fail(-1, "", ec);
          return;
        }
        long index = 0;
        for (auto item : arr) {
          od::value el;
          if (auto ec = item.get(el)) {
            c.fail(index, "", ec);
            return;
          }
          out.emplace_back();
          if (!parse_event_object(c, el, index, out.back()))
            out.pop_back();
          if (c.stop())
            return;
          ++index;
        }
      } else {
        model::event e;
        if (parse_event_object(c, root, index_base < 0 ? 0 : index_base, e))
          out.push_back(std::move(e));
      }
      break;
    }
    case payload_format::alertmanager:
      parse_webhook(c, root, out);
      break;
    case payload_format::v2_alerts:
      parse_alert_array(c, root, "", false, out);
      break;
  }
  if (c.fatal)
    return;
  // Everything was consumed only if the iterator stands at the end of the structurals.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
    c.fail(index_base, "", simdjson::TRAILING_CONTENT);
}

bool blank(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(),
                     [](char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; });
}

/// The whole body: one document, or one per NDJSON line.
void parse_body(context& c, payload_format format, const std::string& body, std::size_t capacity,
                std::vector<model::event>& out) {
  if (blank(body)) {
    c.fail(-1, "", "empty body");
  } else if (format == payload_format::ndjson) {
    std::size_t pos = 0;
    long index = 0;
    while (pos < body.size() && !c.stop()) {
      auto nl = body.find('\n', pos);
      if (nl == std::string::npos)
        nl = body.size();
      std::string_view line{body.data() + pos, nl - pos};
      if (!blank(line)) {
        parse_document(c, format, line.data(), line.size(), capacity - pos, index, out);
        ++index;
      }
      pos = nl + 1;
    }
  } else {
    parse_document(c, format, body.data(), body.size(), capacity, -1, out);
  }
}

} // namespace

parse_result parse_payload(payload_format format, std::string& body, model::timestamp received_at,
                           const parse_limits& limits) {
  parse_result result;
  context c{limits, received_at};
  if (body.capacity() < body.size() + simdjson::SIMDJSON_PADDING)
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  // simdjson reads up to the capacity; keep those bytes defined.
  const std::size_t capacity = body.capacity();
  // A rough count (an alert is rarely under 200 bytes) saves regrowing a vector of big events.
  result.events.reserve(std::min<std::size_t>(body.size() / 200 + 1, 10'000));
  try {
    parse_body(c, format, body, capacity, result.events);
  } catch (const simdjson::simdjson_error& e) {
    // Every read above checks its error code; this only backs them up. A client's body must get
    // a 400, never the server's 500 for an escaped exception.
    c.fail(-1, "", e.error());
  }
  if (c.errors.empty() && result.events.empty())
    c.fail(-1, "", "the body holds no events");
  if (!c.errors.empty()) {
    result.events.clear();
    result.errors = std::move(c.errors);
  }
  return result;
}

std::string summarize(const parse_result& result) {
  if (result.errors.empty())
    return "ok";
  const auto& first = result.errors.front();
  std::string msg = result.errors.size() == 1
                      ? "invalid event: "
                      : std::to_string(result.errors.size()) + " problems; first: ";
  if (first.index >= 0)
    msg += "event " + std::to_string(first.index) + ": ";
  if (!first.field.empty())
    msg += first.field + ": ";
  msg += first.reason;
  return msg;
}

} // namespace vigil::ingest
