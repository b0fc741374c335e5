#include "runtime/app/metrics.hpp"

#include <algorithm>
#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <limits>
#include <sstream>
#include <sys/resource.h>
#include <unistd.h>

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include "actors/dispatcher.hpp"
#include "actors/engine.hpp"
#include "actors/integrations/integration_service.hpp"
#include "runtime/app/version.hpp"
#include "runtime/http/server.hpp"
#include "runtime/ingest/event_queue.hpp"
#include "runtime/ingest/ingest_service.hpp"
#include "runtime/model/clock.hpp"
#include "runtime/model/event.hpp"
#include "runtime/model/json_writer.hpp"
#include "runtime/model/time_json.hpp"
#include "storage/database.hpp"
#include "storage/event_log.hpp"
#include "storage/workflow_store.hpp"

namespace vigil::app {

using namespace std::chrono_literals;
namespace prom = prometheus;

void http_figures::on_response(unsigned status, std::chrono::nanoseconds took) noexcept {
  const auto cls = status / 100;
  by_class[cls >= 1 && cls <= 5 ? cls : 0].fetch_add(1, std::memory_order_relaxed);
  seconds.observe(std::chrono::duration<double>(took).count());
}

namespace {

constexpr std::size_t samples_kept = 24 * 3600 / 10 + 1;
constexpr std::size_t minutes_kept = 24 * 60;

// -- building Prometheus families ----------------------------------------------------------------

using labels = std::vector<prom::ClientMetric::Label>;

struct family_builder {
  /// A deque: the references `family` hands out stay valid as more are added.
  std::deque<prom::MetricFamily> families;

  prom::MetricFamily& family(const std::string& name, const std::string& help,
                             prom::MetricType type) {
    families.push_back({name, help, type, {}});
    return families.back();
  }

  static void counter(prom::MetricFamily& f, double v, labels l = {}) {
    prom::ClientMetric m;
    m.label = std::move(l);
    m.counter.value = v;
    f.metric.push_back(std::move(m));
  }

  static void gauge(prom::MetricFamily& f, double v, labels l = {}) {
    prom::ClientMetric m;
    m.label = std::move(l);
    m.gauge.value = v;
    f.metric.push_back(std::move(m));
  }

  static void histogram(prom::MetricFamily& f, const model::histogram_snapshot& s, labels l = {}) {
    prom::ClientMetric m;
    m.label = std::move(l);
    m.histogram.sample_count = s.count;
    m.histogram.sample_sum = s.sum;
    uint64_t cumulative = 0;
    for (std::size_t i = 0; i < s.bounds.size(); ++i) {
      cumulative += s.counts[i];
      m.histogram.bucket.push_back({cumulative, s.bounds[i]});
    }
    m.histogram.bucket.push_back({s.count, std::numeric_limits<double>::infinity()});
    f.metric.push_back(std::move(m));
  }

  void single_counter(const std::string& name, const std::string& help, double v) {
    counter(family(name, help, prom::MetricType::Counter), v);
  }

  void single_gauge(const std::string& name, const std::string& help, double v) {
    gauge(family(name, help, prom::MetricType::Gauge), v);
  }
};

double load(const std::atomic<uint64_t>& x) {
  return static_cast<double>(x.load(std::memory_order_relaxed));
}

// -- process metrics (as the Prometheus client libraries name them) -------------------------------

void add_process_metrics(family_builder& b, std::chrono::system_clock::time_point started) {
  std::ifstream stat{"/proc/self/stat"};
  std::string line;
  std::getline(stat, line);
  // Fields after the command name (which may hold spaces, so start after its closing paren).
  const auto close = line.rfind(')');
  if (close != std::string::npos) {
    std::istringstream in{line.substr(close + 2)};
    std::vector<std::string> f;
    for (std::string x; in >> x;)
      f.push_back(x);
    // f[0] is field 3 (state): utime is field 14, stime 15, vsize 23, rss 24.
    if (f.size() > 21) {
      const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
      const double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
      b.single_counter("process_cpu_seconds_total",
                       "Total user and system CPU time spent in seconds.", cpu);
      b.single_gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                     std::stod(f[20]));
      b.single_gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                     std::stod(f[21]) * static_cast<double>(::sysconf(_SC_PAGESIZE)));
    }
  }
  std::size_t fds = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (const dirent* e = ::readdir(d))
      fds += e->d_name[0] != '.' ? 1 : 0;
    ::closedir(d);
  }
  b.single_gauge("process_open_fds", "Number of open file descriptors.",
                 static_cast<double>(fds > 0 ? fds - 1 : 0)); // minus the one reading the dir
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0)
    b.single_gauge("process_max_fds", "Maximum number of open file descriptors.",
                   static_cast<double>(lim.rlim_cur));
  b.single_gauge("process_start_time_seconds",
                 "Start time of the process since unix epoch in seconds.",
                 std::chrono::duration<double>(started.time_since_epoch()).count());
}

model::histogram_snapshot integration_latency(const actors::integration_stats& s) {
  model::histogram_snapshot h;
  for (auto ms : actors::latency_bounds_ms)
    h.bounds.push_back(static_cast<double>(ms) / 1000.0);
  h.counts.assign(s.latency_buckets.begin(), s.latency_buckets.end());
  h.count = s.latency_count;
  h.sum = static_cast<double>(s.latency_sum_us) / 1e6;
  return h;
}

/// good / total; NaN (written as null) when nothing counted: no finished run is not a 100%
/// success rate.
double ratio(uint64_t good, uint64_t total) {
  return total == 0 ? std::numeric_limits<double>::quiet_NaN()
                    : static_cast<double>(good) / static_cast<double>(total);
}

double per_second(uint64_t delta, std::chrono::steady_clock::duration over) {
  const double s = std::chrono::duration<double>(over).count();
  return s <= 0 ? 0 : static_cast<double>(delta) / s;
}

uint64_t minus(uint64_t a, uint64_t b) {
  return a >= b ? a - b : 0;
}

} // namespace

metrics::metrics(metric_sources sources) : src_(sources) {}

metrics::counters metrics::read(std::chrono::steady_clock::time_point now) const {
  counters c;
  c.at = now;
  c.wall = model::clock::system().now();
  if (src_.ingest != nullptr) {
    c.accepted = src_.ingest->events_accepted.load(std::memory_order_relaxed);
    for (std::size_t t = 0; t < c.by_type.size(); ++t)
      c.by_type[t] = src_.ingest->accepted_by_type[t].load(std::memory_order_relaxed);
  }
  if (src_.dispatchers != nullptr)
    c.dispatched = src_.dispatchers->stats().events.load(std::memory_order_relaxed);
  if (src_.queue != nullptr)
    c.queue_depth = src_.queue->depth();
  if (src_.engine != nullptr) {
    const auto& s = src_.engine->stats;
    c.processing_errors = s.processing_errors.load(std::memory_order_relaxed);
    c.started = s.started.load(std::memory_order_relaxed);
    c.completed = s.completed.load(std::memory_order_relaxed);
    c.failed = s.failed.load(std::memory_order_relaxed);
    c.cancelled = s.cancelled.load(std::memory_order_relaxed);
    c.active =
      s.active.load(std::memory_order_relaxed) + s.hibernated.load(std::memory_order_relaxed);
    const auto d = src_.engine->probe.durations();
    c.duration_sum = d.sum;
    c.duration_count = d.count;
    c.trigger = src_.engine->probe.ingest_to_trigger();
  }
  // Failed workflows count as processing errors too: what the runbook's operators look at.
  c.processing_errors += c.failed;
  return c;
}

metrics::counters metrics::delta(const counters& c, const counters& a) {
  counters d;
  d.at = c.at;
  d.wall = c.wall;
  d.accepted = minus(c.accepted, a.accepted);
  d.dispatched = minus(c.dispatched, a.dispatched);
  for (std::size_t t = 0; t < d.by_type.size(); ++t)
    d.by_type[t] = minus(c.by_type[t], a.by_type[t]);
  d.processing_errors = minus(c.processing_errors, a.processing_errors);
  d.started = minus(c.started, a.started);
  d.completed = minus(c.completed, a.completed);
  d.failed = minus(c.failed, a.failed);
  d.cancelled = minus(c.cancelled, a.cancelled);
  d.queue_depth = c.queue_depth;
  d.active = c.active;
  d.duration_sum = std::max(0.0, c.duration_sum - a.duration_sum);
  d.duration_count = minus(c.duration_count, a.duration_count);
  d.trigger = c.trigger.minus(a.trigger);
  return d;
}

void metrics::sample(std::chrono::steady_clock::time_point now) {
  auto c = read(now);
  std::lock_guard<std::mutex> guard{mtx_};
  samples_.push_back(c);
  while (samples_.size() > samples_kept)
    samples_.pop_front();
  if (!minute_start_) {
    minute_start_ = c;
    return;
  }
  if (now - minute_start_->at < 60s)
    return;
  minute_point p;
  p.at = c.wall;
  p.delta = delta(c, *minute_start_);
  minutes_.push_back(std::move(p));
  while (minutes_.size() > minutes_kept)
    minutes_.pop_front();
  minute_start_ = c;
}

metrics::counters metrics::before(std::chrono::steady_clock::time_point now,
                                  std::chrono::seconds back) const {
  // With mtx_ held. Samples are in time order.
  const auto limit = now - back;
  const counters* best = nullptr;
  for (auto it = samples_.rbegin(); it != samples_.rend(); ++it) {
    best = &*it;
    if (it->at <= limit)
      break;
  }
  if (best != nullptr)
    return *best;
  counters zero;
  zero.at = now
            - std::chrono::duration_cast<std::chrono::steady_clock::duration>(
              std::chrono::system_clock::now() - src_.started);
  return zero;
}

std::string metrics::prometheus_text() const {
  family_builder b;
  {
    auto& f = b.family("vigil_build_info", "Vigil's version; always 1.", prom::MetricType::Gauge);
    family_builder::gauge(f, 1, {{"version", vigil_version()}});
  }
  if (src_.http != nullptr) {
    auto& f = b.family("vigil_http_requests_total", "HTTP requests answered, by status class.",
                       prom::MetricType::Counter);
    static constexpr const char* classes[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
    for (std::size_t i = 0; i < src_.http->by_class.size(); ++i)
      family_builder::counter(f, load(src_.http->by_class[i]), {{"code", classes[i]}});
    family_builder::histogram(b.family("vigil_http_request_duration_seconds",
                                       "Time from a request's arrival to its answer.",
                                       prom::MetricType::Histogram),
                              src_.http->seconds.snapshot());
  }
  if (src_.server != nullptr) {
    b.single_gauge("vigil_http_connections_active", "Open HTTP connections.",
                   load(src_.server->connections_active));
    auto& f = b.family("vigil_http_connections_total", "HTTP connections, by outcome.",
                       prom::MetricType::Counter);
    family_builder::counter(f, load(src_.server->connections_accepted), {{"outcome", "accepted"}});
    family_builder::counter(f, load(src_.server->connections_refused), {{"outcome", "refused"}});
    family_builder::counter(f, load(src_.server->timeouts), {{"outcome", "timed_out"}});
  }
  if (src_.ingest != nullptr) {
    const auto& s = *src_.ingest;
    auto& recv = b.family("vigil_events_received_total",
                          "Events parsed from request bodies, by endpoint (new and duplicate).",
                          prom::MetricType::Counter);
    family_builder::counter(recv, load(s.received_by_format[0]) + load(s.received_by_format[1]),
                            {{"endpoint", "/api/events"}});
    family_builder::counter(recv, load(s.received_by_format[2]),
                            {{"endpoint", "/api/v1/alertmanager"}});
    family_builder::counter(recv, load(s.received_by_format[3]), {{"endpoint", "/api/v2/alerts"}});
    auto& acc =
      b.family("vigil_events_accepted_total",
               "New events stored durably and acknowledged, by type.", prom::MetricType::Counter);
    for (std::size_t t = 0; t < s.accepted_by_type.size(); ++t)
      family_builder::counter(
        acc, load(s.accepted_by_type[t]),
        {{"type", std::string{model::to_string(static_cast<model::event_type>(t))}}});
    b.single_counter("vigil_events_duplicate_total",
                     "Events acknowledged as repeats of an earlier one (idempotency key).",
                     load(s.events_duplicate));
    auto& rej = b.family("vigil_events_rejected_total",
                         "Ingest requests refused, by reason (invalid: the body did not validate; "
                         "overloaded: queue full, 429; unavailable: stopping or paused, 503; "
                         "failed: storage error, 500).",
                         prom::MetricType::Counter);
    family_builder::counter(rej, load(s.rejected_invalid), {{"reason", "invalid"}});
    family_builder::counter(rej, load(s.rejected_overloaded), {{"reason", "overloaded"}});
    family_builder::counter(rej, load(s.rejected_unavailable), {{"reason", "unavailable"}});
    family_builder::counter(rej, load(s.failed), {{"reason", "failed"}});
  }
  if (src_.queue != nullptr) {
    auto& f = b.family("vigil_event_queue_depth", "Events waiting for dispatch, by priority.",
                       prom::MetricType::Gauge);
    for (std::size_t p = 0; p < model::priority_count; ++p) {
      const auto prio = static_cast<model::priority>(p);
      family_builder::gauge(f, static_cast<double>(src_.queue->depth(prio)),
                            {{"priority", std::string{model::to_string(prio)}}});
    }
    b.single_gauge("vigil_event_queue_capacity", "Events the queue holds at most.",
                   static_cast<double>(src_.queue->capacity()));
  }
  if (src_.dispatchers != nullptr) {
    b.single_counter("vigil_events_dispatched_total", "Events handed to the workflow engine.",
                     load(src_.dispatchers->stats().events));
    b.single_gauge("vigil_dispatch_workers", "Dispatcher workers running.",
                   static_cast<double>(src_.dispatchers->size()));
  }
  if (src_.engine != nullptr) {
    const auto& s = src_.engine->stats;
    const auto& probe = src_.engine->probe;
    family_builder::histogram(b.family("vigil_ingest_to_trigger_seconds",
                                       "From an event's receipt to the start of the workflow "
                                       "it triggered.",
                                       prom::MetricType::Histogram),
                              probe.ingest_to_trigger());
    const auto books = probe.runbooks();
    auto& started = b.family("vigil_workflows_started_total", "Workflow runs started, by runbook.",
                             prom::MetricType::Counter);
    auto& finished = b.family("vigil_workflows_finished_total",
                              "Workflow runs that reached a terminal state, by runbook and status.",
                              prom::MetricType::Counter);
    auto& duration =
      b.family("vigil_workflow_duration_seconds", "Duration of finished workflow runs, by runbook.",
               prom::MetricType::Histogram);
    auto& retries = b.family("vigil_step_retries_total", "Step retries, by runbook and step.",
                             prom::MetricType::Counter);
    for (const auto& r : books) {
      family_builder::counter(started, static_cast<double>(r.started), {{"runbook", r.runbook}});
      for (const auto& [status, n] : r.finished)
        family_builder::counter(finished, static_cast<double>(n),
                                {{"runbook", r.runbook}, {"status", status}});
      family_builder::histogram(duration, r.duration, {{"runbook", r.runbook}});
      for (const auto& [step, n] : r.step_retries)
        family_builder::counter(retries, static_cast<double>(n),
                                {{"runbook", r.runbook}, {"step", step}});
    }
    b.single_gauge("vigil_workflows_active",
                   "Workflow runs not finished: running, waiting, at a gate, paused.",
                   static_cast<double>(s.active.load(std::memory_order_relaxed)
                                       + s.hibernated.load(std::memory_order_relaxed)));
    b.single_gauge("vigil_workflows_hibernated",
                   "Parked runs kept on disk only, woken by their timer or a command.",
                   static_cast<double>(s.hibernated.load(std::memory_order_relaxed)));
    b.single_gauge("vigil_workflows_pending", "Workflow runs waiting for a concurrency slot.",
                   static_cast<double>(s.pending.load(std::memory_order_relaxed)));
    b.single_counter("vigil_workflows_needs_human_total",
                     "Times a workflow run stopped for a human (stalled, budget, manual).",
                     load(s.needs_human));
    auto& rec = b.family("vigil_recovery_actions_total",
                         "on_failure strategies applied, by strategy and where they led.",
                         prom::MetricType::Counter);
    for (const auto& r : probe.recoveries())
      family_builder::counter(rec, static_cast<double>(r.count),
                              {{"strategy", r.strategy}, {"outcome", r.outcome}});
    b.single_counter("vigil_processing_errors_total",
                     "Times the engine itself failed on an event (not a remediation failure).",
                     load(s.processing_errors));
    b.single_counter("vigil_events_poisoned_total",
                     "Events set aside as poison after engine.event_processing.max_attempts.",
                     load(s.poisoned));
  }
  {
    auto& f = b.family("vigil_startup_recovered",
                       "What the last start found left over: events re-queued and runs resumed.",
                       prom::MetricType::Gauge);
    family_builder::gauge(f, static_cast<double>(src_.recovered_events), {{"what", "events"}});
    family_builder::gauge(f, static_cast<double>(src_.recovered_runs), {{"what", "runs"}});
    b.single_gauge("vigil_last_stop_clean", "1 when the previous stop was clean, 0 after a crash.",
                   src_.last_stop_clean ? 1 : 0);
  }
  if (src_.database != nullptr) {
    const auto h = src_.database->health();
    b.single_gauge(
      "vigil_storage_writable",
      "1 while the database takes writes; 0 while the disk is full or RocksDB stopped.",
      h.state == storage::storage_health::condition::ok ? 1 : 0);
    b.single_gauge("vigil_storage_free_bytes",
                   "Free space of the data directory's filesystem (for an unprivileged writer).",
                   static_cast<double>(h.free_bytes));
    const auto m = src_.database->memory();
    auto& used = b.family("vigil_storage_memory_bytes",
                          "RocksDB's memory by kind: memtables, the shared block cache (index and "
                          "filter blocks included; cache_pinned is the part in use), and table "
                          "metadata outside the cache.",
                          prom::MetricType::Gauge);
    family_builder::gauge(used, static_cast<double>(m.memtables), {{"kind", "memtables"}});
    family_builder::gauge(used, static_cast<double>(m.cache), {{"kind", "cache"}});
    family_builder::gauge(used, static_cast<double>(m.cache_pinned), {{"kind", "cache_pinned"}});
    family_builder::gauge(used, static_cast<double>(m.table_readers), {{"kind", "table_readers"}});
    auto& limit = b.family("vigil_storage_memory_limit_bytes",
                           "The bounds of RocksDB's memory: storage.memtable_bytes and "
                           "storage.cache_bytes.",
                           prom::MetricType::Gauge);
    family_builder::gauge(limit, static_cast<double>(m.memtable_budget), {{"kind", "memtables"}});
    family_builder::gauge(limit, static_cast<double>(m.cache_capacity), {{"kind", "cache"}});
  }
  if (src_.event_log != nullptr || src_.workflow_store != nullptr) {
    auto& f = b.family("vigil_storage_write_seconds",
                       "Duration of one group write to RocksDB, fsync included, by store.",
                       prom::MetricType::Histogram);
    if (src_.event_log != nullptr)
      family_builder::histogram(f, src_.event_log->write_seconds.snapshot(),
                                {{"store", "event_log"}});
    if (src_.workflow_store != nullptr)
      family_builder::histogram(f, src_.workflow_store->write_seconds.snapshot(),
                                {{"store", "workflows"}});
  }
  if (src_.integrations != nullptr) {
    const auto all = src_.integrations->stats();
    auto& calls =
      b.family("vigil_integration_calls_total",
               "Integration calls by outcome (rejections included).", prom::MetricType::Counter);
    auto& latency =
      b.family("vigil_integration_call_duration_seconds",
               "Duration of integration calls that went out.", prom::MetricType::Histogram);
    auto& state =
      b.family("vigil_circuit_breaker_state",
               "Circuit breaker state: 0 closed, 1 half-open, 2 open.", prom::MetricType::Gauge);
    auto& transitions =
      b.family("vigil_circuit_breaker_transitions_total",
               "Circuit breaker state changes, by the state entered.", prom::MetricType::Counter);
    auto& pauses = b.family("vigil_integration_rate_limit_pauses_total",
                            "429 answers with Retry-After that paused an integration.",
                            prom::MetricType::Counter);
    auto& hinted =
      b.family("vigil_integration_retries_total",
               "Answers that told the calling step to wait and retry.", prom::MetricType::Counter);
    auto& queued =
      b.family("vigil_integration_calls_queued",
               "Calls waiting (pause, bulkhead, half-open, rate limit).", prom::MetricType::Gauge);
    auto& flying =
      b.family("vigil_integration_calls_in_flight", "Calls out now.", prom::MetricType::Gauge);
    for (const auto& s : all) {
      const labels who{{"integration", s.name}};
      auto with = [&](const char* k, const char* v) {
        auto l = who;
        l.push_back({k, v});
        return l;
      };
      family_builder::counter(calls, static_cast<double>(s.calls_ok), with("outcome", "ok"));
      family_builder::counter(calls, static_cast<double>(s.calls_error), with("outcome", "error"));
      family_builder::counter(calls, static_cast<double>(s.calls_timeout),
                              with("outcome", "timeout"));
      family_builder::counter(calls, static_cast<double>(s.calls_rate_limited),
                              with("outcome", "rate_limited"));
      family_builder::counter(calls, static_cast<double>(s.rejected_open),
                              with("outcome", "circuit_open"));
      family_builder::counter(calls, static_cast<double>(s.rejected_disabled),
                              with("outcome", "disabled"));
      family_builder::counter(
        calls,
        static_cast<double>(minus(s.calls_unavailable, s.rejected_open + s.rejected_disabled)),
        with("outcome", "unavailable"));
      family_builder::histogram(latency, integration_latency(s), who);
      const double st = s.state == actors::breaker_state::closed      ? 0
                        : s.state == actors::breaker_state::half_open ? 1
                                                                      : 2;
      family_builder::gauge(state, st, who);
      family_builder::counter(transitions, static_cast<double>(s.opened), with("to", "open"));
      family_builder::counter(transitions, static_cast<double>(s.half_opened),
                              with("to", "half_open"));
      family_builder::counter(transitions, static_cast<double>(s.closed), with("to", "closed"));
      family_builder::counter(pauses, static_cast<double>(s.rate_limit_pauses), who);
      family_builder::counter(hinted, static_cast<double>(s.retries_hinted), who);
      family_builder::gauge(queued, static_cast<double>(s.queued), who);
      family_builder::gauge(flying, static_cast<double>(s.in_flight), who);
    }
  }
  if (src_.reloads_ok != nullptr && src_.reloads_rejected != nullptr) {
    auto& f = b.family("vigil_runbook_reloads_total",
                       "Runbook reloads (API, SIGHUP, file change), by outcome; a rejected one "
                       "kept the previous set.",
                       prom::MetricType::Counter);
    family_builder::counter(f, load(*src_.reloads_ok), {{"outcome", "ok"}});
    family_builder::counter(f, load(*src_.reloads_rejected), {{"outcome", "rejected"}});
  }
  add_process_metrics(b, src_.started);
  // A family with no samples is noise in the exposition.
  b.families.erase(std::remove_if(b.families.begin(), b.families.end(),
                                  [](const auto& f) { return f.metric.empty(); }),
                   b.families.end());
  return prom::TextSerializer{}.Serialize({b.families.begin(), b.families.end()});
}

std::string metrics::summary_json(std::chrono::steady_clock::time_point now) const {
  const auto c = read(now);
  counters minute_ago;
  counters hour_ago;
  counters day_ago;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    minute_ago = before(now, 60s);
    hour_ago = before(now, 3600s);
    day_ago = before(now, 86400s);
  }
  const auto accepted_minute = minus(c.accepted, minute_ago.accepted);
  const auto minute_span = c.at - minute_ago.at;
  const double ingestion = per_second(accepted_minute, minute_span);
  const double processing = per_second(minus(c.dispatched, minute_ago.dispatched), minute_span);
  const auto errors_hour = minus(c.processing_errors, hour_ago.processing_errors);
  const auto ok_1h = minus(c.completed, hour_ago.completed);
  const auto bad_1h = minus(c.failed, hour_ago.failed);
  const auto ok_24h = minus(c.completed, day_ago.completed);
  const auto bad_24h = minus(c.failed, day_ago.failed);
  const auto dur_n = minus(c.duration_count, day_ago.duration_count);
  const double dur_sum = std::max(0.0, c.duration_sum - day_ago.duration_sum);
  const auto trigger_hour = c.trigger.minus(hour_ago.trigger);

  model::json_writer w;
  w.begin_object()
    .field("event_queue_depth", c.queue_depth)
    .field("queue_depth", c.queue_depth)
    .field("events_per_minute",
           minute_span < 60s ? static_cast<double>(accepted_minute) : ingestion * 60.0)
    .field("ingestion_rate", ingestion)
    .field("processing_rate", processing)
    .field("events_processed_per_second", processing);
  w.key("event_types").begin_object();
  for (std::size_t t = 0; t < c.by_type.size(); ++t)
    w.field(model::to_string(static_cast<model::event_type>(t)),
            minus(c.by_type[t], hour_ago.by_type[t]));
  w.end_object()
    .field("processing_errors_last_hour", errors_hour)
    .field("processing_errors", errors_hour)
    .field("workflow_success_rate_1h", ratio(ok_1h, ok_1h + bad_1h))
    .field("workflow_success_rate_24h", ratio(ok_24h, ok_24h + bad_24h))
    .field("workflows_finished_1h", ok_1h + bad_1h)
    .field("workflows_finished_24h", ok_24h + bad_24h)
    .field("avg_workflow_duration_seconds", dur_n == 0 ? 0.0 : dur_sum / static_cast<double>(dur_n))
    .field("active_workflows", c.active)
    .field("ingest_to_trigger_p95_seconds_1h", trigger_hour.quantile(0.95))
    .field("events_accepted_total", c.accepted)
    .field("workflows_started_total", c.started)
    .field("uptime_seconds", static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                                    std::chrono::system_clock::now() - src_.started)
                                                    .count()))
    .end_object();
  return std::move(w).str();
}

namespace {
struct history_metric {
  const char* name;
  double (*value)(const metrics::counters&);
};

constexpr history_metric history_metrics[] = {
  {"event_queue_depth",
   [](const metrics::counters& d) { return static_cast<double>(d.queue_depth); }},
  {"events_per_minute", [](const metrics::counters& d) { return static_cast<double>(d.accepted); }},
  {"events_processed_per_minute",
   [](const metrics::counters& d) { return static_cast<double>(d.dispatched); }},
  {"processing_errors",
   [](const metrics::counters& d) { return static_cast<double>(d.processing_errors); }},
  {"workflows_started", [](const metrics::counters& d) { return static_cast<double>(d.started); }},
  {"workflows_completed",
   [](const metrics::counters& d) { return static_cast<double>(d.completed); }},
  {"workflows_failed", [](const metrics::counters& d) { return static_cast<double>(d.failed); }},
  {"workflow_success_rate",
   [](const metrics::counters& d) { return ratio(d.completed, d.completed + d.failed); }},
  {"active_workflows", [](const metrics::counters& d) { return static_cast<double>(d.active); }},
  {"avg_workflow_duration_seconds",
   [](const metrics::counters& d) {
     return d.duration_count == 0 ? 0.0 : d.duration_sum / static_cast<double>(d.duration_count);
   }},
  {"ingest_to_trigger_p95_seconds",
   [](const metrics::counters& d) { return d.trigger.quantile(0.95); }},
};
} // namespace

std::string metrics::history_names() {
  std::string out;
  for (const auto& m : history_metrics)
    out += (out.empty() ? "" : ", ") + std::string{m.name};
  return out;
}

std::optional<std::string> metrics::history_json(std::string_view metric,
                                                 std::chrono::steady_clock::time_point now) const {
  const history_metric* which = nullptr;
  for (const auto& m : history_metrics)
    if (metric == m.name)
      which = &m;
  if (which == nullptr)
    return std::nullopt;
  const auto current = read(now);
  model::json_writer w;
  w.begin_object().field("metric", which->name).field("interval", "1m").key("points").begin_array();
  auto point = [&](model::timestamp at, const counters& d, bool partial) {
    w.begin_object();
    model::write_time(w, "timestamp", at);
    w.field("value", which->value(d));
    if (partial)
      w.field("partial", true);
    w.end_object();
  };
  std::lock_guard<std::mutex> guard{mtx_};
  for (const auto& p : minutes_)
    point(p.at, p.delta, false);
  // The minute under way, up to now: a server started 20 s ago has one point, not none.
  if (minute_start_)
    point(current.wall, delta(current, *minute_start_), true);
  w.end_array().end_object();
  return std::move(w).str();
}

std::string metrics::runbook_performance_json() const {
  model::json_writer w;
  w.begin_object().key("runbooks").begin_array();
  if (src_.engine != nullptr) {
    for (const auto& r : src_.engine->probe.runbooks()) {
      uint64_t done = 0;
      uint64_t ok = 0;
      uint64_t failed = 0;
      uint64_t cancelled = 0;
      for (const auto& [status, n] : r.finished) {
        done += n;
        ok += status == "completed" ? n : 0;
        failed += status == "failed" ? n : 0;
        cancelled += status == "cancelled" ? n : 0;
      }
      uint64_t retries = 0;
      for (const auto& [step, n] : r.step_retries)
        retries += n;
      w.begin_object()
        .field("runbook", r.runbook)
        .field("runs", r.started)
        .field("finished", done)
        .field("completed", ok)
        .field("failed", failed)
        .field("cancelled", cancelled)
        // Cancelled runs neither succeeded nor failed; no completed or failed run: null.
        .field("success_rate", ratio(ok, ok + failed))
        .field("avg_duration_seconds",
               r.duration.count == 0 ? 0.0 : r.duration.sum / static_cast<double>(r.duration.count))
        .field("p50_duration_seconds", r.duration.quantile(0.5))
        .field("p95_duration_seconds", r.duration.quantile(0.95))
        .field("step_retries", retries)
        .end_object();
    }
  }
  w.end_array().end_object();
  return std::move(w).str();
}

} // namespace vigil::app
