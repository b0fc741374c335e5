#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include "runtime/http/admin_routes.hpp"
#include "runtime/model/config.hpp"

namespace vigil::actors {
class dispatcher_pool;
class workflow_service;
} // namespace vigil::actors
namespace vigil::ingest {
class event_queue;
class ingest_service;
} // namespace vigil::ingest
namespace vigil::storage {
class event_log;
} // namespace vigil::storage

namespace vigil::app {

/// The admin operations of a running engine (drain, workers, poison, backup, ...), over the
/// application's parts. Thread-safe: called from io threads; the parts are.
class operations final : public http::admin_operations {
public:
  operations(const model::config& cfg, storage::event_log& log, ingest::event_queue& queue,
             ingest::ingest_service& ingest, actors::dispatcher_pool& dispatchers,
             actors::workflow_service& workflows);

  caf::expected<std::size_t> drain() override;
  caf::expected<std::size_t> resume_processing() override;
  model::diagnostics reload_runbooks(std::size_t& loaded) override;
  std::size_t restart_workers() override;
  caf::error scale_workers(std::size_t n) override;
  caf::error set_event_priority(const std::string& type, const std::string& severity,
                                model::priority p) override;
  std::string workers_json() override;
  std::string poison_json() override;
  caf::expected<std::size_t> clear_poison() override;
  std::string queue_analysis_json() override;
  caf::expected<std::string> backup(const std::string& target) override;
  caf::expected<std::pair<std::string, std::size_t>>
  archive_workflows(model::timestamp before) override;

  /// Puts poison events back into the queue (all when `seqs` is empty); how many.
  caf::expected<std::size_t> requeue_poison(const std::vector<uint64_t>& seqs);

  [[nodiscard]] bool draining() const noexcept { return draining_.load(); }
  [[nodiscard]] std::size_t workers() const noexcept { return workers_.load(); }

private:
  const model::config& cfg_;
  storage::event_log& log_;
  ingest::event_queue& queue_;
  ingest::ingest_service& ingest_;
  actors::dispatcher_pool& dispatchers_;
  actors::workflow_service& workflows_;
  std::mutex control_mtx_; ///< one drain / resume / restart / scale at a time
  std::mutex reload_mtx_;  ///< one reload at a time (API, SIGHUP, file watcher)
public:
  /// Runbook reloads so far that went through / were rejected (the old set stayed).
  std::atomic<uint64_t> reloads_ok{0};
  std::atomic<uint64_t> reloads_rejected{0};

private:
  std::mutex backup_mtx_; ///< one backup at a time
  std::atomic<bool> draining_{false};
  std::atomic<std::size_t> workers_;
};

} // namespace vigil::app
