#include "runtime/app/application.hpp"

#include <limits>

#include <caf/actor_system.hpp>

#include "actors/dispatcher.hpp"
#include "actors/system_config.hpp"
#include "actors/workflow_service.hpp"
#include "runtime/app/logger.hpp"
#include "runtime/app/version.hpp"
#include "runtime/http/event_routes.hpp"
#include "runtime/http/router.hpp"
#include "runtime/http/server.hpp"
#include "runtime/http/workflow_routes.hpp"
#include "runtime/ingest/event_queue.hpp"
#include "runtime/ingest/ingest_service.hpp"
#include "runtime/model/clock.hpp"
#include "runtime/model/errc.hpp"
#include "runtime/model/json_writer.hpp"
#include "storage/database.hpp"
#include "storage/event_log.hpp"

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
  std::unique_ptr<actors::workflow_service> workflows;
  std::unique_ptr<actors::dispatcher_pool> dispatchers;
  std::unique_ptr<ingest::ingest_service> ingest;
  http::router routes;
  std::unique_ptr<http::server> server;
  uint16_t port = 0;
  std::atomic<bool> ready{false};
  std::atomic<bool> draining{false};
  bool stopped = false;

  void add_health_routes();
  [[nodiscard]] caf::error start_pipeline();
};

caf::error application::impl::start_pipeline() {
  auto opened = storage::event_log::open(*db, *clk, cfg.storage.sync, cfg.storage.dedup_window);
  if (!opened)
    return std::move(opened.error());
  log = std::move(*opened);
  queue = std::make_unique<ingest::event_queue>(cfg.engine.event_processing.queue_size);

  actor_cfg = std::make_unique<actors::system_config>();
  system = std::make_unique<caf::actor_system>(*actor_cfg);

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
  auto report = workflows->reload();
  for (const auto& d : report.errors)
    app_log.error("runbook not loaded", {{"problem", d.to_string()}});
  app_log.info("runbooks loaded", {{"repository", cfg.runbooks.repository},
                                   {"runbooks", std::to_string(report.runbooks.size())},
                                   {"problems", std::to_string(report.errors.size())}});
  auto resumed = workflows->recover();
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
  for (auto& e : *backlog)
    queue->push_unreserved(std::move(e));
  dispatchers->start(cfg.engine.event_processing.workers);
  http::add_event_routes(routes, *ingest, *log, *clk);
  http::add_workflow_routes(routes, *workflows, *clk);
  return caf::none;
}

void application::impl::add_health_routes() {
  routes.add({http::method::get,
              "/api/health",
              [this](http::request&, http::responder reply) {
                model::json_writer w;
                const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::steady_clock::now() - started);
                w.begin_object()
                  .field("status", ready.load() ? "ok" : "starting")
                  .field("version", vigil_version())
                  .field("uptime_seconds", static_cast<int64_t>(uptime.count()))
                  .end_object();
                reply(http::json_response(std::move(w).str(), ready.load() ? 200 : 503));
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
  auto p = std::make_unique<impl>();
  p->cfg = std::move(cfg);
  auto& c = p->cfg;

  auto db = storage::database::open({c.storage.path, c.storage.wal_recovery, true});
  if (!db)
    return std::move(db.error());
  p->db = std::move(*db);
  const auto& rep = p->db->report();
  if (rep.stale_lock_owner > 0)
    app_log.warn("took over the data directory lock of a process that died",
                 {{"pid", std::to_string(rep.stale_lock_owner)}, {"path", c.storage.path}});
  app_log.info(rep.created ? "created a new database"
               : rep.clean_shutdown
                 ? "opened the database; the last stop was clean"
                 : "opened the database; the last stop was NOT clean, recovering",
               {{"path", c.storage.path}});

  if (auto err = p->start_pipeline())
    return err;
  p->add_health_routes();
  p->server = std::make_unique<http::server>(c.server, p->routes);
  auto port = p->server->start();
  if (!port)
    return std::move(port.error());
  p->port = *port;
  p->ready.store(true);
  app_log.info("serving", {{"listen", c.server.listen.host + ":" + std::to_string(p->port)},
                           {"version", vigil_version()}});
  return std::unique_ptr<application>{new application(std::move(p))};
}

caf::expected<std::size_t> application::drain() {
  auto& p = *impl_;
  p.draining.store(true);
  p.ingest->set_holding(true);
  p.dispatchers->resize(0); // a batch being dispatched finishes; nothing more is taken
  std::vector<model::event> queued;
  while (p.queue->pull(queued, 10'000) > 0) {
  }
  std::vector<uint64_t> seqs;
  seqs.reserve(queued.size());
  for (const auto& e : queued)
    seqs.push_back(e.seq);
  if (auto err = p.log->set_state(seqs, storage::event_state::drained))
    return err;
  app_log.warn("processing drained", {{"events", std::to_string(seqs.size())}});
  return seqs.size();
}

caf::expected<std::size_t> application::resume_processing() {
  auto& p = *impl_;
  storage::event_query q;
  q.state = storage::event_state::drained;
  q.limit = std::numeric_limits<std::size_t>::max();
  q.scan_limit = std::numeric_limits<std::size_t>::max();
  auto drained = p.log->query(q);
  if (!drained)
    return std::move(drained.error());
  std::vector<uint64_t> seqs;
  seqs.reserve(drained->size());
  for (const auto& se : *drained)
    seqs.push_back(se.event.seq);
  if (auto err = p.log->set_state(seqs, storage::event_state::accepted))
    return err;
  p.ingest->set_holding(false);
  // The query lists newest first: queue them oldest first.
  for (auto it = drained->rbegin(); it != drained->rend(); ++it)
    p.queue->push_unreserved(std::move(it->event));
  p.draining.store(false);
  p.dispatchers->resize(p.cfg.engine.event_processing.workers);
  app_log.info("processing resumed", {{"events", std::to_string(seqs.size())}});
  return seqs.size();
}

bool application::draining() const noexcept {
  return impl_->draining.load();
}

caf::expected<std::vector<storage::dead_letter>> application::poison_events() const {
  return impl_->log->dead_letters();
}

caf::expected<std::size_t> application::requeue_poison(const std::vector<uint64_t>& seqs) {
  auto& p = *impl_;
  auto events = p.log->requeue_dead_letters(seqs);
  if (!events)
    return std::move(events.error());
  for (auto& e : *events)
    p.queue->push_unreserved(std::move(e));
  p.dispatchers->notify(events->size());
  return events->size();
}

caf::expected<std::size_t> application::purge_poison(const std::vector<uint64_t>& seqs) {
  return impl_->log->purge_dead_letters(seqs);
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
  if (p.server)
    p.server->stop(grace); // in-flight requests, including their durable writes, finish
  p.server.reset();
  if (p.dispatchers)
    p.dispatchers->stop(); // what they have not taken stays `accepted` and is re-queued next start
  if (p.workflows)
    p.workflows->stop(); // runs are checkpointed; they resume at the next start
  if (p.log)
    p.log->close();
  p.dispatchers.reset();
  p.system.reset(); // waits for all actors to finish
  p.ingest.reset();
  p.workflows.reset();
  p.log.reset();
  if (p.db) {
    if (auto err = p.db->mark_clean_shutdown())
      app_log.error("could not record the clean shutdown", {{"error", describe(err)}});
    p.db.reset();
  }
  app_log.info("stopped");
}

} // namespace vigil::app
