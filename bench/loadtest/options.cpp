#include "bench/loadtest/options.hpp"

#include <charconv>
#include <cmath>
#include <random>

#include <CLI/CLI.hpp>

#include "bench/loadtest/units.hpp"

namespace vigil::loadtest {

void add_loadtest_options(CLI::App& sub, loadtest_options& o) {
  sub
    .add_option("--url", o.url,
                "Server to load: http://HOST:PORT (the payload's ingest path is added) or a "
                "full URL to post to")
    ->capture_default_str();
  sub
    .add_option("-r,--rate", o.rate,
                "Target rate in events per second (the start rate with "
                "--max-rate)")
    ->capture_default_str();
  sub.add_option("-d,--duration", o.duration, "How long to measure (10s, 1m, ...)")
    ->capture_default_str();
  sub.add_option("--warmup", o.warmup, "Load sent at the target rate before measuring")
    ->capture_default_str();
  sub.add_option("-c,--connections", o.connections, "Keep-alive connections")
    ->capture_default_str();
  sub.add_option("--threads", o.threads, "Client threads; the connections are spread over them")
    ->capture_default_str();
  sub.add_option("--payload", o.payload, "event | ndjson | alertmanager | v2alerts")
    ->capture_default_str();
  sub.add_option("--batch", o.batch, "Events per request")->capture_default_str();
  sub
    .add_option("--duplicates", o.duplicates,
                "Share of events that repeat an earlier event exactly (0..1)")
    ->capture_default_str();
  sub.add_option("--resolved", o.resolved, "Share of events that resolve an earlier alert (0..1)")
    ->capture_default_str();
  sub.add_option("--timeout", o.timeout, "Per-request timeout")->capture_default_str();
  sub
    .add_option("--drain", o.drain,
                "After the last due time, how long to wait for answers and end-to-end hits")
    ->capture_default_str();
  sub.add_option("--report", o.report_dir,
                 "Write DIR/report.json, DIR/latency.svg and DIR/histogram.svg");
  sub.add_option("--slo", o.slo,
                 "SLOs, e.g. \"p95<5s,p99<10s,errors<0.1%\" (default: " + std::string{default_slos}
                   + ", from the operations runbook); exit 1 when one is missed");
  sub.add_option("--token", o.token, "Bearer token for servers that require one");
  sub.add_flag("--max-rate", o.max_rate,
               "Step the rate up from --rate until an SLO breaks; report the highest rate held");
  sub.add_option("--step-factor", o.step_factor, "With --max-rate: rate multiplier per step")
    ->capture_default_str();
  sub.add_option("--step-duration", o.step_duration, "With --max-rate: how long each step runs")
    ->capture_default_str();
  sub.add_option("--max-steps", o.max_steps, "With --max-rate: at most this many steps")
    ->capture_default_str();
  auto* e2e = sub.add_flag_callback(
    "--e2e", [&o] { o.e2e = e2e_mode::required; },
    "Require the end-to-end latency: fail the SLOs when no hits reach the sink");
  auto* no_e2e = sub.add_flag_callback(
    "--no-e2e", [&o] { o.e2e = e2e_mode::off; }, "Do not serve the sink; accept latency only");
  e2e->excludes(no_e2e);
  sub
    .add_option("--sink", o.sink,
                "HOST:PORT of the end-to-end sink (the runbook of --print-runbook calls it)")
    ->capture_default_str();
  sub
    .add_option("--e2e-rate", o.e2e_rate,
                "Events per second tagged for the end-to-end runbook (each starts one run)")
    ->capture_default_str();
  sub.add_flag("--print-runbook", o.print_runbook,
               "Print the end-to-end runbook for --sink and exit");
  sub
    .add_option("--runbook-action", o.runbook_action,
                "With --print-runbook: exec (curl) or http (an integration)")
    ->capture_default_str();
  sub.add_option("--seed", o.seed, "Seed for duplicates and resolves (0: random)");
}

namespace {

bool parse_port(std::string_view text, uint16_t& port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > 65535)
    return false;
  port = static_cast<uint16_t>(value);
  return true;
}

/// Splits `HOST:PORT`.
bool split_host_port(std::string_view text, std::string& host, uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return false;
  host = std::string{text.substr(0, colon)};
  return parse_port(text.substr(colon + 1), port);
}

bool duration_option(const std::string& flag, const std::string& text, bool allow_zero,
                     std::chrono::nanoseconds& out, std::string& error) {
  auto d = parse_duration(text);
  if (!d || d->count() < 0 || (!allow_zero && d->count() == 0)) {
    error = flag + ": \"" + text + "\" is not a duration" + (allow_zero ? "" : " above zero")
            + " (e.g. 250ms, 10s, 1m)";
    return false;
  }
  out = *d;
  return true;
}

} // namespace

loadtest_settings resolve_options(const loadtest_options& o, std::string& error) {
  loadtest_settings s;
  error.clear();
  // --url
  std::string_view url = o.url;
  s.url = o.url;
  if (url.substr(0, 8) == "https://") {
    error = "--url: https is not supported; point it at Vigil's plain HTTP listener";
    return s;
  }
  if (url.substr(0, 7) != "http://") {
    error = "--url: \"" + o.url + "\" must start with http://";
    return s;
  }
  url.remove_prefix(7);
  const auto slash = url.find('/');
  const auto authority = url.substr(0, slash);
  const std::string path = slash == std::string_view::npos ? "" : std::string{url.substr(slash)};
  uint16_t port = 80;
  if (authority.find(':') == std::string_view::npos) {
    s.host = std::string{authority};
  } else if (!split_host_port(authority, s.host, port) || port == 0) {
    error = "--url: bad HOST:PORT in \"" + o.url + "\"";
    return s;
  }
  if (s.host.empty()) {
    error = "--url: no host in \"" + o.url + "\"";
    return s;
  }
  s.port = std::to_string(port);
  auto kind = parse_payload_kind(o.payload);
  if (!kind) {
    error = "--payload: \"" + o.payload + "\" (expected event, ndjson, alertmanager or v2alerts)";
    return s;
  }
  s.payload = *kind;
  s.target = path.empty() || path == "/" ? std::string{default_target(s.payload)} : path;
  if (!o.token.empty())
    s.authorization = "Bearer " + o.token;

  if (!(o.rate > 0) || !std::isfinite(o.rate) || o.rate > 1e8) {
    error = "--rate: must be above 0 events per second (and at most 100,000,000)";
    return s;
  }
  s.rate = o.rate;
  if (!duration_option("--duration", o.duration, false, s.duration, error)
      || !duration_option("--warmup", o.warmup, true, s.warmup, error)
      || !duration_option("--timeout", o.timeout, false, s.timeout, error)
      || !duration_option("--drain", o.drain, true, s.drain, error)
      || !duration_option("--step-duration", o.step_duration, false, s.step_duration, error))
    return s;
  if (o.connections == 0 || o.connections > 10000) {
    error = "--connections: must be 1 to 10000";
    return s;
  }
  if (o.threads == 0 || o.threads > 64) {
    error = "--threads: must be 1 to 64";
    return s;
  }
  s.connections = o.connections;
  s.threads = o.threads;
  if (o.batch == 0 || o.batch > 10000) {
    error = "--batch: must be 1 to 10000";
    return s;
  }
  s.batch = o.batch;
  if (!(o.duplicates >= 0 && o.duplicates <= 1) || !(o.resolved >= 0 && o.resolved <= 1)
      || o.duplicates + o.resolved > 0.9) {
    error = "--duplicates and --resolved: shares between 0 and 1, together at most 0.9";
    return s;
  }
  s.duplicates = o.duplicates;
  s.resolved = o.resolved;
  s.report_dir = o.report_dir;
  s.slo_text = o.slo.empty() ? std::string{default_slos} : o.slo;
  auto slos = parse_slos(s.slo_text);
  if (!slos.error.empty()) {
    error = slos.error;
    return s;
  }
  s.slos = std::move(slos.slos);
  s.max_rate = o.max_rate;
  if (!(o.step_factor > 1) || o.step_factor > 100) {
    error = "--step-factor: must be above 1 (e.g. 1.5)";
    return s;
  }
  s.step_factor = o.step_factor;
  if (o.max_steps == 0 || o.max_steps > 100) {
    error = "--max-steps: must be 1 to 100";
    return s;
  }
  s.max_steps = o.max_steps;
  s.e2e = o.e2e;
  if (!split_host_port(o.sink, s.sink_host, s.sink_port)) {
    error = "--sink: \"" + o.sink + "\" is not HOST:PORT";
    return s;
  }
  if (!(o.e2e_rate > 0) || !std::isfinite(o.e2e_rate)) {
    error = "--e2e-rate: must be above 0 events per second";
    return s;
  }
  s.e2e_rate = o.e2e_rate;
  s.print_runbook = o.print_runbook;
  if (o.runbook_action == "exec") {
    s.action = runbook_action::exec;
  } else if (o.runbook_action == "http") {
    s.action = runbook_action::http;
  } else {
    error = "--runbook-action: \"" + o.runbook_action + "\" (expected exec or http)";
    return s;
  }
  if (s.print_runbook && s.sink_port == 0) {
    error = "--sink: --print-runbook needs a fixed port, not 0";
    return s;
  }
  s.seed = o.seed != 0 ? o.seed : std::random_device{}();
  return s;
}

} // namespace vigil::loadtest
