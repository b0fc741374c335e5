#include "runtime/ingest/parse.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <simdjson.h>

namespace vigil::ingest {

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

// -- error texts ---------------------------------------------------------------------------

std::string describe(error_code ec) {
  switch (ec) {
    case simdjson::UTF8_ERROR:
      return "invalid UTF-8";
    case simdjson::NUMBER_ERROR:
    case simdjson::NUMBER_OUT_OF_RANGE:
      return "number malformed or out of range";
    case simdjson::INCORRECT_TYPE:
      return "wrong type";
    case simdjson::DEPTH_ERROR:
      return "nested deeper than allowed";
    case simdjson::TRAILING_CONTENT:
      return "trailing content after the JSON value";
    case simdjson::EMPTY:
      return "empty body";
    case simdjson::UNCLOSED_STRING:
      return "unclosed string";
    case simdjson::STRING_ERROR:
      return "invalid string escape";
    case simdjson::UNESCAPED_CHARS:
      return "control character inside a string";
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR:
      return "invalid literal";
    case simdjson::CAPACITY:
      return "body too large to parse";
    default:
      return std::string{"malformed JSON ("} + simdjson::error_message(ec) + ")";
  }
}

/// Collects errors; knows the limits and the receive time.
class context {
public:
  context(const parse_limits& l, model::timestamp now) : limits(l), now(now) {}

  /// Records a problem; returns false so callers can `return fail(...)`.
  bool fail(long index, std::string field, std::string reason) {
    if (errors.size() < limits.max_errors)
      errors.push_back({index, std::move(field), std::move(reason)});
    return false;
  }

  /// Records a simdjson error. Type errors leave the document usable; anything else ends it.
  bool fail(long index, std::string field, error_code ec, std::string_view expected = {}) {
    if (ec == simdjson::INCORRECT_TYPE && !expected.empty())
      return fail(index, std::move(field), "expected " + std::string{expected});
    if (ec != simdjson::INCORRECT_TYPE)
      fatal = true;
    return fail(index, std::move(field), describe(ec));
  }

  [[nodiscard]] bool stop() const noexcept { return fatal || errors.size() >= limits.max_errors; }

  const parse_limits& limits;
  model::timestamp now;
  std::vector<parse_error> errors;
  bool fatal = false;
};

std::string join(std::string_view a, std::string_view b) {
  std::string out;
  out.reserve(a.size() + 1 + b.size());
  out += a;
  out += '.';
  // Keys in messages are cut so that an error answer stays small.
  out += b.size() > 64 ? std::string{b.substr(0, 64)} + "..." : std::string{b};
  return out;
}

// -- field readers ---------------------------------------------------------------------------

bool read_string(context& c, od::value v, long index, std::string_view field, std::string& out) {
  std::string_view s;
  if (auto ec = v.get_string().get(s))
    return c.fail(index, std::string{field}, ec, "a string");
  if (s.size() > c.limits.max_value_bytes)
    return c.fail(index, std::string{field},
                  "longer than " + std::to_string(c.limits.max_value_bytes) + " bytes");
  out.assign(s.data(), s.size());
  return true;
}

bool read_time(context& c, od::value v, long index, std::string_view field, model::timestamp& out) {
  std::string_view s;
  if (auto ec = v.get_string().get(s))
    return c.fail(index, std::string{field}, ec, "an RFC 3339 time string");
  auto t = model::parse_rfc3339(s);
  if (!t)
    return c.fail(index, std::string{field},
                  "not an RFC 3339 time (e.g. 2024-05-01T12:00:00Z): \""
                    + std::string{s.substr(0, 64)} + "\"");
  out = *t;
  return true;
}

bool read_labels(context& c, od::value v, long index, std::string_view field,
                 model::label_set& out) {
  od::object obj;
  if (auto ec = v.get_object().get(obj))
    return c.fail(index, std::string{field}, ec, "an object of strings");
  out.reserve(8, 256);
  bool ok = true;
  bool too_many = false;
  for (auto item : obj) {
    od::field f;
    if (auto ec = std::move(item).get(f))
      return c.fail(index, std::string{field}, ec);
    std::string_view key;
    if (auto ec = f.unescaped_key().get(key))
      return c.fail(index, std::string{field}, ec);
    if (key.empty()) {
      ok = c.fail(index, std::string{field}, "empty key");
      continue;
    }
    if (key.size() > c.limits.max_key_bytes) {
      ok = c.fail(index, join(field, key),
                  "key longer than " + std::to_string(c.limits.max_key_bytes) + " bytes");
      continue;
    }
    std::string_view value;
    if (auto ec = f.value().get_string().get(value)) {
      ok = c.fail(index, join(field, key), ec, "a string");
      if (c.fatal)
        return false;
      continue;
    }
    if (value.size() > c.limits.max_value_bytes) {
      ok = c.fail(index, join(field, key),
                  "value longer than " + std::to_string(c.limits.max_value_bytes) + " bytes");
      continue;
    }
    if (out.size() == c.limits.max_labels) {
      too_many = true;
      continue;
    }
    out.append(key, value);
  }
  if (too_many)
    ok = c.fail(index, std::string{field},
                "more than " + std::to_string(c.limits.max_labels) + " entries");
  if (!ok)
    return false;
  if (auto dup = out.sort(); !dup.empty())
    return c.fail(index, join(field, dup), "duplicate key");
  return true;
}

/// Walks a value the schema does not use, enforcing depth, key sizes and unique keys.
bool check_unknown(context& c, od::value v, long index, std::string_view field, std::size_t depth) {
  if (depth > c.limits.max_depth)
    return c.fail(index, std::string{field},
                  "nested deeper than " + std::to_string(c.limits.max_depth) + " levels");
  od::json_type type;
  if (auto ec = v.type().get(type))
    return c.fail(index, std::string{field}, ec);
  if (type == od::json_type::array) {
    od::array arr;
    if (auto ec = v.get_array().get(arr))
      return c.fail(index, std::string{field}, ec);
    for (auto item : arr) {
      od::value el;
      if (auto ec = item.get(el))
        return c.fail(index, std::string{field}, ec);
      if (!check_unknown(c, el, index, field, depth + 1))
        return false;
    }
  } else if (type == od::json_type::object) {
    od::object obj;
    if (auto ec = v.get_object().get(obj))
      return c.fail(index, std::string{field}, ec);
    std::vector<std::string_view> seen;
    for (auto item : obj) {
      od::field f;
      if (auto ec = std::move(item).get(f))
        return c.fail(index, std::string{field}, ec);
      std::string_view key;
      if (auto ec = f.unescaped_key().get(key))
        return c.fail(index, std::string{field}, ec);
      if (key.size() > c.limits.max_key_bytes)
        return c.fail(index, join(field, key), "key too long");
      if (std::find(seen.begin(), seen.end(), key) != seen.end())
        return c.fail(index, join(field, key), "duplicate key");
      seen.push_back(key);
      if (!check_unknown(c, f.value(), index, join(field, key), depth + 1))
        return false;
    }
  } else if (type == od::json_type::string) {
    std::string_view s;
    if (auto ec = v.get_string().get(s))
      return c.fail(index, std::string{field}, ec);
    if (s.size() > c.limits.max_value_bytes)
      return c.fail(index, std::string{field}, "value too long");
  } else if (type == od::json_type::number) {
    double d;
    if (auto ec = v.get_double().get(d))
      return c.fail(index, std::string{field}, ec);
  } else if (type == od::json_type::boolean) {
    bool b;
    if (auto ec = v.get_bool().get(b))
      return c.fail(index, std::string{field}, ec);
  } else {
    if (!v.is_null())
      return c.fail(index, std::string{field}, "invalid literal");
  }
  return true;
}

/// Tracks which known fields of one object were seen, to reject repeats.
class seen_fields {
public:
  /// True the first time `bit` is marked.
  bool mark(unsigned bit) noexcept {
    const uint32_t m = 1U << bit;
    const bool first = (bits_ & m) == 0;
    bits_ |= m;
    return first;
  }
  [[nodiscard]] bool has(unsigned bit) const noexcept { return (bits_ & (1U << bit)) != 0; }

private:
  uint32_t bits_ = 0;
};

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
        ok = read_labels(c, val, index, "labels", e.labels) && ok;
        break;
      case f_annotations:
        ok = read_labels(c, val, index, "annotations", e.annotations) && ok;
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
  bool ok = true;
  std::string_view status;
  for (auto item : obj) {
    od::field f;
    if (auto ec = std::move(item).get(f))
      return c.fail(index, std::string{prefix}, ec);
    std::string_view key;
    if (auto ec = f.unescaped_key().get(key))
      return c.fail(index, std::string{prefix}, ec);
    const auto which = lookup_alert_field(key);
    const unsigned bit = which == a_unknown ? 31U : which;
    if (which != a_unknown && !seen.mark(bit)) {
      ok = c.fail(index, std::string{key}, "duplicate key");
      continue;
    }
    od::value val = f.value();
    switch (which) {
      case a_status:
        if (auto ec = val.get_string().get(status))
          ok = c.fail(index, "status", ec, "a string");
        break;
      case a_labels:
        ok = read_labels(c, val, index, "labels", e.labels) && ok;
        break;
      case a_annotations:
        ok = read_labels(c, val, index, "annotations", e.annotations) && ok;
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
      case a_fingerprint: {
        std::string ignored;
        ok = read_string(c, val, index, "fingerprint", ignored) && ok;
        break;
      }
      case a_unknown:
        ok = check_unknown(c, val, index, key, 3) && ok;
        break;
    }
    if (c.fatal)
      return false;
  }
  if (!seen.has(a_labels))
    ok = c.fail(index, "labels", "required");
  e.type = model::event_type::alert;
  if (webhook) {
    e.source = "alertmanager";
    if (!status.empty()) {
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
  std::vector<std::string_view> seen;
  for (auto item : obj) {
    od::field f;
    if (auto ec = std::move(item).get(f))
      return c.fail(-1, "", ec);
    std::string_view key;
    if (auto ec = f.unescaped_key().get(key))
      return c.fail(-1, "", ec);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      ok = c.fail(-1, std::string{key.substr(0, 64)}, "duplicate key");
      continue;
    }
    seen.push_back(key);
    od::value val = f.value();
    if (key == "alerts") {
      has_alerts = true;
      ok = parse_alert_array(c, val, "alerts", true, out) && ok;
    } else if (key == "version") {
      std::string version;
      if (read_string(c, val, -1, "version", version) && version != "4")
        ok = c.fail(-1, "version", "unsupported webhook version \"" + version + "\" (expected 4)");
    } else if (key == "receiver" || key == "status" || key == "externalURL" || key == "groupKey") {
      std::string ignored;
      ok = read_string(c, val, -1, key, ignored) && ok;
    } else if (key == "groupLabels" || key == "commonLabels" || key == "commonAnnotations") {
      model::label_set ignored;
      ok = read_labels(c, val, -1, key, ignored) && ok;
    } else if (key == "truncatedAlerts") {
      uint64_t n;
      if (auto ec = val.get_uint64().get(n))
        ok = c.fail(-1, "truncatedAlerts", ec, "a non-negative integer");
    } else {
      ok = check_unknown(c, val, -1, key, 1) && ok;
    }
    if (c.stop())
      return false;
  }
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
        parse_document(c, format, line.data(), line.size(), capacity - pos, index, result.events);
        ++index;
      }
      pos = nl + 1;
    }
  } else {
    parse_document(c, format, body.data(), body.size(), capacity, -1, result.events);
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
