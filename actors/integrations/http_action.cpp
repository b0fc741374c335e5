// The generic `http` action: any method, a path joined to the integration's URL or an absolute
// URL, headers, a JSON or text body, the statuses that count as success.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>

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

/// The first character of `s` that may not appear in a header value (CR, LF, NUL or another
/// control character but tab), or nullopt.
std::optional<unsigned char> forbidden_in_header(std::string_view s) {
  for (const unsigned char c : s)
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return c;
  return std::nullopt;
}

/// A header name is an RFC 9110 token.
bool valid_header_name(std::string_view s) {
  constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
  });
}

std::string describe_char(unsigned char c) {
  switch (c) {
    case '\r':
      return "a CR";
    case '\n':
      return "an LF";
    case 0:
      return "a NUL";
    default: {
      static constexpr char hex[] = "0123456789ABCDEF";
      return std::string{"the control character 0x"} + hex[c >> 4] + hex[c & 15];
    }
  }
}

/// True when `segment` is `.` or `..`, a dot also written `%2E` or `%2e`.
bool is_dot_segment(std::string_view segment) {
  std::size_t dots = 0;
  for (std::size_t i = 0; i < segment.size(); ++dots) {
    if (segment[i] == '.')
      i += 1;
    else if (segment.substr(i, 2) == "%2" && i + 2 < segment.size()
             && (segment[i + 2] == 'E' || segment[i + 2] == 'e'))
      i += 3;
    else
      return false;
  }
  return dots == 1 || dots == 2;
}

/// The URL's first `.` or `..` path segment (also percent-encoded), or empty. libcurl (and
/// most servers) resolve them, so a label could walk out of the runbook's path prefix.
std::string dot_segment(std::string_view url) {
  auto start = url.find("://");
  start = start == std::string_view::npos ? 0 : url.find('/', start + 3);
  if (start == std::string_view::npos)
    return {};
  const auto end = std::min(url.find('?', start), url.find('#', start));
  const auto path =
    url.substr(start, end == std::string_view::npos ? url.size() - start : end - start);
  std::size_t pos = 0;
  while (pos < path.size()) {
    auto next = path.find('/', pos + 1);
    if (next == std::string_view::npos)
      next = path.size();
    const auto segment = path.substr(pos + 1, next - pos - 1);
    if (is_dot_segment(segment))
      return std::string{segment};
    pos = next;
  }
  return {};
}

} // namespace

call_plan plan_http(const model::integration_config& cfg, const call_request& req) {
  call_plan plan;
  json_params p{req.params};
  p.only("http", {"method", "path", "url", "headers", "body", "expect_status", "raw_path"});
  if (auto raw = p.text("raw_path"); raw && *raw != "true" && *raw != "false")
    p.fail("http: raw_path must be true or false");
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
  for (const auto& [k, v] : headers) {
    if (!valid_header_name(k))
      p.fail("http: \"" + k + "\" is not a valid header name");
    else if (auto c = forbidden_in_header(v))
      p.fail("http: the value of header " + k + " holds " + describe_char(*c)
             + " (from a template?); a header value may not, so the call was not made");
  }
  if (auto c = forbidden_in_header(target); c || target.find(' ') != std::string::npos)
    p.fail("http: the URL holds " + (c ? describe_char(*c) : std::string{"a space"})
           + " (from a template?); the call was not made");
  else if (auto dots = dot_segment(target); !dots.empty())
    p.fail("http: the URL path holds a \"" + dots
           + "\" segment, which would leave the runbook's path; the call was not made");
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
