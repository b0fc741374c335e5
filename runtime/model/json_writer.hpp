#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::model {

/// Appends `s` to `out` as a JSON string literal (quotes included), escaping control
/// characters, quotes and backslashes. Invalid UTF-8 is replaced by U+FFFD so the
/// output is always valid JSON.
void append_json_string(std::string& out, std::string_view s);

/// A small streaming JSON writer that places commas for you. Not a validator: the caller
/// nests begin/end calls correctly. Single-threaded.
class json_writer {
public:
  json_writer() { out_.reserve(256); }

  json_writer& begin_object();
  json_writer& end_object();
  json_writer& begin_array();
  json_writer& end_array();

  /// Writes an object key; the next value call writes its value.
  json_writer& key(std::string_view k);

  json_writer& value(std::string_view s);
  json_writer& value(const char* s) { return value(std::string_view{s}); }
  json_writer& value(const std::string& s) { return value(std::string_view{s}); }
  json_writer& value(bool b);
  json_writer& value(int64_t n);
  json_writer& value(uint64_t n);
  json_writer& value(int n) { return value(static_cast<int64_t>(n)); }
  json_writer& value(unsigned n) { return value(static_cast<uint64_t>(n)); }
  json_writer& value(long long n) { return value(static_cast<int64_t>(n)); }
  json_writer& value(unsigned long long n) { return value(static_cast<uint64_t>(n)); }
  json_writer& value(double d);
  json_writer& null();

  /// Inserts already-serialized JSON as the next value.
  json_writer& raw(std::string_view json);

  /// Shorthand for key(k).value(v).
  template <class T>
  json_writer& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

  [[nodiscard]] const std::string& str() const& noexcept { return out_; }
  [[nodiscard]] std::string str() && noexcept { return std::move(out_); }

private:
  void separate();

  std::string out_;
  bool need_comma_ = false;
  bool after_key_ = false;
};

} // namespace vigil::model
