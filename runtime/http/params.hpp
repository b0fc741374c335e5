#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/http/types.hpp"
#include "runtime/model/time.hpp"

namespace vigil::http {

/// Query-parameter readers. Each returns the value, or an error response naming the parameter
/// and what was wrong; a missing parameter yields the default.
class query_reader {
public:
  query_reader(const request& req, model::timestamp now) : req_(req), now_(now) {}

  /// `name` as a whole number in [min, max].
  std::size_t count(std::string_view name, std::size_t fallback, std::size_t min, std::size_t max);

  /// `name` as a point in time: a duration back from now (`1h`, `7d`) or RFC 3339.
  model::timestamp since(std::string_view name);

  /// `name` as free text (empty when absent).
  std::string text(std::string_view name);

  /// Only these parameters may appear.
  void allow(std::initializer_list<std::string_view> names);

  /// The first problem found, as a 400 answer; nullopt when all were fine.
  [[nodiscard]] std::optional<response> error() const { return error_; }

  /// Records a problem with a parameter.
  void fail(std::string_view name, std::string reason);

private:
  const request& req_;
  model::timestamp now_;
  std::optional<response> error_;
};

} // namespace vigil::http
