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

void write_time(model::json_writer& w, std::string_view key, model::timestamp t) {
  w.key(key);
  if (t.time_since_epoch().count() == 0)
    w.null();
  else
    w.value(model::format_rfc3339(t));
}

void write_secret(model::json_writer& w, std::string_view key, const std::string& value) {
  w.key(key);
  if (value.empty())
    w.null();
  else
    w.value(hidden);
}

void write_config(model::json_writer& w, const model::integration_config& c) {
  w.begin_object()
    .field("name", c.name)
    .field("type", c.type)
    .field("url", redact_url(c.url))
    .field("enabled", c.enabled)
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
  w.key("health")
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
  write_time(w, "at", p.at);
  w.end_object();
}

void write_health(model::json_writer& w, const actors::integration_health& h) {
  w.begin_object()
    .field("name", h.name)
    .field("type", h.type)
    .field("enabled", h.enabled)
    .field("paused", h.paused)
    .field("state", actors::to_string(h.state))
    .field("healthy", h.enabled && h.state == actors::breaker_state::closed
                        && (!h.last_probe.ran || h.last_probe.ok))
    .field("consecutive_failures", static_cast<uint64_t>(h.consecutive_failures))
    .field("recent_failures", static_cast<uint64_t>(h.recent_failures))
    .field("last_error", h.last_error);
  write_time(w, "last_success", h.last_success);
  write_time(w, "last_failure", h.last_failure);
  write_time(w, "open_until",
             h.state == actors::breaker_state::open ? h.open_until : model::timestamp{});
  w.field("cooldown", model::format_duration(h.cooldown));
  write_time(w, "rate_limited_until", h.rate_limited_until);
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
    auto cfg = model::load_integration_text(text, name, "stored settings of " + name);
    if (!cfg) {
      skipped.push_back(name + ": " + cfg.errors().front().to_string());
      continue;
    }
    auto it = std::find_if(configured.begin(), configured.end(),
                           [&](const auto& c) { return c.name == name; });
    if (it != configured.end())
      *it = std::move(cfg).value();
    else
      configured.push_back(std::move(cfg).value());
  }
}

void add_integration_routes(router& r, actors::integration_service& svc, storage::database& db) {
  const std::vector<std::string> bodies = json_bodies();
  r.add({method::get,
         "/api/integrations",
         [&svc](request&, responder reply) {
           model::json_writer w;
           w.begin_object().key("integrations").begin_array();
           for (const auto& name : svc.names())
             if (auto cfg = svc.config(name))
               write_config(w, *cfg);
           w.end_array().end_object();
           reply(json_response(std::move(w).str()));
         },
         {},
         "read"});
  r.add({method::get,
         "/api/integrations/health",
         [&svc](request&, responder reply) {
           auto all = svc.health();
           const bool healthy = std::all_of(all.begin(), all.end(), [](const auto& h) {
             return !h.enabled || h.state == actors::breaker_state::closed;
           });
           model::json_writer w;
           w.begin_object().field("status", healthy ? "ok" : "degraded");
           w.key("integrations").begin_array();
           for (const auto& h : all)
             write_health(w, h);
           w.end_array().end_object();
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
           model::json_writer w;
           write_config(w, *cfg);
           reply(json_response(std::move(w).str()));
         },
         {},
         "read"});
  // The body is the config file's `integrations.NAME` as JSON (or YAML): the settings replace
  // the old ones whole, and the breaker keeps its state.
  r.add({method::put,
         "/api/integrations/{name}",
         [&svc, &db](request& req, responder reply) {
           const auto& name = req.path_params.front();
           if (req.body.find_first_not_of(" \t\r\n") == std::string::npos)
             return reply(error_response(400, "invalid_body",
                                         "the body must be the integration's settings object"));
           auto cfg = model::load_integration_text(req.body, name, "body");
           if (!cfg)
             return reply(diagnostics_answer(cfg.errors()));
           // Durable first: a change that was answered 200 survives a restart.
           if (auto err = db.put_setting(std::string{setting_key} + name, req.body))
             return reply(error_answer(err));
           const bool existed = svc.config(name).has_value();
           svc.update(name, cfg.value());
           model::json_writer w;
           w.begin_object().field("status", existed ? "updated" : "created").key("integration");
           write_config(w, cfg.value());
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
  // A probe can take the integration's whole timeout: it is waited for off the io thread.
  r.add({method::post, "/api/integrations/{name}/test",
         [&svc](request& req, responder reply) {
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
         },
         bodies, "operate"});
}

} // namespace vigil::http
