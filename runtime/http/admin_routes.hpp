#pragma once

#include <cstddef>
#include <string>

#include <caf/expected.hpp>

#include "runtime/http/router.hpp"
#include "runtime/model/clock.hpp"
#include "runtime/model/diagnostic.hpp"
#include "runtime/model/event.hpp"

namespace vigil::http {

/// The operations behind the admin endpoints; the application implements them. Every member
/// may be called from an io thread and must not block for long.
class admin_operations {
public:
  virtual ~admin_operations() = default;

  /// Emergency drain (queued and arriving events set aside as drained); how many.
  virtual caf::expected<std::size_t> drain() = 0;
  /// Ends a drain; how many events went back to the queue.
  virtual caf::expected<std::size_t> resume_processing() = 0;
  /// Reloads the runbooks; on any error the previous set stays and the errors are returned.
  virtual model::diagnostics reload_runbooks(std::size_t& loaded) = 0;
  /// Replaces every dispatcher (a stuck one too); how many run now.
  virtual std::size_t restart_workers() = 0;
  /// Sets the number of dispatchers (1..256) without a restart.
  virtual caf::error scale_workers(std::size_t n) = 0;
  /// Events of `type` (and `severity`, when not empty) get priority `p` from now on.
  virtual caf::error set_event_priority(const std::string& type, const std::string& severity,
                                        model::priority p) = 0;
  /// `{"workers": [{id, status, current_task, utilization, batches, events}]}`.
  virtual std::string workers_json() = 0;
  /// `{"poison_messages": [...], "count": n}`.
  virtual std::string poison_json() = 0;
  /// Purges the poison messages (the explicit operator action); how many.
  virtual caf::expected<std::size_t> clear_poison() = 0;
  /// `{"queued": n, "event_type_distribution": {...}, "severity_distribution": {...},
  /// "source_distribution": {...}}`.
  virtual std::string queue_analysis_json() = 0;
  /// Backs the data directory up (into `target`, or a new folder under `<data>/backups`).
  /// `invalid_argument` when `target` cannot hold a backup (relative, no parent folder, not
  /// empty, inside the live database).
  virtual caf::expected<std::string> backup(const std::string& target) = 0;
  /// Archives finished runs created before `before` to NDJSON and removes them; (file, count).
  virtual caf::expected<std::pair<std::string, std::size_t>>
  archive_workflows(model::timestamp before) = 0;
};

/// Adds `/api/admin/...` (scope admin). `ops` must outlive the router.
void add_admin_routes(router& r, admin_operations& ops, const model::clock& clk);

} // namespace vigil::http
