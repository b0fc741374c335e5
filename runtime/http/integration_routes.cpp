#include "runtime/http/integration_routes.hpp"

#include <algorithm>
#include <cctype>
#include <thread>

#include "actors/integrations/integration_service.hpp"
#include "runtime/http/body.hpp"
#include "runtime/model/config.hpp"
#include "runtime/model/errc.hpp"
#include "runtime/model/json_writer.hpp"
#include "runtime/model/time.hpp"
#include "runtime/model/time_json.hpp"
#include "storage/database.hpp"

namespace vigil::http {

namespace {

constexpr std::string_view setting_key = "integration/";
constexpr std::string_view hidden = "***";

/// Header names whose values are credentials.
bool secret_header(std::string_view name) {
  std::string lower{name};
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view word : {"auth", "token", "key", "secret", "password", "cookie", "session"})
    if (lower.find(word) != std::string::npos)
      return true;
  return false;
}

void write_secret(model::json_writer& w, std::string_view key, const std::string& value) {
  w.key(key);
  if (value.empty())
    w.null();
  else
    w.value(hidden);
}

void write_health_word(model::json_writer& w, const actors::integration_health& h);

/// One integration as `GET /api/integrations` lists it: its settings (secrets hidden; the probe
/// settings under `health_check`) and, when `h` is given, how it is now (`health`, `healthy`,
/// `configured`, the breaker's `state`; `enabled` as an operator left it).
void write_config(model::json_writer& w, const model::integration_config& c,
                  const actors::integration_health* h = nullptr) {
  w.begin_object()
    .field("name", c.name)
    .field("type", c.type)
    .field("url", redact_url(c.url))
    .field("enabled", h != nullptr ? h->enabled : c.enabled);
  if (h != nullptr) {
    write_health_word(w, *h);
    w.field("configured", h->unconfigured.empty()).field("state", actors::to_string(h->state));
  }
  w.field("scrape_interval", model::format_duration(c.scrape_interval))
    .field("timeout", model::format_duration(c.timeout))
    .field("connect_timeout", model::format_duration(c.connect_timeout));
  w.key("headers").begin_object();
  for (const auto& [k, v] : c.headers)
    w.field(k, secret_header(k) ? std::string{hidden} : v);
  w.end_object();
  write_secret(w, "routing_key", c.routing_key);
  write_secret(w, "webhook_url", c.webhook_url);
  write_secret(w, "api_key", c.api_key);
  write_secret(w, "bearer_token", c.bearer_token);
  w.field("follow_redirects", c.follow_redirects)
    .field("max_in_flight", static_cast<uint64_t>(c.max_in_flight));
  const auto& cb = c.circuit_breaker;
  w.key("circuit_breaker")
    .begin_object()
    .field("failure_threshold", static_cast<uint64_t>(cb.failure_threshold))
    .field("window", model::format_duration(cb.window))
    .field("failure_rate", cb.failure_rate)
    .field("min_calls", static_cast<uint64_t>(cb.min_calls))
    .field("cooldown", model::format_duration(cb.cooldown))
    .field("max_cooldown", model::format_duration(cb.max_cooldown))
    .field("half_open_probes", static_cast<uint64_t>(cb.half_open_probes))
    .end_object();
  w.key("rate_limit")
    .begin_object()
    .field("per_second", c.rate_limit.per_second)
    .field("burst", static_cast<uint64_t>(c.rate_limit.burst))
    .end_object();
  w.key("health_check")
    .begin_object()
    .field("path", c.health.path)
    .field("interval", model::format_duration(c.health.interval))
    .end_object();
  w.end_object();
}

void write_probe(model::json_writer& w, const actors::probe_result& p) {
  w.begin_object()
    .field("ran", p.ran)
    .field("ok", p.ok)
    .field("status", static_cast<int64_t>(p.status))
    .field("detail", p.detail)
    .field("error", p.error)
    .field("latency_ms", static_cast<int64_t>(p.latency.count()));
  model::write_time(w, "at", p.at);
  w.end_object();
}

/// `health` (one word, see `actors::judge`) and `healthy`: true, false, or null while unknown
/// (and for a disabled or unconfigured one), so that `select(.healthy==false)` lists exactly
/// the integrations in trouble.
void write_health_word(model::json_writer& w, const actors::integration_health& h) {
  const auto word = actors::judge(h);
  w.field("health", actors::to_string(word)).key("healthy");
  if (word == actors::health_word::healthy)
    w.value(true);
  else if (word == actors::health_word::unhealthy)
    w.value(false);
  else
    w.null();
}

void write_health(model::json_writer& w, const actors::integration_health& h) {
  w.begin_object()
    .field("name", h.name)
    .field("type", h.type)
    .field("enabled", h.enabled)
    .field("paused", h.paused)
    .field("state", actors::to_string(h.state));
  write_health_word(w, h);
  w.field("configured", h.unconfigured.empty());
  if (!h.unconfigured.empty())
    w.field("unconfigured", h.unconfigured);
  w.field("consecutive_failures", static_cast<uint64_t>(h.consecutive_failures))
    .field("recent_failures", static_cast<uint64_t>(h.recent_failures))
    .field("last_error", h.last_error);
  model::write_time(w, "last_success", h.last_success);
  model::write_time(w, "last_failure", h.last_failure);
  model::write_time(w, "open_until",
                    h.state == actors::breaker_state::open ? h.open_until : model::timestamp{});
  w.field("cooldown", model::format_duration(h.cooldown));
  model::write_time(w, "rate_limited_until", h.rate_limited_until);
  w.field("queued", h.queued).field("in_flight", h.in_flight);
  w.key("last_probe");
  write_probe(w, h.last_probe);
  w.end_object();
}

response unknown(const std::string& name) {
  return error_response(404, "not_found", "no integration named " + name);
}

response diagnostics_answer(const model::diagnostics& errors) {
  std::vector<error_detail> details;
  for (const auto& d : errors)
    details.push_back({d.path, d.message, -1});
  const auto first = errors.empty() ? std::string{"invalid"} : errors.front().to_string();
  return error_response(400, "invalid_body", "invalid integration settings: " + first, details);
}

} // namespace

std::string redact_url(std::string_view url) {
  std::string out{url};
  const auto scheme = out.find("://");
  const auto host_from = scheme == std::string::npos ? 0 : scheme + 3;
  const auto path_from = out.find('/', host_from);
  const auto at = out.find('@', host_from);
  if (at != std::string::npos && (path_from == std::string::npos || at < path_from))
    out.replace(host_from, at - host_from, hidden);
  const auto q = out.find('?');
  if (q != std::string::npos) {
    // Keep the parameter names, hide every value.
    std::string query;
    std::string_view rest{out};
    rest.remove_prefix(q + 1);
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      auto part = rest.substr(0, amp);
      const auto eq = part.find('=');
      query += std::string{part.substr(0, eq)};
      if (eq != std::string_view::npos)
        query += "=" + std::string{hidden};
      if (amp == std::string_view::npos)
        break;
      query += '&';
      rest.remove_prefix(amp + 1);
    }
    out = out.substr(0, q + 1) + query;
  }
  return out;
}

void apply_stored_integrations(storage::database& db,
                               std::vector<model::integration_config>& configured,
                               std::vector<std::string>& skipped) {
  auto stored = db.settings(setting_key);
  if (!stored) {
    skipped.push_back("the stored integration settings: " + message_of(stored.error()));
    return;
  }
  for (const auto& [key, text] : *stored) {
    const auto name = key.substr(setting_key.size());
    auto it = std::find_if(configured.begin(), configured.end(),
                           [&](const auto& c) { return c.name == name; });
    auto patched = model::patch_integration(it != configured.end() ? &*it : nullptr, "", text, name,
                                            "stored settings of " + name);
    if (!patched) {
      skipped.push_back(name + ": " + patched.errors().front().to_string());
      continue;
    }
    if (it != configured.end())
      *it = std::move(patched.value().merged);
    else
      configured.push_back(std::move(patched.value().merged));
  }
}

void add_integration_routes(router& r, actors::integration_service& svc, storage::database& db) {
  const std::vector<std::string> bodies = json_bodies();
  // A list, as the operations runbook reads it: `jq '.[] | {name, enabled, health}'`.
  r.add({method::get,
         "/api/integrations",
         [&svc](request&, responder reply) {
           model::json_writer w;
           w.begin_array();
           for (const auto& name : svc.names()) {
             auto cfg = svc.config(name);
             auto h = svc.health(name);
             if (cfg)
               write_config(w, *cfg, h ? &*h : nullptr);
           }
           w.end_array();
           reply(json_response(std::move(w).str()));
         },
         {},
         "read"});
  // Every value an integration's health, keyed by name: `jq '.[] | select(.healthy==false)'`
  // and `jq .prometheus.healthy` both work. The summary is in `/api/health`.
  r.add({method::get,
         "/api/integrations/health",
         [&svc](request&, responder reply) {
           model::json_writer w;
           w.begin_object();
           for (const auto& h : svc.health()) {
             w.key(h.name);
             write_health(w, h);
           }
           w.end_object();
           reply(json_response(std::move(w).str()));
         },
         {},
         "read"});
  r.add({method::get,
         "/api/integrations/{name}/health",
         [&svc](request& req, responder reply) {
           const auto& name = req.path_params.front();
           auto h = svc.health(name);
           if (!h)
             return reply(unknown(name));
           model::json_writer w;
           write_health(w, *h);
           reply(json_response(std::move(w).str()));
         },
         {},
         "read"});
  r.add({method::get,
         "/api/integrations/{name}",
         [&svc](request& req, responder reply) {
           const auto& name = req.path_params.front();
           auto cfg = svc.config(name);
           if (!cfg)
             return reply(unknown(name));
           auto h = svc.health(name);
           model::json_writer w;
           write_config(w, *cfg, h ? &*h : nullptr);
           reply(json_response(std::move(w).str()));
         },
         {},
         "read"});
  // The body is a merge patch of the config file's `integrations.NAME` (JSON or YAML): the keys
  // given replace those in force, maps merge key by key, `null` resets a key to its default. The
  // changes so far are stored and laid over the file's block at every start; the breaker keeps
  // its state.
  r.add(
    {method::put,
     "/api/integrations/{name}",
     [&svc, &db](request& req, responder reply) {
       const auto& name = req.path_params.front();
       if (req.body.find_first_not_of(" \t\r\n") == std::string::npos)
         return reply(error_response(400, "invalid_body",
                                     "the body must be the settings to change, as an object"));
       auto current = svc.config(name);
       auto stored = db.settings(std::string{setting_key} + name);
       if (!stored)
         return reply(error_answer(stored.error()));
       std::string overrides;
       for (const auto& [key, text] : *stored)
         if (key == std::string{setting_key} + name)
           overrides = text;
       auto patched =
         model::patch_integration(current ? &*current : nullptr, overrides, req.body, name, "body");
       if (!patched)
         return reply(diagnostics_answer(patched.errors()));
       auto& merged = patched.value().merged;
       // Durable first: a change that was answered 200 survives a restart.
       if (auto err = db.put_setting(std::string{setting_key} + name, patched.value().overrides))
         return reply(error_answer(err));
       svc.update(name, merged);
       auto h = svc.health(name);
       model::json_writer w;
       w.begin_object().field("status", current ? "updated" : "created").key("integration");
       write_config(w, merged, h ? &*h : nullptr);
       w.end_object();
       reply(json_response(std::move(w).str()));
     },
     {"application/json", "application/x-www-form-urlencoded", "application/yaml",
      "application/x-yaml", "text/yaml"},
     "operate"});
  using command_fn = bool (actors::integration_service::*)(const std::string&);
  const std::pair<const char*, command_fn> commands[] = {
    {"enable", &actors::integration_service::enable},
    {"disable", &actors::integration_service::disable},
    {"pause", &actors::integration_service::pause},
    {"resume", &actors::integration_service::resume},
  };
  for (const auto& [verb, fn] : commands) {
    const std::string what = verb;
    r.add(
      {method::post, "/api/integrations/{name}/" + what,
       [&svc, fn = fn, what](request& req, responder reply) {
         const auto& name = req.path_params.front();
         if (!(svc.*fn)(name))
           return reply(unknown(name));
         auto h = svc.health(name);
         model::json_writer w;
         w.begin_object().field("status", "ok").field("integration", name).field("action", what);
         if (h)
           w.field("enabled", h->enabled).field("paused", h->paused);
         w.end_object();
         reply(json_response(std::move(w).str()));
       },
       bodies, "operate"});
  }
  // A probe can take the integration's whole timeout: it is waited for off the io thread. GET
  // (as the operations runbook asks) and POST alike, both with the operate scope: a probe
  // changes nothing here but it does reach the outside service.
  const auto test = [&svc](request& req, responder reply) {
    const auto name = req.path_params.front();
    if (!svc.config(name))
      return reply(unknown(name));
    auto pending = std::make_shared<std::future<actors::probe_result>>(svc.test(name));
    std::thread{[pending, reply, name]() mutable {
      actors::probe_result p;
      try {
        p = pending->get();
      } catch (const std::future_error&) {
        return reply(error_response(503, "unavailable", "the server is stopping"));
      }
      model::json_writer w;
      w.begin_object().field("integration", name).key("result");
      write_probe(w, p);
      w.end_object();
      reply(json_response(std::move(w).str(), p.ran && !p.ok ? 502 : 200));
    }}.detach();
  };
  r.add({method::post, "/api/integrations/{name}/test", test, bodies, "operate"});
  r.add({method::get, "/api/integrations/{name}/test", test, {}, "operate"});
}

} // namespace vigil::http
