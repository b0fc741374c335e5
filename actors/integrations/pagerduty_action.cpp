// The `pagerduty` action: PagerDuty Events API v2 (`POST <url>/v2/enqueue`).

#include <algorithm>

#include "actors/integrations/adapter_json.hpp"

namespace vigil::actors::detail {

namespace {

constexpr std::string_view actions[] = {"trigger", "acknowledge", "resolve"};
constexpr std::string_view severities[] = {"critical", "error", "warning", "info"};
constexpr std::string_view payload_keys[] = {"summary",   "source", "severity", "timestamp",
                                             "component", "group",  "class",    "custom_details"};

/// PagerDuty's limit on `payload.summary`.
constexpr std::size_t summary_limit = 1024;

/// The dedup key when the step gives none: the alert's fingerprint; for a run without an alert
/// (all zeros), the run and step (the key without its attempt), so retries stay one incident.
std::string default_dedup_key(const call_request& req) {
  if (!req.fingerprint.empty() && req.fingerprint.find_first_not_of('0') != std::string::npos)
    return req.fingerprint;
  const auto slash = req.key.rfind('/');
  return slash == std::string::npos ? req.key : req.key.substr(0, slash);
}

} // namespace

call_plan plan_pagerduty(const model::integration_config& cfg, const call_request& req) {
  call_plan plan;
  json_params p{req.params};
  p.only("pagerduty",
         {"event_action", "dedup_key", "summary", "source", "severity", "timestamp", "component",
          "group", "class", "custom_details", "links", "images", "payload"});
  // The fields of `payload` may also be given inside `payload:` (PagerDuty's own shape).
  std::optional<simdjson::dom::object> nested;
  if (auto e = p.get("payload")) {
    simdjson::dom::object obj;
    if (e->get_object().get(obj) != simdjson::SUCCESS)
      p.fail("pagerduty: payload must be a map");
    else
      nested = obj;
  }
  auto field = [&](std::string_view key) -> std::optional<simdjson::dom::element> {
    if (auto e = p.get(key))
      return e;
    simdjson::dom::element e;
    if (nested && nested->at_key(key).get(e) == simdjson::SUCCESS && !e.is_null())
      return e;
    return std::nullopt;
  };
  auto text = [&](std::string_view key) -> std::optional<std::string> {
    auto e = field(key);
    if (!e)
      return std::nullopt;
    auto s = scalar_text(*e);
    if (!s)
      p.fail("pagerduty: " + std::string{key} + " must be a text");
    return s;
  };
  if (nested) {
    for (auto f : *nested)
      if (std::find(std::begin(payload_keys), std::end(payload_keys), f.key)
          == std::end(payload_keys))
        p.fail("pagerduty: unknown payload field \"" + std::string{f.key} + "\"");
  }
  const auto action = p.text("event_action").value_or("trigger");
  if (std::find(std::begin(actions), std::end(actions), action) == std::end(actions))
    p.fail("pagerduty: event_action must be trigger, acknowledge or resolve, not \"" + action
           + "\"");
  auto dedup = p.text("dedup_key").value_or("");
  if (dedup.empty())
    dedup = default_dedup_key(req);
  dedup = cut_utf8(dedup, 255);
  if (cfg.routing_key.empty())
    p.fail("pagerduty: integration " + cfg.name + " has no routing_key");
  if (cfg.url.empty())
    p.fail("pagerduty: integration " + cfg.name + " has no url");

  model::json_writer w;
  w.begin_object();
  w.field("routing_key", cfg.routing_key);
  w.field("event_action", action);
  w.field("dedup_key", dedup);
  if (action == "trigger") {
    const auto summary = text("summary").value_or("");
    if (summary.empty())
      p.fail("pagerduty: a trigger needs a summary");
    const auto severity = text("severity").value_or("error");
    if (std::find(std::begin(severities), std::end(severities), severity) == std::end(severities))
      p.fail("pagerduty: severity must be critical, error, warning or info, not \"" + severity
             + "\"");
    w.key("payload").begin_object();
    w.field("summary", cut_utf8(summary, summary_limit));
    w.field("source", text("source").value_or("vigil"));
    w.field("severity", severity);
    for (std::string_view key : {"timestamp", "component", "group", "class"})
      if (auto v = text(key))
        w.field(key, *v);
    if (auto details = field("custom_details")) {
      w.key("custom_details");
      write_json(w, *details);
    }
    w.end_object();
    for (std::string_view key : {"links", "images"}) {
      if (auto list = p.get(key)) {
        if (!list->is_array())
          p.fail("pagerduty: " + std::string{key} + " must be a list");
        w.key(key);
        write_json(w, *list);
      }
    }
  }
  w.end_object();
  if (!p.error().empty()) {
    plan.error = p.error();
    return plan;
  }
  plan.request = base_request(cfg, req, "POST", join_url(cfg.url, "/v2/enqueue"));
  set_header(plan.request, "Content-Type", "application/json");
  plan.request.body = std::move(w).str();
  return plan;
}

call_result read_pagerduty(const http_response& resp) {
  call_result r;
  r.status = resp.status;
  // The answer's dedup_key is what a later acknowledge or resolve step needs.
  simdjson::dom::parser parser;
  std::string_view key;
  if (parser.parse(resp.body).at_key("dedup_key").get_string().get(key) == simdjson::SUCCESS)
    r.output = std::string{key};
  else
    r.output = snippet(resp.body, 1024);
  return r;
}

} // namespace vigil::actors::detail
