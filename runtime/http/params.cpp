#include "runtime/http/params.hpp"

namespace vigil::http {

void query_reader::fail(std::string_view name, std::string reason) {
  if (error_)
    return;
  error_ =
    error_response(400, "invalid_parameter", "query parameter " + std::string{name} + ": " + reason,
                   {{std::string{name}, reason, -1}});
}

std::size_t query_reader::count(std::string_view name, std::size_t fallback, std::size_t min,
                                std::size_t max) {
  const auto* v = req_.query_param(name);
  if (v == nullptr)
    return fallback;
  std::size_t n = 0;
  bool ok = !v->empty() && v->size() <= 12;
  for (char c : *v) {
    ok = ok && c >= '0' && c <= '9';
    if (ok)
      n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  if (!ok || n < min || n > max) {
    fail(name, "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max)
                 + ", got \"" + v->substr(0, 32) + "\"");
    return fallback;
  }
  return n;
}

model::timestamp query_reader::since(std::string_view name) {
  const auto* v = req_.query_param(name);
  if (v == nullptr || v->empty())
    return {};
  if (auto d = model::parse_duration(*v))
    return now_ - std::chrono::duration_cast<std::chrono::nanoseconds>(*d);
  if (auto t = model::parse_rfc3339(*v))
    return *t;
  fail(name, "expected a duration back from now (1h, 7d) or an RFC 3339 time, got \""
               + v->substr(0, 64) + "\"");
  return {};
}

std::string query_reader::text(std::string_view name) {
  const auto* v = req_.query_param(name);
  return v == nullptr ? std::string{} : *v;
}

void query_reader::allow(std::initializer_list<std::string_view> names) {
  for (const auto& [k, v] : req_.query) {
    bool known = false;
    for (auto n : names)
      known = known || n == k;
    if (!known) {
      std::string list;
      for (auto n : names)
        list += (list.empty() ? "" : ", ") + std::string{n};
      fail(k, "unknown parameter (known: " + list + ")");
    }
  }
}

} // namespace vigil::http
