#pragma once

// Shared by parse.cpp (the formats) and parse_fields.cpp (the field readers); not installed.
// Everything here works on simdjson On-Demand values, which borrow the request body and the
// thread's parser: nothing in this header may outlive one `parse_payload` call.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "runtime/ingest/parse.hpp"

namespace vigil::ingest::detail {

namespace od = simdjson::ondemand;
using simdjson::error_code;

/// What a simdjson error means to a client.
[[nodiscard]] std::string describe(error_code ec);

/// Collects errors; knows the limits and the receive time. One per `parse_payload` call.
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
  /// The keys of the objects being walked, innermost last (see `key_scope`). Views into the
  /// parser's string buffer, valid for the current document.
  std::vector<std::string_view> keys;
};

/// The keys of one object that no schema covers, to find a repeated key in O(n log n) (free when
/// they arrive sorted) and to bound how many there are. Scopes nest like the objects they
/// track and share the context's stack of keys, so a body with many objects allocates once.
class key_scope {
public:
  explicit key_scope(context& c) noexcept : keys_(c.keys), start_(c.keys.size()) {}
  ~key_scope() { keys_.resize(start_); }
  key_scope(const key_scope&) = delete;
  key_scope& operator=(const key_scope&) = delete;

  /// Adds a key; false (and nothing added) once the object already has `max` keys.
  [[nodiscard]] bool add(std::string_view key, std::size_t max) {
    const std::size_t n = keys_.size() - start_;
    if (n >= max)
      return false;
    if (n > 0 && in_order_ && !(keys_.back() < key))
      in_order_ = false;
    keys_.push_back(key);
    return true;
  }

  /// A key added twice, if any. Call once all keys of the object are added.
  [[nodiscard]] std::optional<std::string_view> repeated();

private:
  std::vector<std::string_view>& keys_;
  std::size_t start_;
  bool in_order_ = true;
};

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

/// `a.b`, with `b` cut to 64 bytes so that an error answer stays small.
[[nodiscard]] std::string join(std::string_view a, std::string_view b);

// -- field readers: each records its own error and returns false on failure --------------------

/// A string of at most `max_value_bytes`, holding no control character `rule` forbids.
bool read_string(context& c, od::value v, long index, std::string_view field, std::string& out,
                 model::text_rule rule = model::text_rule::single_line);

/// A string the schema names but Vigil does not keep: only its type and length are checked.
bool skip_string(context& c, od::value v, long index, std::string_view field);

/// An RFC 3339 time after the Unix epoch, or Go's zero time (`0001-01-01T00:00:00Z`: unset).
bool read_time(context& c, od::value v, long index, std::string_view field, model::timestamp& out);

/// An object of labels or annotations: keys are label names (`model::valid_label_key`), values
/// strings under `rule`; at most `max_labels` of them, none repeated.
bool read_labels(context& c, od::value v, long index, std::string_view field, model::label_set& out,
                 model::text_rule rule);

/// Walks a value the schema does not use, enforcing depth, key sizes, key counts and unique keys.
bool check_unknown(context& c, od::value v, long index, std::string_view field, std::size_t depth);

} // namespace vigil::ingest::detail
