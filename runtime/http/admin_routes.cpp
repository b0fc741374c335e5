#include "runtime/http/admin_routes.hpp"

#include <optional>

#include "runtime/http/body.hpp"
#include "runtime/http/params.hpp"
#include "runtime/model/errc.hpp"
#include "runtime/model/json_writer.hpp"

namespace vigil::http {

namespace {

/// The 400 answer when the body of an endpoint that takes no fields is not `{}` (or empty);
/// nullopt when it is fine. A misspelt option must not be silently ignored by a drain.
std::optional<response> refuse_fields(const request& req) {
  auto body = parse_body(req);
  if (!body.ok())
    return body.error_response();
  body.allow({});
  return body.error();
}

/// The 400 answer when the query has parameters (the endpoint takes none); nullopt otherwise.
std::optional<response> refuse_parameters(const request& req) {
  query_reader q{req, model::timestamp{}};
  q.allow({});
  return q.error();
}

response count_answer(std::string_view key, const caf::expected<std::size_t>& n) {
  if (!n)
    return error_answer(n.error());
  model::json_writer w;
  w.begin_object().field("status", "ok").field(key, static_cast<uint64_t>(*n)).end_object();
  return json_response(std::move(w).str());
}

} // namespace

void add_admin_routes(router& r, admin_operations& ops, const model::clock& clk) {
  const std::vector<std::string> bodies = json_bodies();
  r.add({method::post, "/api/admin/drain-queue",
         [&ops](request& req, responder reply) {
           if (auto err = refuse_fields(req))
             return reply(std::move(*err));
           reply(count_answer("drained", ops.drain()));
         },
         bodies, "admin"});
  r.add({method::post, "/api/admin/resume-processing",
         [&ops](request& req, responder reply) {
           if (auto err = refuse_fields(req))
             return reply(std::move(*err));
           reply(count_answer("resumed", ops.resume_processing()));
         },
         bodies, "admin"});
  r.add({method::post, "/api/admin/reload-runbooks",
         [&ops](request& req, responder reply) {
           if (auto err = refuse_fields(req))
             return reply(std::move(*err));
           std::size_t loaded = 0;
           auto errors = ops.reload_runbooks(loaded);
           model::json_writer w;
           w.begin_object();
           if (!errors.empty()) {
             // The common error shape first, then the full report.
             w.field("error", "invalid_runbooks")
               .field("message", std::to_string(errors.size())
                                   + " problem(s) in the runbook repository; nothing was "
                                     "reloaded and the previous runbooks stay loaded");
             w.key("details").begin_array();
             for (const auto& d : errors)
               w.begin_object().field("field", d.file).field("reason", d.to_string()).end_object();
             w.end_array();
           }
           w.field("status", errors.empty() ? "ok" : "rejected");
           w.field("runbooks", static_cast<uint64_t>(loaded));
           write_diagnostics(w, "errors", errors);
           w.end_object();
           // A reload that fails validation keeps the previous set: 422, with every error.
           reply(json_response(std::move(w).str(), errors.empty() ? 200 : 422));
         },
         bodies, "admin"});
  r.add({method::post, "/api/admin/restart-workers",
         [&ops](request& req, responder reply) {
           if (auto err = refuse_fields(req))
             return reply(std::move(*err));
           reply(count_answer("workers", ops.restart_workers()));
         },
         bodies, "admin"});
  r.add({method::post, "/api/admin/scale-workers",
         [&ops](request& req, responder reply) {
           auto body = parse_body(req);
           if (!body.ok())
             return reply(body.error_response());
           body.allow({"workers"});
           const auto n = body.integer("workers", 1, 256, true);
           if (auto err = body.error())
             return reply(std::move(*err));
           if (auto err = ops.scale_workers(static_cast<std::size_t>(n)))
             return reply(error_answer(err));
           reply(count_answer("workers", static_cast<std::size_t>(n)));
         },
         bodies, "admin"});
  r.add({method::post, "/api/admin/set-event-priority",
         [&ops](request& req, responder reply) {
           auto body = parse_body(req);
           if (!body.ok())
             return reply(body.error_response());
           body.allow({"type", "severity", "priority"});
           const auto type = body.text("type", true);
           const auto severity = body.text("severity", false);
           const auto prio_text = body.scalar_text("priority", true);
           if (auto err = body.error())
             return reply(std::move(*err));
           if (!model::parse_event_type(type))
             return reply(error_response(400, "invalid_body", "type must be alert, metric or event",
                                         {{"type", "must be alert, metric or event", -1}}));
           auto prio = model::parse_priority(prio_text);
           if (!prio)
             return reply(error_response(
               400, "invalid_body", "priority must be 1-4 or critical, high, normal, low",
               {{"priority", "must be 1-4 or critical, high, normal, low", -1}}));
           if (auto err = ops.set_event_priority(type, severity, *prio))
             return reply(error_answer(err));
           model::json_writer w;
           w.begin_object().field("status", "ok").field("type", type).field("severity", severity);
           w.field("priority", model::to_string(*prio)).end_object();
           reply(json_response(std::move(w).str()));
         },
         bodies, "admin"});
  r.add({method::get,
         "/api/admin/workers",
         [&ops](request& req, responder reply) {
           if (auto err = refuse_parameters(req))
             return reply(std::move(*err));
           reply(json_response(ops.workers_json()));
         },
         {},
         "admin"});
  r.add({method::get,
         "/api/admin/poison-messages",
         [&ops](request& req, responder reply) {
           if (auto err = refuse_parameters(req))
             return reply(std::move(*err));
           reply(json_response(ops.poison_json()));
         },
         {},
         "admin"});
  r.add({method::post, "/api/admin/clear-poison-messages",
         [&ops](request& req, responder reply) {
           if (auto err = refuse_fields(req))
             return reply(std::move(*err));
           reply(count_answer("cleared", ops.clear_poison()));
         },
         bodies, "admin"});
  r.add({method::get,
         "/api/admin/queue-analysis",
         [&ops](request& req, responder reply) {
           if (auto err = refuse_parameters(req))
             return reply(std::move(*err));
           reply(json_response(ops.queue_analysis_json()));
         },
         {},
         "admin"});
  r.add({method::post, "/api/admin/backup",
         [&ops](request& req, responder reply) {
           auto body = parse_body(req);
           if (!body.ok())
             return reply(body.error_response());
           body.allow({"to"});
           const auto to = body.text("to", false);
           if (auto err = body.error())
             return reply(std::move(*err));
           auto path = ops.backup(to);
           if (!path && code_of(path.error()) == errc::invalid_argument) {
             // The target is unusable: name the field.
             const auto why = message_of(path.error());
             return reply(error_response(400, "invalid_body", "to: " + why, {{"to", why, -1}}));
           }
           if (!path)
             return reply(error_answer(path.error()));
           model::json_writer w;
           w.begin_object().field("status", "ok").field("path", *path).end_object();
           reply(json_response(std::move(w).str()));
         },
         bodies, "admin"});
  r.add({method::post, "/api/admin/archive-workflows",
         [&ops, &clk](request& req, responder reply) {
           query_reader q{req, clk.now()};
           q.allow({"before"});
           if (const auto* b = req.query_param("before"); b == nullptr || b->empty())
             q.fail("before", "required: a duration back from now (90d) or an RFC 3339 time");
           const auto before = q.since("before");
           if (auto err = q.error())
             return reply(std::move(*err));
           if (auto err = refuse_fields(req))
             return reply(std::move(*err));
           auto done = ops.archive_workflows(before);
           if (!done)
             return reply(error_answer(done.error()));
           model::json_writer w;
           w.begin_object()
             .field("status", "ok")
             .field("archived", static_cast<uint64_t>(done->second));
           w.field("file", done->first).end_object();
           reply(json_response(std::move(w).str()));
         },
         bodies, "admin"});
}

} // namespace vigil::http
