// The generic `http` action: any method, a path joined to the integration's URL or an absolute
// URL, headers, a JSON or text body, the statuses that count as success.

#include <algorithm>
#include <cctype>
#include <cmath>

#include "actors/integrations/adapter_json.hpp"

namespace vigil::actors::detail {

namespace {

constexpr std::string_view methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};

/// `expect_status`: a number or a list of numbers.
std::vector<int> read_expect_status(json_params& p) {
  std::vector<int> out;
  auto e = p.get("expect_status");
  if (!e)
    return out;
  auto one = [&](simdjson::dom::element x) {
    double d = 0;
    std::string_view s;
    if (x.get_double().get(d) != simdjson::SUCCESS) {
      // A template renders a number as text: accept "200".
      if (x.get_string().get(s) != simdjson::SUCCESS || s.empty()
          || !std::all_of(s.begin(), s.end(),
                          [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        p.fail("expect_status must be a status code or a list of status codes");
        return;
      }
      d = std::stod(std::string{s});
    }
    if (d < 100 || d > 599 || d != std::floor(d)) {
      p.fail("expect_status: " + to_json(x) + " is not an HTTP status code");
      return;
    }
    out.push_back(static_cast<int>(d));
  };
  simdjson::dom::array list;
  if (e->get_array().get(list) == simdjson::SUCCESS) {
    for (auto x : list)
      one(x);
    if (out.empty())
      p.fail("expect_status: the list is empty");
  } else {
    one(*e);
  }
  return out;
}

} // namespace

call_plan plan_http(const model::integration_config& cfg, const call_request& req) {
  call_plan plan;
  json_params p{req.params};
  p.only("http", {"method", "path", "url", "headers", "body", "expect_status"});
  auto method = p.text("method").value_or("");
  std::transform(method.begin(), method.end(), method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  const auto body = p.get("body");
  if (method.empty())
    method = body ? "POST" : "GET";
  if (std::find(std::begin(methods), std::end(methods), method) == std::end(methods))
    p.fail("http: unknown method \"" + method + "\"");
  const auto path = p.text("path");
  const auto url = p.text("url");
  std::string target;
  if (url && path) {
    p.fail("http: give either path (joined to the integration's url) or url, not both");
  } else if (url) {
    if (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0)
      p.fail("http: url must start with http:// or https://");
    target = *url;
  } else if (cfg.url.empty()) {
    p.fail("http: integration " + cfg.name + " has no url: give params.url");
  } else {
    target = join_url(cfg.url, path.value_or(""));
  }
  const auto headers = p.text_map("headers");
  plan.expect_status = read_expect_status(p);
  if (!p.error().empty()) {
    plan.error = p.error();
    return plan;
  }
  plan.request = base_request(cfg, req, method, std::move(target));
  if (body) {
    std::string_view text;
    if (body->get_string().get(text) == simdjson::SUCCESS) {
      plan.request.body = std::string{text};
      set_header(plan.request, "Content-Type", "text/plain; charset=utf-8");
    } else {
      plan.request.body = to_json(*body);
      set_header(plan.request, "Content-Type", "application/json");
    }
  }
  for (const auto& [k, v] : headers)
    set_header(plan.request, k, v);
  return plan;
}

} // namespace vigil::actors::detail
