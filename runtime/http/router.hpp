#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/http/types.hpp"

namespace vigil::http {

/// A registered endpoint.
struct route {
  http::method method = method::get;
  /// Path pattern; a `{name}` segment matches one path segment and is passed in
  /// `request::path_params`, in order.
  std::string pattern;
  http::handler handler;
  /// Media types accepted for the body (lowercase); empty accepts any. Checked before the
  /// body is read, so a wrong type costs no buffering.
  std::vector<std::string> content_types;
  /// Scope the caller's token needs (ingest | read | operate | admin); empty: none.
  std::string scope;
};

/// Outcome of looking up a method and path.
struct route_match {
  const http::route* route = nullptr;   ///< the route, when found
  std::vector<std::string> path_params; ///< values of its `{...}` segments
  bool path_known = false;              ///< some route has this path (405 rather than 404)
  std::string allow;                    ///< methods allowed for the path, for 405
};

/// Maps method + path to routes. Built once at startup, then read concurrently by io threads
/// (all lookups are const).
class router {
public:
  /// Adds a route. Patterns are matched in registration order; the first match wins.
  void add(route r);

  /// Finds the route for `m` and `path`.
  [[nodiscard]] route_match match(http::method m, std::string_view path) const;

  [[nodiscard]] const std::vector<route>& routes() const noexcept { return routes_; }

private:
  struct compiled {
    std::vector<std::string> segments; ///< "{}" marks a parameter
  };

  std::vector<route> routes_;
  std::vector<compiled> compiled_;
};

} // namespace vigil::http
