// The `slack` action (incoming webhook) and the `alertmanager_silence` action.

#include "actors/integrations/adapter_json.hpp"

namespace vigil::actors::detail {

// -- slack ----------------------------------------------------------------------------------------

call_plan plan_slack(const model::integration_config& cfg, const call_request& req) {
  call_plan plan;
  json_params p{req.params};
  p.only("slack", {"text", "blocks"});
  const auto text = p.text("text");
  const auto blocks = p.get("blocks");
  if (blocks && !blocks->is_array())
    p.fail("slack: blocks must be a list");
  if (!blocks && (!text || text->empty()))
    p.fail("slack: give text (and optionally blocks)");
  const auto& url = cfg.webhook_url.empty() ? cfg.url : cfg.webhook_url;
  if (url.empty())
    p.fail("slack: integration " + cfg.name + " has no webhook_url");
  if (!p.error().empty()) {
    plan.error = p.error();
    return plan;
  }
  model::json_writer w;
  w.begin_object();
  if (text)
    w.field("text", *text);
  if (blocks) {
    w.key("blocks");
    write_json(w, *blocks);
  }
  w.end_object();
  plan.request = base_request(cfg, req, "POST", url);
  set_header(plan.request, "Content-Type", "application/json");
  plan.request.body = std::move(w).str();
  return plan;
}

// -- alertmanager_silence -------------------------------------------------------------------------

namespace {

/// Default length of a silence.
constexpr std::chrono::milliseconds default_silence{3'600'000};

void write_matcher(model::json_writer& w, std::string_view name, std::string_view value,
                   bool is_regex, bool is_equal) {
  w.begin_object();
  w.field("name", name);
  w.field("value", value);
  w.field("isRegex", is_regex);
  w.field("isEqual", is_equal);
  w.end_object();
}

} // namespace

call_plan plan_silence(const model::integration_config& cfg, const call_request& req,
                       model::timestamp now) {
  call_plan plan;
  json_params p{req.params};
  p.only("alertmanager_silence", {"labels", "matchers", "duration", "createdBy", "comment"});
  const auto labels = p.text_map("labels");
  model::json_writer w;
  w.begin_object();
  w.key("matchers").begin_array();
  std::size_t count = 0;
  for (const auto& [name, value] : labels) {
    write_matcher(w, name, value, false, true);
    ++count;
  }
  // Explicit matchers: [{name, value, isRegex, isEqual}] for what labels cannot say.
  if (auto list = p.get("matchers")) {
    simdjson::dom::array items;
    if (list->get_array().get(items) != simdjson::SUCCESS)
      p.fail("alertmanager_silence: matchers must be a list of {name, value, isRegex, isEqual}");
    else
      for (auto m : items) {
        std::string_view name;
        std::string_view value;
        bool is_regex = false;
        bool is_equal = true;
        if (m.at_key("name").get_string().get(name) != simdjson::SUCCESS || name.empty()
            || m.at_key("value").get_string().get(value) != simdjson::SUCCESS) {
          p.fail("alertmanager_silence: every matcher needs a name and a value");
          break;
        }
        if (m.at_key("isRegex").get_bool().get(is_regex) != simdjson::SUCCESS)
          is_regex = false;
        if (m.at_key("isEqual").get_bool().get(is_equal) != simdjson::SUCCESS)
          is_equal = true;
        write_matcher(w, name, value, is_regex, is_equal);
        ++count;
      }
  }
  w.end_array();
  if (count == 0)
    p.fail("alertmanager_silence: give labels (or matchers) to silence");
  auto duration = default_silence;
  if (auto d = p.text("duration")) {
    auto parsed = model::parse_duration(*d);
    if (!parsed || parsed->count() <= 0)
      p.fail("alertmanager_silence: duration \"" + *d + "\" is not a duration such as 2h");
    else
      duration = *parsed;
  }
  auto comment = p.text("comment").value_or("");
  if (comment.empty()) // Alertmanager wants one: name the run (the key's first part)
    comment = "silenced by vigil workflow " + req.key.substr(0, req.key.find('/'));
  w.field("startsAt", model::format_rfc3339(now));
  w.field("endsAt", model::format_rfc3339(
                      now + std::chrono::duration_cast<std::chrono::nanoseconds>(duration)));
  w.field("createdBy", p.text("createdBy").value_or("vigil"));
  w.field("comment", comment);
  w.end_object();
  if (cfg.url.empty())
    p.fail("alertmanager_silence: integration " + cfg.name + " has no url");
  if (!p.error().empty()) {
    plan.error = p.error();
    return plan;
  }
  plan.request = base_request(cfg, req, "POST", join_url(cfg.url, "/api/v2/silences"));
  set_header(plan.request, "Content-Type", "application/json");
  plan.request.body = std::move(w).str();
  return plan;
}

call_result read_silence(const http_response& resp) {
  call_result r;
  r.status = resp.status;
  simdjson::dom::parser parser;
  std::string_view id;
  if (parser.parse(resp.body).at_key("silenceID").get_string().get(id) != simdjson::SUCCESS) {
    r.failure = call_failure::error;
    r.error = "Alertmanager's answer has no silenceID: " + snippet(resp.body);
    return r;
  }
  r.output = std::string{id};
  return r;
}

} // namespace vigil::actors::detail
