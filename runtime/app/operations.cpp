#include "runtime/app/operations.hpp"

#include <filesystem>
#include <limits>
#include <map>

#include "actors/dispatcher.hpp"
#include "actors/workflow_service.hpp"
#include "runtime/app/logger.hpp"
#include "runtime/ingest/event_queue.hpp"
#include "runtime/ingest/ingest_service.hpp"
#include "runtime/model/errc.hpp"
#include "runtime/model/event_json.hpp"
#include "runtime/model/json_writer.hpp"
#include "runtime/model/time_json.hpp"
#include "storage/backup.hpp"
#include "storage/event_log.hpp"
#include "storage/retention.hpp"

namespace vigil::app {

namespace {

/// A file-name-safe UTC stamp: 20261129T190000Z.
std::string stamp(model::timestamp t) {
  auto s = model::format_rfc3339(t); // 2026-11-29T19:00:00.000Z
  std::string out;
  for (char c : s.substr(0, 19))
    if (c != '-' && c != ':')
      out += c;
  return out + "Z";
}

} // namespace

operations::operations(const model::config& cfg, storage::event_log& log,
                       ingest::event_queue& queue, ingest::ingest_service& ingest,
                       actors::dispatcher_pool& dispatchers, actors::workflow_service& workflows)
  : cfg_(cfg), log_(log), queue_(queue), ingest_(ingest), dispatchers_(dispatchers),
    workflows_(workflows), workers_(cfg.engine.event_processing.workers) {}

caf::expected<std::size_t> operations::drain() {
  std::lock_guard<std::mutex> guard{control_mtx_};
  draining_.store(true);
  ingest_.set_holding(true);
  dispatchers_.resize(0); // a batch being dispatched finishes; nothing more is taken
  std::vector<model::event> queued;
  while (queue_.pull(queued, 10'000) > 0) {
  }
  std::vector<uint64_t> seqs;
  seqs.reserve(queued.size());
  for (const auto& e : queued)
    seqs.push_back(e.seq);
  if (auto err = log_.set_state(seqs, storage::event_state::drained))
    return err;
  app_log.warn("processing drained", {{"events", std::to_string(seqs.size())}});
  return seqs.size();
}

caf::expected<std::size_t> operations::resume_processing() {
  std::lock_guard<std::mutex> guard{control_mtx_};
  // New arrivals go to the queue from now on (no dispatcher takes them before the resize
  // below). Released before the drained events are collected, so that an event set aside
  // while this runs is collected too rather than left drained.
  ingest_.set_holding(false);
  storage::event_query q;
  q.state = storage::event_state::drained;
  q.limit = std::numeric_limits<std::size_t>::max();
  q.scan_limit = std::numeric_limits<std::size_t>::max();
  auto drained = log_.query(q);
  if (!drained)
    return std::move(drained.error());
  std::vector<uint64_t> seqs;
  seqs.reserve(drained->size());
  for (const auto& se : *drained)
    seqs.push_back(se.event.seq);
  if (auto err = log_.set_state(seqs, storage::event_state::accepted))
    return err;
  // The query lists newest first: queue them oldest first.
  for (auto it = drained->rbegin(); it != drained->rend(); ++it)
    queue_.push_unreserved(std::move(it->event));
  draining_.store(false);
  dispatchers_.resize(workers_.load());
  app_log.info("processing resumed", {{"events", std::to_string(seqs.size())}});
  return seqs.size();
}

model::diagnostics operations::reload_runbooks(std::size_t& loaded) {
  // Serialized, so that two reloads cannot install their results out of order.
  std::lock_guard<std::mutex> guard{reload_mtx_};
  auto report = workflows_.reload_strict();
  (report.errors.empty() ? reloads_ok : reloads_rejected).fetch_add(1);
  if (report.errors.empty()) {
    app_log.info("runbooks reloaded", {{"runbooks", std::to_string(report.runbooks.size())}});
  } else {
    for (const auto& d : report.errors)
      app_log.error("runbook reload rejected; the previous set stays",
                    {{"problem", d.to_string()}});
  }
  loaded = workflows_.runbooks()->matcher.runbooks().size();
  return std::move(report.errors);
}

std::size_t operations::restart_workers() {
  std::lock_guard<std::mutex> guard{control_mtx_};
  const auto n = draining_.load() ? 0 : workers_.load();
  dispatchers_.resize(0);
  dispatchers_.resize(n);
  app_log.warn("dispatchers restarted", {{"workers", std::to_string(n)}});
  return n;
}

caf::error operations::scale_workers(std::size_t n) {
  if (n < 1 || n > 256)
    return make_error(errc::invalid_argument, "workers must be 1 to 256");
  std::lock_guard<std::mutex> guard{control_mtx_};
  workers_.store(n);
  if (!draining_.load())
    dispatchers_.resize(n);
  app_log.info("dispatchers scaled", {{"workers", std::to_string(n)}});
  return caf::none;
}

caf::error operations::set_event_priority(const std::string& type, const std::string& severity,
                                          model::priority p) {
  auto t = model::parse_event_type(type);
  if (!t)
    return make_error(errc::invalid_argument, "type must be alert, metric or event");
  ingest_.set_priority_rule({*t, severity, p});
  return caf::none;
}

std::string operations::workers_json() {
  model::json_writer w;
  w.begin_object().key("workers").begin_array();
  for (const auto& wi : dispatchers_.workers()) {
    // A dispatcher on one batch for over 30 s is reported stuck (`restart-workers` replaces it).
    const char* status = !wi.busy ? "idle" : wi.busy_seconds > 30 ? "stuck" : "busy";
    w.begin_object().field("id", "dispatcher-" + std::to_string(wi.id)).field("status", status);
    w.key("current_task");
    if (wi.busy)
      w.value("dispatching a batch from event " + model::derived_event_id(wi.current_seq));
    else
      w.null();
    w.field("utilization", wi.utilization).field("batches", wi.batches).field("events", wi.events);
    w.end_object();
  }
  w.end_array();
  w.field("target", static_cast<uint64_t>(workers_.load())).field("draining", draining_.load());
  w.end_object();
  return std::move(w).str();
}

std::string operations::poison_json() {
  model::json_writer w;
  w.begin_object().key("poison_messages").begin_array();
  std::size_t n = 0;
  if (auto letters = log_.dead_letters()) {
    for (const auto& d : *letters) {
      w.begin_object().field("reason", d.reason).field("attempts", d.attempts);
      model::write_time(w, "quarantined_at", d.at);
      w.key("event");
      model::write_event_json(w, d.event, "quarantined");
      w.end_object();
      ++n;
    }
  }
  w.end_array().field("count", static_cast<uint64_t>(n)).end_object();
  return std::move(w).str();
}

caf::expected<std::size_t> operations::clear_poison() {
  auto n = log_.purge_dead_letters({});
  if (n)
    app_log.warn("poison messages purged", {{"count", std::to_string(*n)}});
  return n;
}

caf::expected<std::size_t> operations::requeue_poison(const std::vector<uint64_t>& seqs) {
  auto events = log_.requeue_dead_letters(seqs);
  if (!events)
    return std::move(events.error());
  for (auto& e : *events)
    queue_.push_unreserved(std::move(e));
  dispatchers_.notify(events->size());
  return events->size();
}

std::string operations::queue_analysis_json() {
  // Waiting for dispatch: accepted events, and those a drain set aside (the runbook's
  // "drain first, then analyse" leaves them there).
  std::map<std::string, uint64_t> by_type, by_severity, by_source;
  std::size_t n = 0, drained = 0;
  for (const auto state : {storage::event_state::accepted, storage::event_state::drained}) {
    storage::event_query q;
    q.state = state;
    q.limit = 100'000;
    auto waiting = log_.query(q);
    if (!waiting)
      continue;
    for (const auto& se : *waiting) {
      ++by_type[std::string{model::to_string(se.event.type)}];
      ++by_severity[se.event.severity.empty() ? "none" : se.event.severity];
      ++by_source[se.event.source.empty() ? "unknown" : se.event.source];
      ++n;
      if (state == storage::event_state::drained)
        ++drained;
    }
  }
  model::json_writer w;
  w.begin_object().field("queued", static_cast<uint64_t>(n));
  w.field("drained", static_cast<uint64_t>(drained));
  w.field("queue_depth", static_cast<uint64_t>(queue_.depth()));
  w.field("capacity", static_cast<uint64_t>(queue_.capacity()));
  for (const auto& [key, map] : {std::pair{"event_type_distribution", &by_type},
                                 std::pair{"severity_distribution", &by_severity},
                                 std::pair{"source_distribution", &by_source}}) {
    w.key(key).begin_object();
    for (const auto& [k, v] : *map)
      w.field(k, v);
    w.end_object();
  }
  w.key("by_priority").begin_object();
  for (std::size_t p = 0; p < model::priority_count; ++p)
    w.field(model::to_string(static_cast<model::priority>(p)),
            static_cast<uint64_t>(queue_.depth(static_cast<model::priority>(p))));
  w.end_object().end_object();
  return std::move(w).str();
}

caf::expected<std::string> operations::backup(const std::string& target) {
  namespace fs = std::filesystem;
  // One at a time: a backup reads through a scratch folder named after the process.
  std::lock_guard<std::mutex> guard{backup_mtx_};
  std::error_code ec;
  std::string dir = target;
  if (dir.empty()) {
    const auto base =
      fs::path{cfg_.storage.path} / "backups" / ("backup-" + stamp(model::clock::system().now()));
    dir = base.string();
    for (int i = 2; fs::exists(dir, ec); ++i) // two within one second
      dir = base.string() + "-" + std::to_string(i);
    fs::create_directories(fs::path{dir}.parent_path(), ec);
  } else {
    auto p = fs::path{target}.lexically_normal();
    if (!p.has_filename()) // "/backups/x/"
      p = p.parent_path();
    if (!p.is_absolute())
      return make_error(errc::invalid_argument, "must be an absolute path, got " + target);
    const auto parent = p.parent_path();
    if (!fs::is_directory(parent, ec))
      return make_error(errc::invalid_argument,
                        "the folder " + parent.string() + " does not exist");
    if (fs::exists(p, ec) && !fs::is_directory(p, ec))
      return make_error(errc::invalid_argument, target + " exists and is not a folder");
    if (fs::exists(p, ec) && !fs::is_empty(p, ec))
      return make_error(errc::invalid_argument, target + " is not empty");
    // Never into the live database (nor the data directory that holds it).
    const auto db = fs::weakly_canonical(fs::path{cfg_.storage.path} / "db", ec);
    const auto where = fs::weakly_canonical(p, ec);
    auto rel = where.lexically_relative(db);
    if (!rel.empty() && *rel.begin() != "..")
      return make_error(errc::invalid_argument, "is inside the live database " + db.string());
  }
  auto rep = storage::backup_data_dir(cfg_.storage.path, dir);
  if (!rep)
    return std::move(rep.error());
  app_log.info("backup written and verified",
               {{"path", dir}, {"keys", std::to_string(rep->total_keys())}});
  return dir;
}

caf::expected<std::pair<std::string, std::size_t>>
operations::archive_workflows(model::timestamp before) {
  const auto dir = std::filesystem::path{cfg_.storage.path} / "archive";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const auto file =
    (dir / ("workflows-" + stamp(model::clock::system().now()) + ".ndjson")).string();
  auto n = storage::archive_runs(workflows_.store(), before, file);
  if (!n)
    return std::move(n.error());
  app_log.info("workflow runs archived", {{"file", file}, {"runs", std::to_string(*n)}});
  return std::make_pair(file, *n);
}

} // namespace vigil::app
