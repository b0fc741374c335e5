// Field readers shared by every ingest format: strings, times, labels and unknown values.

#include <algorithm>
#include <cstdio>

#include "runtime/ingest/parse_internal.hpp"

namespace vigil::ingest::detail {

namespace {

/// "control character U+0000 at byte 4", for the value `text` and the position found in it.
std::string control_character_reason(std::string_view text, std::size_t pos) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "control character U+%04X at byte %zu",
                static_cast<unsigned>(model::control_character_at(text, pos)), pos);
  return buf;
}

constexpr std::string_view key_rule =
  "invalid key: use letters, digits, '_', '.', '-' or '/', starting with a letter or '_'";

} // namespace

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

std::optional<std::string_view> key_scope::repeated() {
  if (in_order_)
    return std::nullopt; // strictly increasing: no key can repeat
  const auto first = keys_.begin() + static_cast<std::ptrdiff_t>(start_);
  std::sort(first, keys_.end());
  const auto it = std::adjacent_find(first, keys_.end());
  if (it == keys_.end())
    return std::nullopt;
  return *it;
}

std::string join(std::string_view a, std::string_view b) {
  std::string out;
  out.reserve(a.size() + 1 + std::min<std::size_t>(b.size(), 67));
  out += a;
  out += '.';
  if (b.size() > 64) {
    out += b.substr(0, 64);
    out += "...";
  } else {
    out += b;
  }
  return out;
}

bool read_string(context& c, od::value v, long index, std::string_view field, std::string& out,
                 model::text_rule rule) {
  std::string_view s;
  if (auto ec = v.get_string().get(s))
    return c.fail(index, std::string{field}, ec, "a string");
  if (s.size() > c.limits.max_value_bytes)
    return c.fail(index, std::string{field},
                  "longer than " + std::to_string(c.limits.max_value_bytes) + " bytes");
  if (auto pos = model::find_control_character(s, rule); pos != std::string_view::npos)
    return c.fail(index, std::string{field}, control_character_reason(s, pos));
  out.assign(s.data(), s.size());
  return true;
}

bool skip_string(context& c, od::value v, long index, std::string_view field) {
  std::string_view s;
  if (auto ec = v.get_string().get(s))
    return c.fail(index, std::string{field}, ec, "a string");
  if (s.size() > c.limits.max_value_bytes)
    return c.fail(index, std::string{field},
                  "longer than " + std::to_string(c.limits.max_value_bytes) + " bytes");
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
  // Times are kept as nanoseconds since the epoch, and 0 means "not given": the epoch itself
  // (or anything before it) cannot be told from "unset", so it is refused rather than lost.
  // Go's zero time, which Alertmanager sends as endsAt of a firing alert, parses to 0 too and
  // does mean "unset"; it is the only year-1 time that parses.
  if (model::to_unix_nanos(*t) <= 0 && s.substr(0, 5) != "0001-")
    return c.fail(index, std::string{field},
                  "must be after 1970-01-01T00:00:00Z (0001-01-01T00:00:00Z means unset): \""
                    + std::string{s.substr(0, 64)} + "\"");
  out = *t;
  return true;
}

bool read_labels(context& c, od::value v, long index, std::string_view field, model::label_set& out,
                 model::text_rule rule) {
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
    if (!model::valid_label_key(key)) {
      ok = c.fail(index, join(field, key), std::string{key_rule});
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
    if (auto pos = model::find_control_character(value, rule); pos != std::string_view::npos) {
      ok = c.fail(index, join(field, key), control_character_reason(value, pos));
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

bool check_unknown(context& c, od::value v, long index, std::string_view field, std::size_t depth) {
  if (depth > c.limits.max_depth)
    return c.fail(index, std::string{field},
                  "nested deeper than " + std::to_string(c.limits.max_depth) + " levels");
  od::json_type type;
  if (auto ec = v.type().get(type))
    return c.fail(index, std::string{field}, ec);
  switch (type) {
    case od::json_type::array: {
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
      return true;
    }
    case od::json_type::object: {
      od::object obj;
      if (auto ec = v.get_object().get(obj))
        return c.fail(index, std::string{field}, ec);
      key_scope keys{c};
      for (auto item : obj) {
        od::field f;
        if (auto ec = std::move(item).get(f))
          return c.fail(index, std::string{field}, ec);
        std::string_view key;
        if (auto ec = f.unescaped_key().get(key))
          return c.fail(index, std::string{field}, ec);
        if (key.size() > c.limits.max_key_bytes)
          return c.fail(index, join(field, key), "key too long");
        // The bound keeps the work per body linear whatever the sender repeats or nests.
        if (!keys.add(key, c.limits.max_object_keys))
          return c.fail(index, std::string{field},
                        "more than " + std::to_string(c.limits.max_object_keys) + " keys");
        if (!check_unknown(c, f.value(), index, join(field, key), depth + 1))
          return false;
      }
      if (auto dup = keys.repeated())
        return c.fail(index, join(field, *dup), "duplicate key");
      return true;
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto ec = v.get_string().get(s))
        return c.fail(index, std::string{field}, ec);
      if (s.size() > c.limits.max_value_bytes)
        return c.fail(index, std::string{field}, "value too long");
      return true;
    }
    case od::json_type::number: {
      double d;
      if (auto ec = v.get_double().get(d))
        return c.fail(index, std::string{field}, ec);
      return true;
    }
    case od::json_type::boolean: {
      bool b;
      if (v.get_bool().get(b) != simdjson::SUCCESS) // `tru`, `fals`: reported as a wrong type
        return c.fail(index, std::string{field}, simdjson::T_ATOM_ERROR);
      return true;
    }
    case od::json_type::null:
      break;
  }
  // `type()` only looks at the first byte: `nul`, `nan` or `n` land here. is_null() reports
  // them as errors, never by throwing (a throwing conversion once answered 500 here).
  bool is_null = false;
  if (v.is_null().get(is_null) != simdjson::SUCCESS || !is_null)
    return c.fail(index, std::string{field}, simdjson::N_ATOM_ERROR);
  return true;
}

} // namespace vigil::ingest::detail
