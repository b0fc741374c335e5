#include "bench/loadtest/loadtest.hpp"

#include <unistd.h>

#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "bench/loadtest/client.hpp"
#include "bench/loadtest/result.hpp"
#include "bench/loadtest/sink.hpp"
#include "bench/loadtest/units.hpp"

namespace vigil::loadtest {

namespace {

using namespace std::chrono_literals;

std::string rfc3339(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// The phases the run will go through, fixed up front (start times are set when each begins).
std::vector<phase_plan> plan_phases(const loadtest_settings& s) {
  std::vector<phase_plan> plans;
  const unsigned steps = s.max_rate ? s.max_steps : 1;
  uint64_t first = 0;
  double rate = s.rate;
  for (unsigned k = 0; k < steps; ++k) {
    phase_plan p;
    p.number = k;
    p.event_rate = rate;
    p.request_rate = rate / s.batch;
    p.first = first;
    const auto measured = s.max_rate ? s.step_duration : s.duration;
    const auto warmup = k == 0 ? s.warmup : 0ns;
    p.warmup = static_cast<uint64_t>(
      std::llround(static_cast<double>(warmup.count()) / 1e9 * p.request_rate));
    p.count =
      p.warmup
      + std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(
                                static_cast<double>(measured.count()) / 1e9 * p.request_rate)));
    // About 300 windows at most, one second each for runs up to five minutes.
    p.window = std::max<std::chrono::nanoseconds>(1s, measured / 300);
    first += p.count;
    plans.push_back(p);
    rate *= s.step_factor;
  }
  return plans;
}

/// Runs the phases and the end-to-end accounting; prints progress.
class runner {
public:
  runner(const loadtest_settings& s, std::ostream& out, bool interactive)
    : s_(s), out_(out), interactive_(interactive), sink_(book_) {}

  int run(std::ostream& err) {
    result_.settings = &s_;
    const auto wall = std::time(nullptr);
    result_.started_at = rfc3339(wall);
    auto plans = plan_phases(s_);

    if (s_.e2e != e2e_mode::off) {
      auto problem = sink_.start(s_.sink_host, s_.sink_port);
      if (!problem.empty()) {
        if (s_.e2e == e2e_mode::required) {
          err << "vigil loadtest: " << problem << "\n";
          return 2;
        }
        result_.notes.push_back(problem + "; end-to-end latency not measured");
      } else {
        result_.e2e_enabled = true;
        result_.sink_port = sink_.port();
      }
    }
    payload_settings ps;
    ps.kind = s_.payload;
    ps.batch = s_.batch;
    ps.duplicates = s_.duplicates;
    ps.resolved = s_.resolved;
    ps.seed = s_.seed;
    ps.run_nonce = static_cast<uint32_t>(std::random_device{}());
    ps.starts_at = rfc3339(wall - 60);
    ps.ended_at = rfc3339(wall - 1);
    if (result_.e2e_enabled)
      for (const auto& p : plans)
        ps.tag_plan.emplace_back(
          p.first, std::max<uint64_t>(1, static_cast<uint64_t>(p.event_rate / s_.e2e_rate)));
    payload_factory payloads{ps};
    sink_.use(payloads);

    engine_settings es;
    es.host = s_.host;
    es.port = s_.port;
    es.target = s_.target;
    es.authorization = s_.authorization;
    es.threads = s_.threads;
    es.connections = s_.connections;
    es.timeout = s_.timeout;
    es.drain = s_.drain;
    load_engine engine{es, payloads};
    if (auto problem = engine.connect(); !problem.empty()) {
      err << "vigil loadtest: " << problem << "\n";
      return 2;
    }
    result_.before = probe_server(s_.host, s_.port, s_.authorization, 2000ms);

    for (auto& plan : plans) {
      plan.start_ns = now_ns() + 20'000'000; // 20 ms to get every thread ready
      book_.add(plan);
      current_ = plan;
      next_line_ = plan.start_ns + 2'000'000'000;
      auto stats = engine.run_phase(
        plan, [this, &engine] { progress(engine); }, 250ms);
      const auto expected = engine.accepted_tagged();
      if (result_.e2e_enabled)
        wait_for_hits(plan, expected.size());
      sink_.settle(plan.number, expected, now_ns(), stats);
      result_.e2e_measured = result_.e2e_measured || sink_.activity().first > sink_.ignored_hits();
      finish_step(plan, std::move(stats));
      if (s_.max_rate && !result_.steps.back().met)
        break;
    }
    if (interactive_)
      out_ << "\r\033[K" << std::flush;
    sink_.stop();
    result_.ignored_hits = sink_.ignored_hits();
    result_.after = probe_server(s_.host, s_.port, s_.authorization, 2000ms);
    result_.server_ingest_to_trigger = ingest_to_trigger_between(result_.before, result_.after);
    // The steps judged before any hit arrived are judged again now that it is known.
    for (auto& step : result_.steps)
      judge(step);
    choose();
    add_notes();

    out_ << summary_text(result_);
    if (!s_.report_dir.empty()) {
      if (auto problem = write_report(); !problem.empty()) {
        err << "vigil loadtest: " << problem << "\n";
        return 2;
      }
      out_ << "report: " << s_.report_dir << "/report.json, " << s_.report_dir << "/latency.svg, "
           << s_.report_dir << "/histogram.svg\n";
    }
    out_ << std::flush;
    return result_.exit_code();
  }

private:
  void progress(load_engine& engine) {
    const int64_t now = now_ns();
    if (!interactive_ && now < next_line_)
      return;
    next_line_ = now + 2'000'000'000;
    const auto snap = engine.progress();
    const double since = static_cast<double>(now - current_.measure_start_ns()) / 1e9;
    std::string line;
    char buf[96];
    if (since < 0) {
      std::snprintf(buf, sizeof buf, "warmup %.1fs left", -since);
      line = buf;
    } else {
      const double total =
        static_cast<double>(current_.count - current_.warmup) / current_.request_rate;
      std::snprintf(buf, sizeof buf, "%5.1fs/%.0fs  %.0f events/s (target %.0f)", since, total,
                    since > 0 ? static_cast<double>(snap.events) / since : 0.0,
                    current_.event_rate);
      line = buf;
      line += "  errors " + std::to_string(snap.failed);
      line += "  p95 " + format_latency(snap.accept.percentile(95));
      if (result_.e2e_enabled) {
        const auto e2e = sink_.snapshot(current_.number);
        if (!e2e.empty())
          line += "  e2e p95 " + format_latency(e2e.percentile(95));
      }
    }
    if (s_.max_rate)
      line = "step " + std::to_string(current_.number + 1) + "  " + line;
    if (interactive_)
      out_ << "\r\033[K" << line << std::flush;
    else
      out_ << "progress: " << line << "\n" << std::flush;
  }

  /// Waits for the sink to see every accepted tagged event, up to the drain deadline; gives up
  /// early when no hit ever came (Vigil without the runbook).
  void wait_for_hits(const phase_plan& plan, std::size_t expected) {
    const int64_t last_due = plan.due_ns(plan.first + plan.count - 1);
    const int64_t deadline = last_due + s_.drain.count();
    const int64_t quiet_limit = last_due + std::min<int64_t>(s_.drain.count(), 2'000'000'000);
    while (sink_.snapshot(plan.number).count() < expected) {
      const int64_t now = now_ns();
      if (now >= deadline || (sink_.activity().first == 0 && now >= quiet_limit))
        break;
      std::this_thread::sleep_for(50ms);
    }
  }

  void judge(step_result& step) {
    slo_inputs in;
    in.accept = &step.stats.accept;
    in.end_to_end = result_.e2e_measured ? &step.stats.end_to_end : nullptr;
    in.end_to_end_required = s_.e2e == e2e_mode::required;
    in.requests = step.stats.requests;
    in.failed_requests = step.stats.failed;
    step.verdicts = evaluate_slos(s_.slos, in);
    step.met = all_met(step.verdicts);
  }

  void finish_step(const phase_plan& plan, phase_stats&& stats) {
    step_result step;
    step.target_rate = plan.event_rate;
    step.measured_s = static_cast<double>(plan.count - plan.warmup) / plan.request_rate;
    step.offset_s = result_.steps.empty()
                      ? 0
                      : static_cast<double>(plan.measure_start_ns() - first_measure_start_) / 1e9;
    if (result_.steps.empty())
      first_measure_start_ = plan.measure_start_ns();
    step.stats = std::move(stats);
    judge(step);
    result_.steps.push_back(std::move(step));
  }

  void choose() {
    result_.chosen = 0;
    if (!s_.max_rate)
      return;
    for (std::size_t i = 0; i < result_.steps.size(); ++i)
      if (result_.steps[i].met) {
        result_.chosen = i;
        result_.highest_rate_held = result_.steps[i].target_rate;
      } else {
        break;
      }
  }

  void add_notes() {
    const auto& st = result_.main_step().stats;
    const auto lag = st.dispatch_lag.percentile(99);
    if (lag > 5'000'000)
      result_.notes.push_back("the generator fell behind its schedule (p99 lag "
                              + format_latency(lag)
                              + "): latencies include its own delay; try more --threads or run "
                                "it on another machine");
    if (st.requests > 0 && st.waited_for_connection * 100 > st.requests)
      result_.notes.push_back(
        std::to_string(st.waited_for_connection)
        + " requests found every connection busy when due and waited (counted in their "
          "latency); more --connections would take them sooner");
    if (result_.e2e_enabled && result_.e2e_measured && st.e2e_missing > 0)
      result_.notes.push_back(std::to_string(st.e2e_missing) + " of "
                              + std::to_string(st.e2e_expected)
                              + " tagged events never reached the sink within --drain");
  }

  std::string write_report() {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(s_.report_dir, ec);
    if (ec)
      return "--report: cannot create " + s_.report_dir + ": " + ec.message();
    const std::pair<const char*, std::string> files[] = {
      {"report.json", report_json(result_)},
      {"latency.svg", latency_svg(result_)},
      {"histogram.svg", histogram_svg(result_)},
    };
    for (const auto& [name, text] : files) {
      const auto path = fs::path{s_.report_dir} / name;
      std::ofstream f{path, std::ios::binary | std::ios::trunc};
      f << text;
      if (!f.flush())
        return "--report: cannot write " + path.string();
    }
    return {};
  }

  const loadtest_settings& s_;
  std::ostream& out_;
  const bool interactive_;
  schedule_book book_;
  e2e_sink sink_;
  run_result result_;
  phase_plan current_;
  int64_t next_line_ = 0;
  int64_t first_measure_start_ = 0;
};

} // namespace

int run_loadtest(const loadtest_options& opts, std::ostream& out, std::ostream& err,
                 bool interactive) {
  std::string error;
  const auto settings = resolve_options(opts, error);
  if (!error.empty()) {
    err << "vigil loadtest: " << error << "\n";
    return 2;
  }
  if (settings.print_runbook) {
    out << e2e_runbook_yaml(settings.sink_host, settings.sink_port, settings.action);
    return 0;
  }
  runner r{settings, out, interactive};
  return r.run(err);
}

int run_loadtest(const loadtest_options& opts) {
  return run_loadtest(opts, std::cout, std::cerr, isatty(STDOUT_FILENO) != 0);
}

} // namespace vigil::loadtest
