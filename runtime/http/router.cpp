#include "runtime/http/router.hpp"

namespace vigil::http {

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '/') {
      ++pos;
      continue;
    }
    auto end = path.find('/', pos);
    if (end == std::string_view::npos)
      end = path.size();
    out.push_back(path.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

} // namespace

void router::add(route r) {
  compiled c;
  for (auto seg : split_path(r.pattern)) {
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}')
      c.segments.emplace_back("{}");
    else
      c.segments.emplace_back(seg);
  }
  routes_.push_back(std::move(r));
  compiled_.push_back(std::move(c));
}

route_match router::match(http::method m, std::string_view path) const {
  route_match result;
  const auto segments = split_path(path);
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const auto& pattern = compiled_[i].segments;
    if (pattern.size() != segments.size())
      continue;
    std::vector<std::string> params;
    bool ok = true;
    for (std::size_t k = 0; k < pattern.size() && ok; ++k) {
      if (pattern[k] == "{}")
        params.emplace_back(segments[k]);
      else
        ok = pattern[k] == segments[k];
    }
    if (!ok)
      continue;
    result.path_known = true;
    const bool head_as_get = m == method::head && routes_[i].method == method::get;
    if (routes_[i].method == m || head_as_get) {
      if (result.route == nullptr) {
        result.route = &routes_[i];
        result.path_params = std::move(params);
      }
    }
    auto name = to_string(routes_[i].method);
    if (result.allow.find(name) == std::string::npos) {
      if (!result.allow.empty())
        result.allow += ", ";
      result.allow += name;
    }
  }
  return result;
}

} // namespace vigil::http
