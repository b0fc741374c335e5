#include "runtime/app/application.hpp"

#include <limits>

#include <caf/actor_system.hpp>

#include "actors/dispatcher.hpp"
#include "actors/integrations/integration_service.hpp"
#include "actors/system_config.hpp"
#include "actors/workflow_service.hpp"
#include "runtime/app/logger.hpp"
#include "runtime/app/metrics.hpp"
#include "runtime/app/operations.hpp"
#include "runtime/app/runbook_watcher.hpp"
#include "runtime/app/version.hpp"
#include "runtime/http/admin_routes.hpp"
#include "runtime/http/auth.hpp"
#include "runtime/http/event_routes.hpp"
#include "runtime/http/integration_routes.hpp"
#include "runtime/http/router.hpp"
#include "runtime/http/runbook_routes.hpp"
#include "runtime/http/server.hpp"
#include "runtime/http/workflow_routes.hpp"
#include "runtime/ingest/event_queue.hpp"
#include "runtime/ingest/ingest_service.hpp"
#include "runtime/model/clock.hpp"
#include "runtime/model/errc.hpp"
#include "runtime/model/json_writer.hpp"
#include "storage/database.hpp"
#include "storage/event_log.hpp"
#include "storage/retention.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace vigil::app {

struct application::impl {
  model::config cfg;
  const model::clock* clk = &model::clock::system();
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::unique_ptr<storage::database> db;
  std::unique_ptr<storage::event_log> log;
  std::unique_ptr<ingest::event_queue> queue;
  std::unique_ptr<actors::system_config> actor_cfg;
  std::unique_ptr<caf::actor_system> system;
  std::unique_ptr<actors::integration_service> integrations;
  std::unique_ptr<actors::workflow_service> workflows;
  std::unique_ptr<actors::dispatcher_pool> dispatchers;
  std::unique_ptr<ingest::ingest_service> ingest;
  std::unique_ptr<operations> ops;
  std::unique_ptr<http::authenticator> auth;
  http_figures http_stats;
  std::unique_ptr<app::metrics> figures;
  std::unique_ptr<runbook_watcher> watcher; ///< runbooks.auto_reload
  http::router routes;
  std::unique_ptr<http::server> server;
  uint16_t port = 0;
  std::atomic<bool> ready{false};
  bool stopped = false;

  // Retention: a background sweep every `sweep_every`.
  std::thread sweeper;
  std::mutex sweep_mtx;
  std::condition_variable sweep_cv;
  bool sweeping = true;

  void add_health_routes();
  void add_metrics_routes();
  [[nodiscard]] caf::error start_pipeline();
  [[nodiscard]] http::server_hooks hooks();
  void run_sweeper();
};

http::server_hooks application::impl::hooks() {
  http::server_hooks h;
  h.authorize = [this](http::request& req, const http::route& r) { return auth->check(req, r); };
  // Every operate and admin call leaves an audit line: who, what, the target, the outcome.
  h.observe = [this](const http::request& req, const http::response& res,
                     std::chrono::nanoseconds took) {
    http_stats.on_response(res.status, took);
    if (req.scope != "operate" && req.scope != "admin")
      return;
    const auto status = std::to_string(res.status);
    app_log.info("audit", {{"who", req.principal.empty() ? "anonymous" : req.principal},
                           {"what", std::string{http::to_string(req.method)} + " " + req.path},
                           {"target", req.path_params.empty() ? "" : req.path_params.front()},
                           {"outcome", status},
                           {"remote", req.remote}});
  };
  return h;
}

void application::impl::run_sweeper() {
  // Housekeeping: a metrics sample every 10 s, a retention sweep every 10 minutes.
  constexpr auto tick = std::chrono::seconds{10};
  constexpr int ticks_per_sweep = 60;
  int ticks = 0;
  std::unique_lock<std::mutex> lock{sweep_mtx};
  while (!sweep_cv.wait_for(lock, tick, [this] { return !sweeping; })) {
    if (figures)
      figures->sample(std::chrono::steady_clock::now());
    if (++ticks < ticks_per_sweep)
      continue;
    ticks = 0;
    const auto now = clk->now();
    auto done = storage::sweep(
      *db, workflows->store(),
      now - std::chrono::duration_cast<std::chrono::nanoseconds>(cfg.storage.retention.workflows),
      now - std::chrono::duration_cast<std::chrono::nanoseconds>(cfg.storage.retention.events),
      now);
    if (!done)
      app_log.error("retention sweep failed", {{"error", describe(done.error())}});
    else if (done->runs + done->events + done->dedup > 0)
      app_log.info("retention sweep", {{"runs", std::to_string(done->runs)},
                                       {"events", std::to_string(done->events)},
                                       {"idempotency_keys", std::to_string(done->dedup)}});
  }
}

caf::error application::impl::start_pipeline() {
  auto opened = storage::event_log::open(*db, *clk, cfg.storage.sync, cfg.storage.dedup_window);
  if (!opened)
    return std::move(opened.error());
  log = std::move(*opened);
  queue = std::make_unique<ingest::event_queue>(cfg.engine.event_processing.queue_size);

  actor_cfg = std::make_unique<actors::system_config>();
  system = std::make_unique<caf::actor_system>(*actor_cfg);

  // Integrations: the config file's, with the API's later changes (kept in the data dir) over
  // them.
  std::vector<std::string> skipped;
  http::apply_stored_integrations(*db, cfg.integrations, skipped);
  for (const auto& why : skipped)
    app_log.error("stored integration settings not applied", {{"problem", why}});
  integrations = std::make_unique<actors::integration_service>(*system, cfg.integrations, *clk);

  actors::workflow_service_options wopts;
  wopts.repository = cfg.runbooks.repository;
  for (const auto& i : cfg.integrations)
    wopts.integrations.push_back(i.name);
  wopts.engine.max_concurrent = cfg.engine.workflow_execution.max_concurrent;
  wopts.engine.default_run_timeout = cfg.engine.workflow_execution.timeout;
  wopts.sync = cfg.storage.sync;
  wopts.max_attempts = cfg.engine.event_processing.max_attempts;
  auto* q = queue.get();
  wopts.requeue = [this, q](model::event e) {
    q->push_unreserved(std::move(e));
    if (dispatchers)
      dispatchers->notify(1);
  };
  workflows =
    std::make_unique<actors::workflow_service>(*system, *db, *log, *clk, std::move(wopts));
  workflows->context().integrations = integrations->router();
  auto report = workflows->reload(); // at start: the valid ones load, the others are reported
  for (const auto& d : report.errors)
    app_log.error("runbook not loaded", {{"problem", d.to_string()}});
  app_log.info("runbooks loaded", {{"repository", cfg.runbooks.repository},
                                   {"runbooks", std::to_string(report.runbooks.size())},
                                   {"problems", std::to_string(report.errors.size())}});
  auto resumed = workflows->recover();
  uint64_t resumed_runs = resumed ? *resumed : 0;
  if (!resumed)
    return std::move(resumed.error());
  if (*resumed > 0)
    app_log.info("resuming workflow runs left unfinished", {{"runs", std::to_string(*resumed)}});

  auto* wf = workflows.get();
  dispatchers = std::make_unique<actors::dispatcher_pool>(
    *system, *queue, [wf](std::vector<model::event>& batch) { wf->dispatch(batch); },
    cfg.engine.event_processing.batch_size);
  auto* pool = dispatchers.get();
  ingest = std::make_unique<ingest::ingest_service>(
    *log, *queue, [pool](std::size_t n) { pool->notify(n); }, *clk);

  // Events acknowledged before the last stop but never dispatched go back first, in order.
  auto backlog = log->undispatched();
  if (!backlog)
    return std::move(backlog.error());
  if (!backlog->empty())
    app_log.info("re-queueing events accepted before the last stop",
                 {{"events", std::to_string(backlog->size())}});
  const auto recovered_events = backlog->size();
  for (auto& e : *backlog)
    queue->push_unreserved(std::move(e));
  dispatchers->start(cfg.engine.event_processing.workers);
  ops = std::make_unique<operations>(cfg, *log, *queue, *ingest, *dispatchers, *workflows);
  auth = std::make_unique<http::authenticator>(cfg.auth.tokens);
  http::add_event_routes(routes, *ingest, *log, *clk);
  http::add_workflow_routes(routes, *workflows, *clk);
  http::add_runbook_routes(routes, *workflows);
  http::add_integration_routes(routes, *integrations, *db);
  http::add_admin_routes(routes, *ops, *clk);
  metric_sources sources;
  sources.ingest = &ingest->stats();
  sources.queue = queue.get();
  sources.event_log = &log->stats();
  sources.database = db.get();
  sources.workflow_store = &workflows->store().stats();
  sources.engine = &workflows->context();
  sources.dispatchers = dispatchers.get();
  sources.integrations = integrations.get();
  sources.http = &http_stats;
  sources.reloads_ok = &ops->reloads_ok;
  sources.reloads_rejected = &ops->reloads_rejected;
  sources.recovered_events = recovered_events;
  sources.recovered_runs = resumed_runs;
  sources.last_stop_clean = db->report().clean_shutdown || db->report().created;
  figures = std::make_unique<app::metrics>(sources);
  figures->sample(std::chrono::steady_clock::now());
  add_metrics_routes();
  if (cfg.runbooks.auto_reload)
    watcher = std::make_unique<runbook_watcher>(cfg.runbooks.repository, [this] {
      app_log.info("runbook files changed: reloading");
      std::size_t loaded = 0;
      ops->reload_runbooks(loaded);
    });
  sweeper = std::thread{[this] { run_sweeper(); }};
  return caf::none;
}

void application::impl::add_metrics_routes() {
  routes.add({http::method::get,
              "/metrics",
              [this](http::request&, http::responder reply) {
                http::response r;
                r.content_type = "text/plain; version=0.0.4; charset=utf-8";
                r.body = figures->prometheus_text();
                reply(std::move(r));
              },
              {},
              "read"});
  routes.add({http::method::get,
              "/api/metrics",
              [this](http::request&, http::responder reply) {
                reply(http::json_response(figures->summary_json(std::chrono::steady_clock::now())));
              },
              {},
              "read"});
  routes.add({http::method::get,
              "/api/metrics/history",
              [this](http::request& req, http::responder reply) {
                const auto* name = req.query_param("metric");
                if (name == nullptr || name->empty())
                  return reply(http::error_response(
                    400, "invalid_argument", "metric: required, one of " + metrics::history_names(),
                    {{"metric", "required", -1}}));
                auto body = figures->history_json(*name, std::chrono::steady_clock::now());
                if (!body)
                  return reply(http::error_response(400, "invalid_argument",
                                                    "metric: unknown metric " + *name + " (known: "
                                                      + metrics::history_names() + ")",
                                                    {{"metric", "unknown", -1}}));
                reply(http::json_response(std::move(*body)));
              },
              {},
              "read"});
  routes.add({http::method::get,
              "/api/metrics/runbook-performance",
              [this](http::request&, http::responder reply) {
                reply(http::json_response(figures->runbook_performance_json()));
              },
              {},
              "read"});
}

void application::impl::add_health_routes() {
  routes.add({http::method::get,
              "/api/health",
              [this](http::request&, http::responder reply) {
                model::json_writer w;
                const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::steady_clock::now() - started);
                // A database that refuses writes (disk full) cannot acknowledge events: the
                // node is unavailable until it takes writes again, and says why.
                const auto storage = db->health();
                const bool writable = storage.state == storage::storage_health::condition::ok;
                const bool ok = ready.load() && writable;
                // An enabled, configured integration in trouble degrades the node (it still
                // takes events: 200); `/api/integrations/health` says which and why.
                uint64_t unhealthy = 0;
                uint64_t unknown = 0;
                if (integrations != nullptr)
                  for (const auto& h : integrations->health()) {
                    const auto word = actors::judge(h);
                    unhealthy += word == actors::health_word::unhealthy ? 1 : 0;
                    unknown += word == actors::health_word::unknown ? 1 : 0;
                  }
                w.begin_object()
                  .field("status", !ready.load()   ? "starting"
                                   : !writable     ? "unavailable"
                                   : unhealthy > 0 ? "degraded"
                                                   : "ok")
                  .field("version", vigil_version())
                  .field("uptime_seconds", static_cast<int64_t>(uptime.count()));
                w.key("storage")
                  .begin_object()
                  .field("state", storage::to_string(storage.state))
                  .field("free_bytes", storage.free_bytes);
                if (!writable)
                  w.field("message", storage.message);
                w.end_object();
                w.key("integrations")
                  .begin_object()
                  .field("status", unhealthy > 0 ? "degraded" : "ok")
                  .field("unhealthy", unhealthy)
                  .field("unknown", unknown)
                  .end_object();
                w.end_object();
                reply(http::json_response(std::move(w).str(), ok ? 200 : 503));
              },
              {},
              ""});
  routes.add({http::method::get,
              "/-/healthy",
              [](http::request&, http::responder reply) {
                http::response r;
                r.content_type = "text/plain";
                r.body = "Healthy\n";
                reply(std::move(r));
              },
              {},
              ""});
  routes.add({http::method::get,
              "/-/ready",
              [this](http::request&, http::responder reply) {
                http::response r;
                r.content_type = "text/plain";
                if (ready.load()) {
                  r.body = "Ready\n";
                } else {
                  r.status = 503;
                  r.body = "Not ready\n";
                }
                reply(std::move(r));
              },
              {},
              ""});
}

application::application(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

application::~application() {
  stop();
}

caf::expected<std::unique_ptr<application>> application::start(model::config cfg) {
  return start(std::move(cfg), model::clock::system());
}

caf::expected<std::unique_ptr<application>> application::start(model::config cfg,
                                                               const model::clock& clk) {
  auto p = std::make_unique<impl>();
  p->cfg = std::move(cfg);
  p->clk = &clk;
  auto& c = p->cfg;
  // Without tokens anyone who can reach the port can operate Vigil: loopback only, unless the
  // operator says otherwise on purpose.
  if (c.auth.tokens.empty() && !http::is_loopback(c.server.listen.host) && !c.server.insecure)
    return make_error(
      errc::invalid_argument,
      "refusing to listen on " + c.server.listen.to_string()
        + " without auth.tokens: configure tokens, listen on loopback, or pass --insecure");

  storage::database_options opts;
  opts.path = c.storage.path;
  opts.wal_recovery = c.storage.wal_recovery;
  opts.min_free_bytes = c.storage.min_free_bytes;
  opts.cache_bytes = c.storage.cache_bytes;
  opts.memtable_bytes = c.storage.memtable_bytes;
  auto db = storage::database::open(opts);
  if (!db)
    return std::move(db.error());
  p->db = std::move(*db);
  const auto& rep = p->db->report();
  if (rep.migrated_from > 0)
    app_log.warn("migrated the data directory's format in place",
                 {{"from", std::to_string(rep.migrated_from)},
                  {"to", std::to_string(storage::format_version)},
                  {"path", c.storage.path}});
  if (rep.stale_lock_owner > 0)
    app_log.warn("took over the data directory lock of a process that died",
                 {{"pid", std::to_string(rep.stale_lock_owner)}, {"path", c.storage.path}});
  if (!rep.lock_held_by.empty())
    app_log.warn("waited for the data directory lock: the dead owner's lock was still held",
                 {{"held_by", rep.lock_held_by},
                  {"waited_ms", std::to_string(rep.lock_waited.count())},
                  {"path", c.storage.path}});
  app_log.info(rep.created ? "created a new database"
               : rep.clean_shutdown
                 ? "opened the database; the last stop was clean"
                 : "opened the database; the last stop was NOT clean, recovering",
               {{"path", c.storage.path}});

  if (auto err = p->start_pipeline()) {
    application{std::move(p)}.stop(); // what did start stops in order (threads joined)
    return err;
  }
  p->add_health_routes();
  p->server = std::make_unique<http::server>(c.server, p->routes, p->hooks());
  auto port = p->server->start();
  if (!port) {
    auto err = std::move(port.error());
    application{std::move(p)}.stop();
    return err;
  }
  p->port = *port;
  p->figures->sources().server = &p->server->stats();
  p->ready.store(true);
  app_log.info("serving", {{"listen", c.server.listen.host + ":" + std::to_string(p->port)},
                           {"version", vigil_version()}});
  return std::unique_ptr<application>{new application(std::move(p))};
}

caf::expected<std::size_t> application::drain() {
  return impl_->ops->drain();
}

caf::expected<std::size_t> application::resume_processing() {
  return impl_->ops->resume_processing();
}

bool application::draining() const noexcept {
  return impl_->ops->draining();
}

caf::expected<std::vector<storage::dead_letter>> application::poison_events() const {
  return impl_->log->dead_letters();
}

caf::expected<std::size_t> application::requeue_poison(const std::vector<uint64_t>& seqs) {
  return impl_->ops->requeue_poison(seqs);
}

caf::expected<std::size_t> application::purge_poison(const std::vector<uint64_t>& seqs) {
  return impl_->log->purge_dead_letters(seqs);
}

model::diagnostics application::reload_runbooks() {
  std::size_t loaded = 0;
  return impl_->ops->reload_runbooks(loaded);
}

storage::event_log& application::events() noexcept {
  return *impl_->log;
}

actors::workflow_service& application::workflows() noexcept {
  return *impl_->workflows;
}

uint16_t application::port() const noexcept {
  return impl_->port;
}

const model::config& application::config() const noexcept {
  return impl_->cfg;
}

void application::stop(std::chrono::milliseconds grace) {
  auto& p = *impl_;
  if (p.stopped)
    return;
  p.stopped = true;
  p.ready.store(false);
  app_log.info("stopping");
  p.watcher.reset(); // no reload starts during the stop
  if (p.server)
    p.server->stop(grace); // in-flight requests, including their durable writes, finish
  if (p.figures)
    p.figures->sources().server = nullptr;
  p.server.reset();
  if (p.sweeper.joinable()) {
    {
      std::lock_guard<std::mutex> guard{p.sweep_mtx};
      p.sweeping = false;
    }
    p.sweep_cv.notify_all();
    p.sweeper.join();
  }
  if (p.dispatchers)
    p.dispatchers->stop(); // what they have not taken stays `accepted` and is re-queued next start
  if (p.workflows)
    p.workflows->stop(); // runs are checkpointed; they resume at the next start
  if (p.integrations)
    p.integrations->stop(); // calls still waiting fail; their runs retry after the restart
  if (p.log)
    p.log->close();
  p.dispatchers.reset();
  p.system.reset(); // waits for all actors to finish
  p.ops.reset();
  p.ingest.reset();
  p.workflows.reset();
  p.integrations.reset();
  p.log.reset();
  if (p.db) {
    if (auto err = p.db->mark_clean_shutdown())
      app_log.error("could not record the clean shutdown", {{"error", describe(err)}});
    p.db.reset();
  }
  app_log.info("stopped");
}

} // namespace vigil::app
