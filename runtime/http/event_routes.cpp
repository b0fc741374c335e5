#include "runtime/http/event_routes.hpp"

#include "runtime/http/params.hpp"
#include "runtime/ingest/ingest_service.hpp"
#include "runtime/model/errc.hpp"
#include "runtime/model/event_json.hpp"
#include "storage/event_log.hpp"

namespace vigil::http {

namespace {

response to_response(ingest::submit_outcome&& out) {
  using ingest::submit_status;
  switch (out.status) {
    case submit_status::accepted: {
      model::json_writer w;
      w.begin_object()
        .field("accepted", static_cast<uint64_t>(out.accepted))
        .field("duplicates", static_cast<uint64_t>(out.duplicates));
      w.key("ids").begin_array();
      for (const auto& id : out.ids)
        w.value(id);
      w.end_array().end_object();
      return json_response(std::move(w).str(), 202);
    }
    case submit_status::invalid: {
      std::vector<error_detail> details;
      details.reserve(out.errors.size());
      for (auto& e : out.errors)
        details.push_back({std::move(e.field), std::move(e.reason), e.index});
      return error_response(400, "invalid_event", out.message, details);
    }
    case submit_status::overloaded: {
      auto r = error_response(429, "overloaded", out.message);
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    case submit_status::unavailable: {
      auto r = error_response(503, "unavailable", out.message);
      r.headers.emplace_back("Retry-After", "5");
      return r;
    }
    case submit_status::failed:
      break;
  }
  return error_response(500, "storage_error", out.message);
}

handler ingest_handler(ingest::ingest_service& ingest, ingest::payload_format format) {
  return [&ingest, format](request& req, responder reply) {
    auto f = format;
    if (f == ingest::payload_format::events && req.content_type == "application/x-ndjson")
      f = ingest::payload_format::ndjson;
    ingest.submit(f, req.body, [reply](ingest::submit_outcome&& out) mutable {
      // Often called on the event log's writer thread: render the answer on the io thread.
      reply.later([out = std::make_shared<ingest::submit_outcome>(std::move(out))] {
        return to_response(std::move(*out));
      });
    });
  };
}

handler list_handler(storage::event_log& log, const model::clock& clk, bool recent) {
  return [&log, &clk, recent](request& req, responder reply) {
    query_reader q{req, clk.now()};
    storage::event_query query;
    if (recent) {
      q.allow({"limit"});
      query.limit = q.count("limit", 20, 1, 1000);
    } else {
      q.allow({"type", "status", "state", "since", "limit"});
      query.limit = q.count("limit", 100, 1, 10000);
      if (auto t = q.text("type"); !t.empty()) {
        if (auto ty = model::parse_event_type(t))
          query.type = *ty;
        else
          q.fail("type", "must be alert, metric or event");
      }
      if (auto s = q.text("status"); !s.empty()) {
        if (auto st = model::parse_event_status(s))
          query.status = *st;
        else if (s == "error")
          query.state = storage::event_state::quarantined; // events the engine failed on
        else
          q.fail("status", "must be firing, resolved or error");
      }
      if (auto s = q.text("state"); !s.empty()) {
        if (s == "accepted")
          query.state = storage::event_state::accepted;
        else if (s == "dispatched")
          query.state = storage::event_state::dispatched;
        else if (s == "drained")
          query.state = storage::event_state::drained;
        else if (s == "quarantined")
          query.state = storage::event_state::quarantined;
        else
          q.fail("state", "must be accepted, dispatched, drained or quarantined");
      }
      query.since = q.since("since");
    }
    if (auto err = q.error())
      return reply(std::move(*err));
    auto events = log.query(query);
    if (!events)
      return reply(error_response(500, "storage_error", message_of(events.error())));
    model::json_writer w;
    w.begin_object().key("events").begin_array();
    for (const auto& se : *events)
      model::write_event_json(w, se.event, storage::to_string(se.state));
    w.end_array().field("count", static_cast<uint64_t>(events->size())).end_object();
    reply(json_response(std::move(w).str()));
  };
}

} // namespace

void add_event_routes(router& r, ingest::ingest_service& ingest, storage::event_log& log,
                      const model::clock& clk) {
  using ingest::payload_format;
  r.add({method::post,
         "/api/events",
         ingest_handler(ingest, payload_format::events),
         {"application/json", "application/x-ndjson"},
         "ingest"});
  r.add({method::post,
         "/api/v1/alertmanager",
         ingest_handler(ingest, payload_format::alertmanager),
         {"application/json"},
         "ingest"});
  r.add({method::post,
         "/api/v2/alerts",
         ingest_handler(ingest, payload_format::v2_alerts),
         {"application/json"},
         "ingest"});
  r.add({method::get, "/api/events/recent", list_handler(log, clk, true), {}, "read"});
  r.add({method::get, "/api/events", list_handler(log, clk, false), {}, "read"});
}

} // namespace vigil::http
