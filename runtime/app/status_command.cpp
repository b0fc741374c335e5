// `vigil status`: a one-screen summary of a running Vigil, and an exit code for scripts and
// monitoring checks.

#include "runtime/app/status_command.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <optional>
#include <ostream>
#include <vector>

#include <CLI/CLI.hpp>
#include <simdjson.h>

#include "runtime/app/blocking_http_client.hpp"
#include "runtime/model/time.hpp"

namespace vigil::app {

namespace {

namespace dom = simdjson::dom;

constexpr std::size_t max_rows = 5;  ///< rows listed per section: the summary fits one screen
constexpr std::size_t max_text = 72; ///< error texts are cut to this many characters

// -- what one endpoint answered ------------------------------------------------------------------

/// One GET and its outcome, as the summary sees it.
struct fetched {
  std::string path;
  http_answer answer;

  /// Answered 2xx.
  [[nodiscard]] bool ok() const { return answer.status >= 200 && answer.status < 300; }

  /// A failure that makes the server degraded: no answer, or a server error.
  [[nodiscard]] bool degraded() const { return !answer.answered() || answer.status >= 500; }

  /// Why the endpoint's values show as n/a (it did not answer 2xx).
  [[nodiscard]] std::string why_not() const {
    if (!answer.answered())
      return answer.error;
    auto code = "HTTP " + std::to_string(answer.status);
    if (answer.status == 404)
      return "not available on this server (" + code + ")";
    if (answer.status == 401 || answer.status == 403)
      return code + ": pass a token with the read scope (--token or VIGIL_TOKEN)";
    return code;
  }
};

// -- the values shown, copied out of the JSON answers ---------------------------------------------

struct health_view {
  std::string status; ///< "ok", "starting", ...; empty when the body did not say
  std::string version;
  std::optional<double> uptime_seconds;
};

struct metrics_view {
  std::optional<double> queue_depth, events_per_minute, ingestion_rate, processed_per_second,
    errors_last_hour, success_rate_1h, active_workflows;
};

struct run_row {
  std::string id, runbook, detail;
  std::optional<model::timestamp> at;
};

struct runs_view {
  std::optional<uint64_t> count;
  std::optional<double> active_workflows;
  std::vector<run_row> rows;
};

struct breaker_row {
  std::string name, state, last_error;
  bool enabled = true;
};

// simdjson DOM values borrow the parser's buffer: every parse below copies what it needs into
// the views above before the next parse.

std::string text_field(dom::object o, std::string_view key) {
  std::string_view v;
  if (o.at_key(key).get_string().get(v) != simdjson::SUCCESS)
    return {};
  return std::string{v};
}

std::optional<double> number_field(dom::object o, std::string_view key) {
  double d = 0;
  if (o.at_key(key).get_double().get(d) != simdjson::SUCCESS || !std::isfinite(d))
    return std::nullopt;
  return d;
}

/// A time of the API's answers: Unix seconds, a number (null or absent: none).
std::optional<model::timestamp> time_field(dom::object o, std::string_view key) {
  const auto seconds = number_field(o, key);
  if (!seconds || *seconds <= 0)
    return std::nullopt;
  return model::from_unix_nanos(static_cast<int64_t>(*seconds * 1e9));
}

std::optional<dom::element> parse_json(dom::parser& parser, const fetched& f) {
  dom::element root;
  if (!f.ok() || parser.parse(f.answer.body).get(root) != simdjson::SUCCESS)
    return std::nullopt;
  return root;
}

health_view read_health(dom::parser& parser, const fetched& f) {
  health_view h;
  dom::element root;
  dom::object o;
  if (parser.parse(f.answer.body).get(root) != simdjson::SUCCESS
      || root.get_object().get(o) != simdjson::SUCCESS)
    return h;
  h.status = text_field(o, "status");
  h.version = text_field(o, "version");
  h.uptime_seconds = number_field(o, "uptime_seconds");
  return h;
}

std::optional<metrics_view> read_metrics(dom::parser& parser, const fetched& f) {
  auto root = parse_json(parser, f);
  dom::object o;
  if (!root || root->get_object().get(o) != simdjson::SUCCESS)
    return std::nullopt;
  metrics_view m;
  m.queue_depth = number_field(o, "event_queue_depth");
  m.events_per_minute = number_field(o, "events_per_minute");
  m.ingestion_rate = number_field(o, "ingestion_rate");
  m.processed_per_second = number_field(o, "events_processed_per_second");
  if (!m.processed_per_second)
    m.processed_per_second = number_field(o, "processing_rate");
  m.errors_last_hour = number_field(o, "processing_errors_last_hour");
  m.success_rate_1h = number_field(o, "workflow_success_rate_1h");
  m.active_workflows = number_field(o, "active_workflows");
  return m;
}

/// `GET /api/workflows` answers `{"workflows": [...], "count": n, "active_workflows": n}`.
/// `detail_key` names the field shown per row (`gate`, `error`); `time_key` its time.
std::optional<runs_view> read_runs(dom::parser& parser, const fetched& f,
                                   std::string_view detail_key, std::string_view time_key) {
  auto root = parse_json(parser, f);
  dom::object o;
  if (!root || root->get_object().get(o) != simdjson::SUCCESS)
    return std::nullopt;
  runs_view v;
  v.active_workflows = number_field(o, "active_workflows");
  dom::array runs;
  if (o.at_key("workflows").get_array().get(runs) == simdjson::SUCCESS) {
    v.count = runs.size();
    for (dom::element e : runs) {
      dom::object run;
      if (v.rows.size() == max_rows || e.get_object().get(run) != simdjson::SUCCESS)
        continue;
      // The runbook's name reads better than its file; older servers have only `runbook`.
      auto name = text_field(run, "runbook_name");
      if (name.empty())
        name = text_field(run, "runbook");
      run_row row{text_field(run, "id"), std::move(name), text_field(run, detail_key),
                  time_field(run, time_key)};
      if (row.detail.empty() && detail_key == "gate")
        row.detail = text_field(run, "current_step");
      v.rows.push_back(std::move(row));
    }
  }
  if (auto count = number_field(o, "count"); count && *count >= 0)
    v.count = static_cast<uint64_t>(*count);
  return v;
}

/// `GET /api/integrations/health`: an array of integrations, or `{"integrations": [...]}`.
std::optional<std::vector<breaker_row>> read_breakers(dom::parser& parser, const fetched& f) {
  auto root = parse_json(parser, f);
  if (!root)
    return std::nullopt;
  // An object keyed by integration name, each value its health.
  dom::object all;
  if (root->get_object().get(all) != simdjson::SUCCESS)
    return std::nullopt;
  std::vector<breaker_row> out;
  for (auto field : all) {
    dom::object o;
    if (field.value.get_object().get(o) != simdjson::SUCCESS)
      continue;
    breaker_row b{text_field(o, "name"), text_field(o, "state"), text_field(o, "last_error")};
    bool enabled = true;
    if (o.at_key("enabled").get_bool().get(enabled) == simdjson::SUCCESS)
      b.enabled = enabled;
    out.push_back(std::move(b));
  }
  return out;
}

// -- formatting -----------------------------------------------------------------------------------

std::string number(std::optional<double> v) {
  if (!v)
    return "n/a";
  char buf[64];
  if (std::fabs(*v) < 1e15 && *v == std::floor(*v))
    std::snprintf(buf, sizeof buf, "%.0f", *v);
  else
    std::snprintf(buf, sizeof buf, "%.1f", *v);
  return buf;
}

/// A success rate as a percentage: 0..1 is a fraction (the operations runbook compares it with
/// 0.8), anything above is taken as a percentage already.
std::string percent(std::optional<double> rate) {
  if (!rate)
    return "n/a";
  return number(*rate <= 1.0 ? *rate * 100.0 : *rate) + "%";
}

/// One line of at most `max_text` characters: control characters become spaces.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (out.size() == max_text) {
      out.replace(max_text - 3, 3, "...");
      break;
    }
    out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  }
  return out;
}

std::string age(const std::optional<model::timestamp>& at) {
  if (!at)
    return "";
  const auto now =
    std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now - *at);
  return model::format_duration(std::max(secs, std::chrono::seconds{0}));
}

/// `  label         value`: labels in a column 14 wide.
std::ostream& line(std::ostream& out, std::string_view label) {
  std::string padded{label};
  padded.resize(std::max<std::size_t>(padded.size() + 1, 14), ' ');
  return out << "  " << padded;
}

/// The first rows of `runs`: id, runbook, `detail_prefix` + detail, and the row's age written
/// `age_prefix` + age + `age_suffix`.
void list_runs(std::ostream& out, const runs_view& runs, std::string_view detail_prefix,
               std::string_view age_prefix, std::string_view age_suffix) {
  for (const auto& r : runs.rows) {
    line(out, "") << "  " << r.id << "  " << r.runbook;
    if (!r.detail.empty())
      out << "  " << detail_prefix << one_line(r.detail);
    if (r.at)
      out << "  (" << age_prefix << age(r.at) << age_suffix << ")";
    out << "\n";
  }
  if (runs.count && *runs.count > runs.rows.size())
    line(out, "") << "  ... and " << *runs.count - runs.rows.size() << " more\n";
}

std::string count_text(const std::optional<runs_view>& runs) {
  if (!runs || !runs->count)
    return "n/a";
  return std::to_string(*runs->count);
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty())
      out += sep;
    out += p;
  }
  return out;
}

// -- the command ----------------------------------------------------------------------------------

int status(const status_options& opts, std::ostream& out, std::ostream& err) {
  std::string problem;
  auto url = parse_server_url(opts.url, problem);
  if (!url) {
    err << "vigil status: --url " << problem << "\n";
    return status_unreachable;
  }
  auto timeout = model::parse_duration(opts.timeout);
  if (!timeout || timeout->count() <= 0) {
    err << "vigil status: --timeout \"" << opts.timeout
        << "\" is not a duration above zero (e.g. 500ms, 5s)\n";
    return status_unreachable;
  }

  blocking_http_client client{*url, *timeout, opts.token};
  auto get = [&client](std::string path) {
    auto answer = client.get(path);
    return fetched{std::move(path), std::move(answer)};
  };
  const auto health = get("/api/health");
  if (!health.answer.answered()) {
    err << "vigil status: cannot reach " << url->to_string() << ": " << health.answer.error << "\n";
    return status_unreachable;
  }
  // The API's largest page, so that the counts are whole.
  const auto gates_got = get("/api/workflows?status=awaiting_gate&limit=10000");
  const auto failed_got = get("/api/workflows?status=failed&since=1h&limit=10000");
  const auto metrics_got = get("/api/metrics");
  const auto breakers_got = get("/api/integrations/health");

  dom::parser parser;
  const auto h = read_health(parser, health);
  const auto metrics = read_metrics(parser, metrics_got);
  const auto gates = read_runs(parser, gates_got, "gate", "updated_at");
  const auto failed = read_runs(parser, failed_got, "error", "finished_at");
  const auto breakers = read_breakers(parser, breakers_got);

  // -- the verdict
  std::vector<std::string> problems;
  if (health.answer.status != 200 || h.status != "ok")
    problems.push_back("health " + (h.status.empty() ? std::string{"unknown"} : h.status)
                       + " (HTTP " + std::to_string(health.answer.status) + ")");
  std::vector<std::string> open;
  std::vector<const breaker_row*> shown_breakers;
  if (breakers) {
    for (const auto& b : *breakers) {
      if (b.state != "closed" || !b.enabled)
        shown_breakers.push_back(&b);
      // A disabled integration's circuit is the operator's decision, not an outage.
      if (b.state == "open" && b.enabled)
        open.push_back(b.name);
    }
  }
  if (!open.empty())
    problems.push_back("circuit open: " + join(open, ", "));
  std::vector<std::string> notes;
  for (const auto* f : {&metrics_got, &breakers_got, &gates_got, &failed_got}) {
    if (f->degraded())
      problems.push_back("GET " + f->path + ": " + f->why_not());
    else if (!f->ok())
      notes.push_back(f->path + ": " + f->why_not());
  }

  // -- the summary
  out << "Vigil at " << url->to_string() << ": "
      << (problems.empty() ? "HEALTHY" : "UNHEALTHY (" + join(problems, "; ") + ")") << "\n";
  line(out, "health") << (h.status.empty() ? "unknown" : h.status);
  if (health.answer.status != 200)
    out << " (HTTP " << health.answer.status << ")";
  if (!h.version.empty())
    out << ", version " << h.version;
  if (h.uptime_seconds && *h.uptime_seconds >= 0)
    out << ", up "
        << model::format_duration(std::chrono::seconds{static_cast<int64_t>(*h.uptime_seconds)});
  out << "\n";

  const metrics_view m = metrics.value_or(metrics_view{});
  line(out, "queue depth") << number(m.queue_depth) << "\n";
  line(out, "ingest") << number(m.ingestion_rate) << " events/s, " << number(m.events_per_minute)
                      << " events/min\n";
  line(out, "processing") << number(m.processed_per_second) << " events/s, "
                          << number(m.errors_last_hour) << " errors in the last hour\n";
  auto active = m.active_workflows;
  if (!active && gates)
    active = gates->active_workflows;
  line(out, "workflows") << number(active) << " active, success rate " << percent(m.success_rate_1h)
                         << " in the last hour\n";

  line(out, "gates") << count_text(gates) << " waiting for approval\n";
  if (gates)
    list_runs(out, *gates, "step ", "waiting ", "");
  line(out, "failed (1h)") << count_text(failed) << " workflow runs\n";
  if (failed)
    list_runs(out, *failed, "", "", " ago");

  line(out, "integrations");
  if (!breakers) {
    out << "n/a\n";
  } else {
    out << breakers->size() << ", " << open.size() << " circuit" << (open.size() == 1 ? "" : "s")
        << " open\n";
    for (std::size_t i = 0; i < shown_breakers.size() && i < max_rows; ++i) {
      const auto& b = *shown_breakers[i];
      line(out, "") << "  " << b.name << "  " << (b.state.empty() ? "unknown" : b.state)
                    << (b.enabled ? "" : " (disabled)");
      if (!b.last_error.empty())
        out << "  last error: " << one_line(b.last_error);
      out << "\n";
    }
    if (shown_breakers.size() > max_rows)
      line(out, "") << "  ... and " << shown_breakers.size() - max_rows << " more\n";
  }
  for (const auto& n : notes)
    line(out, "note") << n << "\n";
  return problems.empty() ? status_healthy : status_unhealthy;
}

} // namespace

void add_status_options(CLI::App& sub, status_options& opts) {
  sub.add_option("--url", opts.url, "The server: http://HOST:PORT")->capture_default_str();
  sub
    .add_option("--token", opts.token,
                "Bearer token with the read scope, when the server needs one")
    ->envname("VIGIL_TOKEN");
  sub
    .add_option("--timeout", opts.timeout,
                "Bound of each connect, send and answer (500ms, 5s, ...)")
    ->capture_default_str();
  sub.footer("Exit codes:\n"
             "  0  healthy: /api/health is ok and no enabled integration's circuit is open\n"
             "  1  unhealthy or degraded: health not ok, a circuit open, or an endpoint failing\n"
             "  2  unreachable (no answer from /api/health) or bad flags");
}

int run_status(const status_options& opts, std::ostream& out, std::ostream& err) {
  try {
    return status(opts, out, err);
  } catch (const std::exception& e) {
    err << "vigil status: " << e.what() << "\n";
    return status_unreachable;
  }
}

} // namespace vigil::app
