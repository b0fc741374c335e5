// What every adapter shares: dispatch by action, answers by status, Retry-After, probes,
// conditions, redaction.

#include "actors/integrations/adapters.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <ctime>

#include "actors/integrations/adapter_json.hpp"

namespace vigil::actors {

using std::chrono::milliseconds;

// -- conditions -----------------------------------------------------------------------------------

bool value_condition::holds(double value) const noexcept {
  switch (operation) {
    case op::lt:
      return value < number;
    case op::le:
      return value <= number;
    case op::gt:
      return value > number;
    case op::ge:
      return value >= number;
    case op::eq:
      return value == number;
    case op::ne:
      return value != number;
  }
  return false;
}

std::optional<value_condition> parse_condition(std::string_view text) {
  auto skip = [&](std::size_t i) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    return i;
  };
  auto i = skip(0);
  if (text.compare(i, 5, "value") != 0)
    return std::nullopt;
  i = skip(i + 5);
  static constexpr std::pair<std::string_view, value_condition::op> ops[] = {
    {"<=", value_condition::op::le}, {">=", value_condition::op::ge},
    {"==", value_condition::op::eq}, {"!=", value_condition::op::ne},
    {"<", value_condition::op::lt},  {">", value_condition::op::gt},
  };
  value_condition c;
  bool found = false;
  for (const auto& [sym, op] : ops) {
    if (text.compare(i, sym.size(), sym) == 0) {
      c.operation = op;
      i += sym.size();
      found = true;
      break;
    }
  }
  if (!found)
    return std::nullopt;
  i = skip(i);
  const std::string rest{text.substr(i)};
  char* end = nullptr;
  c.number = std::strtod(rest.c_str(), &end);
  if (rest.empty() || end == rest.c_str() || !std::isfinite(c.number))
    return std::nullopt;
  while (*end != 0 && std::isspace(static_cast<unsigned char>(*end)))
    ++end;
  if (*end != 0)
    return std::nullopt;
  c.text = std::string{text};
  return c;
}

// -- secrets --------------------------------------------------------------------------------------

bool is_credential_header(std::string_view name) noexcept {
  std::string n{name};
  std::transform(n.begin(), n.end(), n.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (n == "idempotency-key")
    return false; // Vigil's own, and shown in the run's log anyway
  for (std::string_view part : {"auth", "token", "key", "secret", "cookie", "password"})
    if (n.find(part) != std::string::npos)
      return true;
  return false;
}

redactor::redactor(const model::integration_config& cfg) {
  add(cfg.routing_key);
  add(cfg.api_key);
  add(cfg.bearer_token);
  add(cfg.webhook_url);
  // A webhook's secret is its path: hide it even where the host is shown.
  if (const auto origin = detail::origin_of(cfg.webhook_url); !origin.empty())
    add(std::string_view{cfg.webhook_url}.substr(std::min(origin.size(), cfg.webhook_url.size())));
  for (const auto& [k, v] : cfg.headers)
    if (is_credential_header(k))
      add(v);
}

void redactor::add(std::string_view secret) {
  // Very short values would redact ordinary words; no real credential is that short.
  if (secret.size() >= 4)
    secrets_.emplace_back(secret);
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string redactor::operator()(std::string_view text) const {
  std::string out{text};
  for (const auto& s : secrets_) {
    for (auto pos = out.find(s); pos != std::string::npos; pos = out.find(s, pos + 10))
      out.replace(pos, s.size(), "[redacted]");
  }
  return out;
}

// -- calls ----------------------------------------------------------------------------------------

call_plan plan_call(const model::integration_config& cfg, const call_request& req,
                    model::timestamp now) {
  call_plan p;
  if (req.action == "http")
    p = detail::plan_http(cfg, req);
  else if (req.action == "pagerduty")
    p = detail::plan_pagerduty(cfg, req);
  else if (req.action == "slack")
    p = detail::plan_slack(cfg, req);
  else if (req.action == "alertmanager_silence")
    p = detail::plan_silence(cfg, req, now);
  else if (req.action == "prometheus_query")
    p = detail::plan_query(cfg, req);
  else
    p.error = "integrations do not know the action \"" + req.action + "\"";
  p.action = req.action;
  return p;
}

namespace {

bool expected_status(const call_plan& plan, int status) {
  if (plan.expect_status.empty())
    return status >= 200 && status < 300;
  return std::find(plan.expect_status.begin(), plan.expect_status.end(), status)
         != plan.expect_status.end();
}

} // namespace

call_result read_answer(const call_plan& plan, const http_response& resp, model::timestamp now) {
  static constexpr std::size_t output_limit = 64 * 1024;
  call_result r;
  r.status = resp.status;
  switch (resp.error) {
    case transport_error::none:
      break;
    case transport_error::timeout:
      r.failure = call_failure::timeout;
      r.error = "timed out: " + resp.error_text;
      return r;
    case transport_error::connection:
    case transport_error::cancelled:
      r.failure = call_failure::unavailable;
      r.error = "connection failed: " + resp.error_text;
      return r;
    case transport_error::other:
      r.failure = call_failure::error;
      r.error = "request failed: " + resp.error_text;
      return r;
  }
  r.output = detail::cut_utf8(resp.body, output_limit);
  if (resp.truncated || resp.body.size() > output_limit)
    r.output += "\n[truncated]";
  const auto status = std::to_string(resp.status);
  // A status the step asked for is success, whatever it is.
  if (!plan.expect_status.empty() && expected_status(plan, resp.status))
    return r;
  if (resp.status == 429) {
    r.failure = call_failure::rate_limited;
    r.error = "HTTP 429: rate limited";
    if (auto ra = parse_retry_after(resp.header("retry-after"), now))
      r.retry_after = *ra;
    return r;
  }
  if (resp.status >= 500) {
    r.failure = call_failure::unavailable;
    r.error = "HTTP " + status;
    return r;
  }
  if (plan.action == "pagerduty") {
    if (resp.status >= 200 && resp.status < 300)
      return detail::read_pagerduty(resp);
    r.failure = call_failure::error;
    r.error = "HTTP " + status + ": PagerDuty rejected the event: " + detail::snippet(resp.body);
    return r;
  }
  if (!expected_status(plan, resp.status)) {
    r.failure = call_failure::error;
    r.error = "HTTP " + status + (plan.expect_status.empty() ? "" : " (unexpected status)");
    if (resp.status >= 300 && resp.status < 400)
      r.error += ": redirects are not followed";
    else if (!resp.body.empty())
      r.error += ": " + detail::snippet(resp.body);
    return r;
  }
  if (plan.action == "alertmanager_silence")
    return detail::read_silence(resp);
  if (plan.action == "prometheus_query")
    return detail::read_query(plan, resp);
  if (plan.action == "slack") {
    r.output = detail::snippet(resp.body, 1024);
  }
  return r;
}

std::optional<milliseconds> parse_retry_after(std::string_view value, model::timestamp now) {
  static constexpr milliseconds cap{3'600'000};
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  if (value.empty())
    return std::nullopt;
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (value.size() > 7)
      return cap;
    return std::min(cap, milliseconds{std::atol(std::string{value}.c_str()) * 1000});
  }
  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
  std::tm tm{};
  const std::string text{value};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != 0)
    return std::nullopt;
  const auto at = model::timestamp{std::chrono::seconds{timegm(&tm)}};
  if (at <= now)
    return milliseconds{0};
  return std::min(cap, std::chrono::ceil<milliseconds>(at - now));
}

call_outcome outcome_of(const http_response& resp, model::timestamp now) {
  call_outcome o;
  o.latency = resp.elapsed;
  switch (resp.error) {
    case transport_error::timeout:
    case transport_error::connection:
      o.counted = true;
      o.failure = true;
      return o;
    case transport_error::other:
    case transport_error::cancelled:
      return o; // nothing reached the service: says nothing about it
    case transport_error::none:
      break;
  }
  o.counted = true;
  o.failure = resp.status >= 500 || resp.status == 429;
  if (resp.status == 429)
    if (auto ra = parse_retry_after(resp.header("retry-after"), now); ra && ra->count() > 0)
      o.retry_after_header = *ra;
  return o;
}

// -- health probes --------------------------------------------------------------------------------

std::optional<call_plan> plan_probe(const model::integration_config& cfg) {
  if (cfg.url.empty())
    return std::nullopt;
  std::string path = cfg.health.path;
  if (path.empty()) {
    if (cfg.type == "alertmanager")
      path = "/api/v2/alerts?active=true&silenced=false&inhibited=false";
    else if (cfg.type == "prometheus")
      path = "/-/healthy";
    else if (cfg.type != "http")
      return std::nullopt; // pagerduty, slack: nothing to probe without sending something
  }
  call_plan p;
  p.action = "probe";
  call_request req;
  req.timeout = cfg.timeout;
  p.request = detail::base_request(cfg, req, "GET", detail::join_url(cfg.url, path));
  return p;
}

probe_result read_probe(const model::integration_config& cfg, const http_response& resp,
                        model::timestamp now) {
  probe_result p;
  p.ran = true;
  p.status = resp.status;
  p.at = now;
  p.latency = std::chrono::duration_cast<milliseconds>(resp.elapsed);
  if (resp.error != transport_error::none) {
    p.error = (resp.error == transport_error::timeout ? "timed out: " : "connection failed: ")
              + resp.error_text;
    return p;
  }
  p.ok = resp.status >= 200 && resp.status < 300;
  if (!p.ok) {
    p.error = "HTTP " + std::to_string(resp.status);
    return p;
  }
  if (cfg.type == "alertmanager" && cfg.health.path.empty()) {
    simdjson::dom::parser parser;
    simdjson::dom::array alerts;
    if (parser.parse(resp.body).get_array().get(alerts) != simdjson::SUCCESS) {
      p.ok = false;
      p.error = "the alerts list is not a JSON array";
      return p;
    }
    std::vector<std::string> names;
    for (auto a : alerts) {
      std::string_view name;
      if (a.at_pointer("/labels/alertname").get_string().get(name) == simdjson::SUCCESS
          && std::find(names.begin(), names.end(), name) == names.end())
        names.emplace_back(name);
    }
    p.detail = std::to_string(alerts.size()) + " active alert" + (alerts.size() == 1 ? "" : "s");
    for (std::size_t i = 0; i < names.size() && i < 20; ++i)
      p.detail += (i == 0 ? ": " : ", ") + names[i];
    return p;
  }
  p.detail = detail::snippet(resp.body, 200);
  return p;
}

} // namespace vigil::actors
