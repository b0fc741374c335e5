#include "runtime/http/workflow_routes.hpp"

#include "actors/workflow_service.hpp"
#include "runtime/http/params.hpp"
#include "runtime/http/workflow_json.hpp"
#include "runtime/model/errc.hpp"

#include <simdjson.h>

namespace vigil::http {

namespace {

/// The HTTP status for a Vigil error.
unsigned status_of(errc code) {
  switch (code) {
    case errc::invalid_argument:
      return 400;
    case errc::not_found:
      return 404;
    case errc::conflict:
      return 409;
    case errc::unauthorized:
      return 401;
    case errc::forbidden:
      return 403;
    case errc::overloaded:
    case errc::rate_limited:
      return 429;
    case errc::unavailable:
    case errc::timeout:
      return 503;
    default:
      return 500;
  }
}

response from_error(const caf::error& err) {
  const auto code = code_of(err);
  return error_response(status_of(code), to_string_view(code), message_of(err));
}

/// Reads an optional JSON object body of string/bool fields; nullopt (and an error answer) when
/// it is not one. An empty body is an empty object.
struct body_fields {
  std::map<std::string, std::string> strings;
  std::map<std::string, bool> flags;
};

std::optional<body_fields> read_body(request& req, std::initializer_list<std::string_view> allowed,
                                     response& error) {
  body_fields out;
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos)
    return out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(req.body).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    error = error_response(400, "invalid_body", "the body must be a JSON object");
    return std::nullopt;
  }
  for (auto [key, value] : doc.get_object()) {
    bool known = false;
    for (auto a : allowed)
      known = known || a == key;
    if (!known) {
      error = error_response(400, "invalid_body", "unknown field " + std::string{key},
                             {{std::string{key}, "unknown field", -1}});
      return std::nullopt;
    }
    if (value.is_string()) {
      out.strings[std::string{key}] = std::string{std::string_view{value.get_string()}};
    } else if (value.is_bool()) {
      out.flags[std::string{key}] = bool{value.get_bool()};
    } else {
      error =
        error_response(400, "invalid_body", std::string{key} + ": expected a string or a boolean",
                       {{std::string{key}, "expected a string or a boolean", -1}});
      return std::nullopt;
    }
  }
  return out;
}

response state_answer(const std::string& id, const caf::expected<std::string>& r) {
  if (!r)
    return from_error(r.error());
  model::json_writer w;
  w.begin_object().field("id", id).field("status", *r).end_object();
  return json_response(std::move(w).str());
}

} // namespace

void add_workflow_routes(router& r, actors::workflow_service& wf, const model::clock& clk) {
  r.add({method::get,
         "/api/workflows",
         [&wf, &clk](request& req, responder reply) {
           query_reader q{req, clk.now()};
           q.allow({"status", "runbook", "since", "limit"});
           storage::workflow_query query;
           if (auto s = q.text("status"); !s.empty()) {
             // "active" is the runbook's word for running or waiting.
             if (s != "active") {
               if (auto st = model::parse_workflow_state(s))
                 query.state = *st;
               else
                 q.fail("status", "not a workflow state: " + s);
             }
           }
           const bool active_only = q.text("status") == "active";
           query.runbook = q.text("runbook");
           query.since = q.since("since");
           query.limit = q.count("limit", 100, 1, 10'000);
           if (auto err = q.error())
             return reply(std::move(*err));
           auto runs = wf.store().list(query);
           if (!runs)
             return reply(from_error(runs.error()));
           model::json_writer w;
           w.begin_object().key("workflows").begin_array();
           std::size_t n = 0;
           for (const auto& rec : *runs) {
             if (active_only && rec.state != model::workflow_state::running
                 && rec.state != model::workflow_state::waiting)
               continue;
             write_workflow_json(w, rec, false);
             ++n;
           }
           w.end_array().field("count", static_cast<uint64_t>(n));
           w.field("active_workflows", static_cast<int64_t>(wf.context().stats.active.load()));
           w.end_object();
           reply(json_response(std::move(w).str()));
         },
         {},
         "read"});
  r.add({method::get,
         "/api/workflows/{id}",
         [&wf](request& req, responder reply) {
           auto rec = wf.store().get(req.path_params.at(0));
           if (!rec)
             return reply(from_error(rec.error()));
           model::json_writer w;
           write_workflow_json(w, *rec, true);
           reply(json_response(std::move(w).str()));
         },
         {},
         "read"});
  r.add({method::get,
         "/api/workflows/{id}/logs",
         [&wf](request& req, responder reply) {
           const auto& id = req.path_params.at(0);
           auto entries = wf.store().log(id);
           if (!entries)
             return reply(from_error(entries.error()));
           model::json_writer w;
           w.begin_object().field("id", id).key("logs").begin_array();
           for (const auto& e : *entries)
             write_log_entry_json(w, e);
           w.end_array().end_object();
           reply(json_response(std::move(w).str()));
         },
         {},
         "read"});
  // Operator commands. They answer once the run took the command (the run's actor decides).
  // The body is optional JSON; curl without -H sends it form-encoded, which is accepted too.
  const std::vector<std::string> bodies{"application/json", "application/x-www-form-urlencoded"};
  auto simple = [&wf](auto call) {
    return [&wf, call](request& req, responder reply) {
      response err;
      if (!read_body(req, {}, err))
        return reply(std::move(err));
      const auto& id = req.path_params.at(0);
      reply(state_answer(id, call(wf, id)));
    };
  };
  r.add({method::post, "/api/workflows/{id}/cancel",
         simple([](actors::workflow_service& s, const std::string& id) { return s.cancel(id); }),
         bodies, "operate"});
  r.add({method::post, "/api/workflows/{id}/kill",
         simple([](actors::workflow_service& s, const std::string& id) { return s.kill(id); }),
         bodies, "operate"});
  r.add({method::post, "/api/workflows/{id}/pause",
         simple([](actors::workflow_service& s, const std::string& id) { return s.pause(id); }),
         bodies, "operate"});
  r.add({method::post, "/api/workflows/{id}/resume",
         [&wf](request& req, responder reply) {
           response err;
           auto body = read_body(req, {"reset_failed", "from_step"}, err);
           if (!body)
             return reply(std::move(err));
           actors::resume_options opts;
           opts.reset_failed =
             body->flags.count("reset_failed") > 0 && body->flags.at("reset_failed");
           if (auto it = body->strings.find("from_step"); it != body->strings.end())
             opts.from_step = it->second;
           const auto& id = req.path_params.at(0);
           reply(state_answer(id, wf.resume(id, opts)));
         },
         bodies, "operate"});
  for (const bool approve : {true, false}) {
    r.add({method::post,
           approve ? "/api/workflows/{id}/gates/{step}/approve"
                   : "/api/workflows/{id}/gates/{step}/reject",
           [&wf, approve](request& req, responder reply) {
             response err;
             auto body = read_body(req, {"by", "reason"}, err);
             if (!body)
               return reply(std::move(err));
             actors::gate_decision d;
             d.step = req.path_params.at(1);
             d.by = body->strings.count("by") > 0 ? body->strings.at("by") : "unknown";
             d.reason = body->strings.count("reason") > 0 ? body->strings.at("reason") : "";
             const auto& id = req.path_params.at(0);
             reply(state_answer(id, approve ? wf.approve(id, d) : wf.reject(id, d)));
           },
           bodies, "operate"});
  }
}

} // namespace vigil::http
