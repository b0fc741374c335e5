#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>

#include "runtime/http/types.hpp"
#include "runtime/model/diagnostic.hpp"
#include "runtime/model/errc.hpp"
#include "runtime/model/json_writer.hpp"

namespace vigil::http {

/// Media types the operator endpoints take: JSON, and the form type curl sends by default (its
/// body is read as JSON as well, so `curl -d '{"workers": 8}'` works as the operations runbook
/// writes it).
[[nodiscard]] std::vector<std::string> json_bodies();

/// The HTTP status for a Vigil error code (400, 401, 403, 404, 409, 413, 415, 429, 503, 500).
[[nodiscard]] unsigned status_of(errc code) noexcept;

/// Writes `errors` as a JSON array of `{file, line, column, path, message}` under `key`.
void write_diagnostics(model::json_writer& w, std::string_view key,
                       const model::diagnostics& errors);

/// The JSON error answer for a Vigil error.
[[nodiscard]] response error_answer(const caf::error& err);

/// A request body read strictly as one JSON object (an empty body is `{}`): unknown fields and
/// wrong types are errors naming the field. Accessors return a neutral value on error; check
/// `error()` once after reading. Not thread-safe (one per request).
class body_reader {
public:
  explicit body_reader(std::string_view body);
  ~body_reader();
  body_reader(body_reader&&) noexcept;
  body_reader& operator=(body_reader&&) noexcept;

  /// False when the body is not a JSON object.
  [[nodiscard]] bool ok() const noexcept;
  /// The 400 answer for a body that is not a JSON object.
  [[nodiscard]] response error_response() const;

  /// Only these fields may appear.
  void allow(std::initializer_list<std::string_view> names);

  /// A string field.
  std::string text(std::string_view name, bool required);
  /// A string, number or boolean field, as text.
  std::string scalar_text(std::string_view name, bool required);
  /// A whole number in [min, max].
  int64_t integer(std::string_view name, int64_t min, int64_t max, bool required);
  /// A boolean (absent: `fallback`).
  bool flag(std::string_view name, bool fallback);
  /// An object whose values are strings, numbers or booleans, as text.
  std::map<std::string, std::string> string_map(std::string_view name);

  /// The first problem, as a 400 answer.
  [[nodiscard]] std::optional<response> error() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Reads `req`'s body (see `body_reader`).
[[nodiscard]] body_reader parse_body(const request& req);

} // namespace vigil::http
