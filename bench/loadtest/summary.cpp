#include <cstdio>

#include "bench/loadtest/result.hpp"
#include "bench/loadtest/units.hpp"

namespace vigil::loadtest {

namespace {

std::string printf_string(const char* fmt, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, a);
  return buf;
}

std::string rate_text(double events_per_s) {
  return printf_string(events_per_s < 100 ? "%.1f" : "%.0f", events_per_s) + "/s";
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width)
    s.append(width - s.size(), ' ');
  return s;
}

std::string lpad(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

std::string latency_row(const std::string& name, const log_linear_histogram& h) {
  std::string row = "  " + pad(name, 28);
  for (double p : {50.0, 90.0, 95.0, 99.0, 99.9, 100.0})
    row += lpad(format_latency(h.percentile(p)), 11);
  return row;
}

void append_verdicts(std::string& out, const std::vector<slo_verdict>& verdicts) {
  for (const auto& v : verdicts)
    out += "  " + pad(v.met ? "met" : "MISSED", 8) + pad(v.slo, 14) + " " + v.detail + "\n";
}

} // namespace

std::string summary_text(const run_result& r) {
  const auto& s = *r.settings;
  const auto& step = r.main_step();
  const auto& st = step.stats;
  std::string out;
  out += "vigil loadtest: POST http://" + s.host + ":" + s.port + s.target + " ("
         + std::string{to_string(s.payload)} + ", batch " + std::to_string(s.batch) + ")\n";
  out += "  schedule    " + rate_text(step.target_rate) + " events for "
         + printf_string("%.3gs", step.measured_s) + " (after " + format_duration(s.warmup)
         + " warmup), open loop, " + std::to_string(s.connections) + " connections, "
         + std::to_string(s.threads) + " threads\n";
  out += "  sent        " + std::to_string(st.requests) + " requests, " + std::to_string(st.events)
         + " events (" + rate_text(step.sent_rate()) + ")\n";
  out += "  accepted    " + std::to_string(st.ok) + " requests, " + std::to_string(st.ok_events)
         + " events (" + rate_text(step.accepted_rate()) + "); the server found "
         + std::to_string(st.server_duplicates) + " duplicates\n";
  const double err_pct =
    st.requests > 0 ? 100.0 * static_cast<double>(st.failed) / static_cast<double>(st.requests) : 0;
  out +=
    "  errors      " + std::to_string(st.failed) + " (" + printf_string("%.3g", err_pct) + "%)";
  if (!st.errors.empty()) {
    out += " by status:";
    for (const auto& [key, n] : st.errors)
      out += " " + key + " x" + std::to_string(n);
  }
  out += "\n\n";

  out += "  " + pad("latency from scheduled send", 28);
  for (const char* h : {"p50", "p90", "p95", "p99", "p99.9", "max"})
    out += lpad(h, 11);
  out += "\n";
  out += latency_row("accept (HTTP 2xx)", st.accept) + "\n";
  if (r.e2e_measured) {
    out += latency_row("end to end (run started)", st.end_to_end) + "\n";
    out += "  " + std::string(28, ' ') + " " + std::to_string(st.e2e_seen) + " of "
           + std::to_string(st.e2e_expected) + " tagged events reached the sink";
    if (st.e2e_missing > 0)
      out += "; " + std::to_string(st.e2e_missing) + " never came (counted at their lower bound)";
    out += "\n";
  } else if (!r.e2e_enabled) {
    out +=
      "  end to end (run started)   not measured (no sink: --no-e2e, or it could not listen)\n";
  } else {
    out += "  end to end (run started)   not measured: no hits reached the sink on port "
           + std::to_string(r.sink_port)
           + ". Vigil needs the runbook: vigil loadtest --print-runbook --sink HOST:PORT > "
             "RUNBOOKS/loadtest-e2e.yaml\n";
  }
  if (r.server_ingest_to_trigger) {
    const auto& l = *r.server_ingest_to_trigger;
    out += "  " + pad("server ingest-to-trigger", 28)
           + lpad(format_latency(static_cast<uint64_t>(l.p50_s * 1e9)), 11) + lpad("", 11)
           + lpad(format_latency(static_cast<uint64_t>(l.p95_s * 1e9)), 11)
           + lpad(format_latency(static_cast<uint64_t>(l.p99_s * 1e9)), 11)
           + "   (vigil_ingest_to_trigger_seconds, " + printf_string("%.0f", l.count) + " runs)\n";
  }
  out += "  " + pad("generator lag", 28) + lpad(format_latency(st.dispatch_lag.percentile(50)), 11)
         + lpad("", 11) + lpad(format_latency(st.dispatch_lag.percentile(95)), 11)
         + lpad(format_latency(st.dispatch_lag.percentile(99)), 11) + lpad("", 11)
         + lpad(format_latency(st.dispatch_lag.max()), 11) + "\n";

  if (s.max_rate) {
    out += "\nmax-rate steps (" + format_duration(s.step_duration) + " each)\n";
    out += "  " + pad("target", 14) + pad("accepted", 14) + pad("accept p95", 13)
           + pad("e2e p95", 13) + pad("errors", 9) + "SLOs\n";
    for (const auto& ps : r.steps) {
      out += "  " + pad(rate_text(ps.target_rate), 14) + pad(rate_text(ps.accepted_rate()), 14)
             + pad(format_latency(ps.stats.accept.percentile(95)), 13)
             + pad(r.e2e_measured && !ps.stats.end_to_end.empty()
                     ? format_latency(ps.stats.end_to_end.percentile(95))
                     : "-",
                   13)
             + pad(std::to_string(ps.stats.failed), 9) + (ps.met ? "held" : "broke") + "\n";
    }
    if (r.highest_rate_held)
      out += "highest rate that held: " + rate_text(*r.highest_rate_held) + " events\n";
    else
      out += "no rate held: even " + rate_text(r.steps.front().target_rate) + " missed an SLO\n";
  }

  // The verdicts shown: of the run, or with --max-rate of the step that broke.
  const step_result* judged = &step;
  if (s.max_rate)
    for (const auto& ps : r.steps)
      if (!ps.met) {
        judged = &ps;
        break;
      }
  out += "\nSLOs (" + s.slo_text + ")";
  if (judged != &step)
    out += " at " + rate_text(judged->target_rate) + ", the rate that broke";
  out += "\n";
  append_verdicts(out, judged->verdicts);
  for (const auto& n : r.notes)
    out += "note: " + n + "\n";
  std::string missed;
  for (const auto& v : judged->verdicts)
    if (!v.met)
      missed += (missed.empty() ? "" : ", ") + v.slo + " (" + v.detail + ")";
  if (!s.max_rate)
    out += missed.empty() ? "result: SLOs met\n" : "result: SLO missed: " + missed + "\n";
  else if (!r.highest_rate_held)
    out += "result: SLO missed at the start rate: " + missed + "\n";
  else
    out += "result: the SLOs held up to " + rate_text(*r.highest_rate_held) + " events"
           + (missed.empty() ? std::string{"; the last step still held (raise --max-steps)"}
                             : "; at " + rate_text(judged->target_rate) + " missed " + missed)
           + "\n";
  return out;
}

} // namespace vigil::loadtest
