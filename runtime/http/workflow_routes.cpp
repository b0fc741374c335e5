#include "runtime/http/workflow_routes.hpp"

#include <algorithm>

#include "actors/workflow_service.hpp"
#include "runtime/http/body.hpp"
#include "runtime/http/params.hpp"
#include "runtime/model/errc.hpp"
#include "runtime/model/workflow_json.hpp"

namespace vigil::http {

namespace {

response state_answer(const std::string& id, const caf::expected<std::string>& r) {
  if (!r)
    return error_answer(r.error());
  model::json_writer w;
  w.begin_object().field("id", id).field("status", *r).end_object();
  return json_response(std::move(w).str());
}

/// Every state of a run that started and has not ended: what the operations runbook means by
/// "running" (a run at a gate, in a backoff, paused or stalled is still in flight).
constexpr uint32_t in_flight = storage::state_bit(model::workflow_state::running)
                               | storage::state_bit(model::workflow_state::waiting)
                               | storage::state_bit(model::workflow_state::awaiting_gate)
                               | storage::state_bit(model::workflow_state::paused)
                               | storage::state_bit(model::workflow_state::needs_human);

/// `?status=`: a comma-separated list of states, where `running` and `active` stand for every
/// run in flight; nullopt when a name is not a state.
std::optional<uint32_t> parse_status_filter(std::string_view text) {
  uint32_t states = 0;
  while (true) {
    const auto comma = text.find(',');
    const auto name = text.substr(0, comma);
    if (name == "running" || name == "active")
      states |= in_flight;
    else if (auto st = model::parse_workflow_state(name))
      states |= storage::state_bit(*st);
    else
      return std::nullopt;
    if (comma == std::string_view::npos)
      return states;
    text.remove_prefix(comma + 1);
  }
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
             if (auto states = parse_status_filter(s))
               query.states = *states;
             else
               q.fail("status", "not a workflow state: " + s
                                  + " (one of running, active, pending, waiting, awaiting_gate, "
                                    "paused, needs_human, completed, failed, cancelled, or a "
                                    "comma-separated list)");
           }
           query.runbook = q.text("runbook");
           query.since = q.since("since");
           query.limit = q.count("limit", 100, 1, 10'000);
           if (auto err = q.error())
             return reply(std::move(*err));
           auto runs = wf.store().list(query);
           if (!runs)
             return reply(error_answer(runs.error()));
           model::json_writer w;
           w.begin_object().key("workflows").begin_array();
           for (const auto& rec : *runs)
             model::write_workflow_json(w, rec, false);
           const std::size_t n = runs->size();
           w.end_array().field("count", static_cast<uint64_t>(n));
           w.field("active_workflows",
                   static_cast<int64_t>(wf.context().stats.active.load()
                                        + wf.context().stats.hibernated.load()));
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
             return reply(error_answer(rec.error()));
           model::json_writer w;
           model::write_workflow_json(w, *rec, true);
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
             return reply(error_answer(entries.error()));
           model::json_writer w;
           w.begin_object().field("id", id).key("logs").begin_array();
           for (const auto& e : *entries)
             model::write_log_entry_json(w, e);
           w.end_array().end_object();
           reply(json_response(std::move(w).str()));
         },
         {},
         "read"});
  // Operator commands. They answer once the run took the command (the run's actor decides).
  // The body is optional JSON; curl without -H sends it form-encoded, which is accepted too.
  const std::vector<std::string> bodies = json_bodies();
  auto simple = [&wf](auto call) {
    return [&wf, call](request& req, responder reply) {
      auto body = parse_body(req);
      if (!body.ok())
        return reply(body.error_response());
      body.allow({});
      if (auto err = body.error())
        return reply(std::move(*err));
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
           auto body = parse_body(req);
           if (!body.ok())
             return reply(body.error_response());
           body.allow({"reset_failed", "from_step"});
           actors::resume_options opts;
           opts.reset_failed = body.flag("reset_failed", false);
           opts.from_step = body.text("from_step", false);
           if (auto err = body.error())
             return reply(std::move(*err));
           const auto& id = req.path_params.at(0);
           reply(state_answer(id, wf.resume(id, opts)));
         },
         bodies, "operate"});
  for (const bool approve : {true, false}) {
    r.add({method::post,
           approve ? "/api/workflows/{id}/gates/{step}/approve"
                   : "/api/workflows/{id}/gates/{step}/reject",
           [&wf, approve](request& req, responder reply) {
             auto body = parse_body(req);
             if (!body.ok())
               return reply(body.error_response());
             body.allow({"by", "reason"});
             actors::gate_decision d;
             d.step = req.path_params.at(1);
             d.by = body.text("by", false);
             d.reason = body.text("reason", false);
             if (auto err = body.error())
               return reply(std::move(*err));
             // Who decided: as given, else the caller's token name.
             if (d.by.empty())
               d.by = req.principal.empty() ? "unknown" : req.principal;
             const auto& id = req.path_params.at(0);
             reply(state_answer(id, approve ? wf.approve(id, d) : wf.reject(id, d)));
           },
           bodies, "operate"});
  }
}

} // namespace vigil::http
