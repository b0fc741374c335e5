#include "bench/loadtest/result.hpp"

#include <cmath>
#include <cstdio>

#include "bench/loadtest/units.hpp"
#include "runtime/model/json_writer.hpp"

namespace vigil::loadtest {

namespace {

using model::json_writer;

/// A number as people read it: `2000`, `0.412`, never `2e+03` (six decimals at most).
std::string json_number(double v) {
  char buf[48];
  if (!std::isfinite(v))
    return "null";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.6f", v);
  std::string out = buf;
  while (out.back() == '0')
    out.pop_back();
  if (out.back() == '.')
    out.pop_back();
  return out == "-0" ? "0" : out;
}

/// `key: number`, for doubles.
void number(json_writer& w, std::string_view key, double v) {
  w.key(key).raw(json_number(v));
}

void write_latency(json_writer& w, const log_linear_histogram& h) {
  w.begin_object();
  w.field("count", h.count());
  number(w, "min_ms", to_ms(h.min()));
  number(w, "mean_ms", h.mean() / 1e6);
  number(w, "p50_ms", to_ms(h.percentile(50)));
  number(w, "p90_ms", to_ms(h.percentile(90)));
  number(w, "p95_ms", to_ms(h.percentile(95)));
  number(w, "p99_ms", to_ms(h.percentile(99)));
  number(w, "p99_9_ms", to_ms(h.percentile(99.9)));
  number(w, "max_ms", to_ms(h.max()));
  w.end_object();
}

void write_optional_latency(json_writer& w, const log_linear_histogram& h, bool measured) {
  if (measured && !h.empty())
    write_latency(w, h);
  else
    w.null();
}

void write_verdicts(json_writer& w, const std::vector<slo_verdict>& verdicts) {
  w.begin_array();
  for (const auto& v : verdicts) {
    w.begin_object();
    w.field("slo", v.slo);
    w.field("subject", v.subject);
    w.field("met", v.met);
    w.key("observed");
    if (v.measured)
      w.raw(json_number(v.observed));
    else
      w.null();
    w.field("unit", v.subject == "errors" ? "percent" : "ms");
    w.field("detail", v.detail);
    w.end_object();
  }
  w.end_array();
}

void write_step_summary(json_writer& w, const step_result& s, bool e2e) {
  w.begin_object();
  number(w, "target_events_per_s", s.target_rate);
  number(w, "accepted_events_per_s", s.accepted_rate());
  w.field("requests", s.stats.requests);
  w.field("errors", s.stats.failed);
  w.field("met", s.met);
  number(w, "accept_p95_ms", to_ms(s.stats.accept.percentile(95)));
  w.key("e2e_p95_ms");
  if (e2e && !s.stats.end_to_end.empty())
    w.raw(json_number(to_ms(s.stats.end_to_end.percentile(95))));
  else
    w.null();
  w.key("slo");
  write_verdicts(w, s.verdicts);
  w.end_object();
}

} // namespace

int run_result::exit_code() const {
  if (settings != nullptr && settings->max_rate)
    return highest_rate_held ? 0 : 1;
  return !steps.empty() && steps.front().met ? 0 : 1;
}

std::string report_json(const run_result& r) {
  const auto& s = *r.settings;
  const auto& step = r.main_step();
  const auto& st = step.stats;
  json_writer w;
  w.begin_object();
  w.field("tool", "vigil loadtest");
  w.field("format_version", 1);
  w.field("started_at", r.started_at);

  w.key("config").begin_object();
  w.field("url", s.url);
  w.field("target", s.target);
  w.field("payload", to_string(s.payload));
  w.field("batch", s.batch);
  number(w, "rate", s.rate);
  number(w, "duration_s", static_cast<double>(s.duration.count()) / 1e9);
  number(w, "warmup_s", static_cast<double>(s.warmup.count()) / 1e9);
  w.field("connections", s.connections);
  w.field("threads", s.threads);
  number(w, "duplicates", s.duplicates);
  number(w, "resolved", s.resolved);
  number(w, "timeout_s", static_cast<double>(s.timeout.count()) / 1e9);
  w.field("slo", s.slo_text);
  w.field("max_rate", s.max_rate);
  w.field("e2e", s.e2e == e2e_mode::off ? "off" : s.e2e == e2e_mode::required ? "on" : "auto");
  number(w, "e2e_rate", s.e2e_rate);
  w.field("sink", s.sink_host + ":" + std::to_string(r.sink_port));
  w.field("seed", s.seed);
  w.end_object();

  w.key("rates").begin_object();
  number(w, "target_events_per_s", step.target_rate);
  number(w, "sent_events_per_s", step.sent_rate());
  number(w, "accepted_events_per_s", step.accepted_rate());
  number(w, "requests_per_s",
         step.measured_s > 0 ? static_cast<double>(st.requests) / step.measured_s : 0.0);
  number(w, "measured_s", step.measured_s);
  w.end_object();

  w.key("counts").begin_object();
  w.field("requests", st.requests);
  w.field("ok_requests", st.ok);
  w.field("failed_requests", st.failed);
  w.field("events", st.events);
  w.field("accepted_events", st.ok_events);
  w.field("server_duplicates", st.server_duplicates);
  w.field("waited_for_connection", st.waited_for_connection);
  w.end_object();
  number(w, "error_rate",
         st.requests > 0 ? static_cast<double>(st.failed) / static_cast<double>(st.requests) : 0.0);
  w.key("errors_by_status").begin_object();
  for (const auto& [key, n] : st.errors)
    w.field(key, n);
  w.end_object();

  w.key("latency").begin_object();
  w.key("accept");
  write_latency(w, st.accept);
  w.key("end_to_end");
  write_optional_latency(w, st.end_to_end, r.e2e_measured);
  w.key("dispatch_lag");
  write_latency(w, st.dispatch_lag);
  w.end_object();

  w.key("end_to_end").begin_object();
  w.field("enabled", r.e2e_enabled);
  w.field("measured", r.e2e_measured);
  w.field("expected", st.e2e_expected);
  w.field("seen", st.e2e_seen);
  w.field("missing", st.e2e_missing);
  w.field("ignored_hits", r.ignored_hits);
  w.end_object();

  w.key("slo").begin_object();
  w.field("met", step.met);
  w.key("verdicts");
  write_verdicts(w, step.verdicts);
  w.end_object();

  w.key("max_rate");
  if (s.max_rate) {
    w.begin_object();
    w.key("highest_rate_held");
    if (r.highest_rate_held)
      w.raw(json_number(*r.highest_rate_held));
    else
      w.null();
    w.key("steps").begin_array();
    for (const auto& st2 : r.steps)
      write_step_summary(w, st2, r.e2e_measured);
    w.end_array();
    w.end_object();
  } else {
    w.null();
  }

  w.key("windows").begin_array();
  for (const auto& ps : r.steps) {
    for (std::size_t i = 0; i < ps.stats.windows.size(); ++i) {
      const auto& win = ps.stats.windows[i];
      w.begin_object();
      number(w, "t_s",
             ps.offset_s
               + static_cast<double>(i) * static_cast<double>(ps.stats.window.count()) / 1e9);
      number(w, "target_events_per_s", ps.target_rate);
      w.field("requests", win.requests);
      w.field("errors", win.failed);
      w.key("accept");
      write_optional_latency(w, win.accept, true);
      w.key("end_to_end");
      write_optional_latency(w, win.end_to_end, r.e2e_measured);
      w.end_object();
    }
  }
  w.end_array();

  w.key("server").begin_object();
  w.key("metrics_before");
  if (r.before.metrics_json)
    w.raw(*r.before.metrics_json);
  else
    w.null();
  w.key("metrics_after");
  if (r.after.metrics_json)
    w.raw(*r.after.metrics_json);
  else
    w.null();
  w.key("ingest_to_trigger");
  if (r.server_ingest_to_trigger) {
    const auto& l = *r.server_ingest_to_trigger;
    w.begin_object();
    w.field("metric", "vigil_ingest_to_trigger_seconds");
    number(w, "count", l.count);
    number(w, "p50_ms", l.p50_s * 1e3);
    number(w, "p95_ms", l.p95_s * 1e3);
    number(w, "p99_ms", l.p99_s * 1e3);
    w.end_object();
  } else {
    w.null();
  }
  w.end_object();

  w.key("notes").begin_array();
  for (const auto& n : r.notes)
    w.value(n);
  w.end_array();
  w.end_object();
  return std::move(w).str() + "\n";
}

} // namespace vigil::loadtest
