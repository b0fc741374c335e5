#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/model/histogram.hpp"
#include "runtime/model/time.hpp"

namespace vigil::ingest {
struct ingest_stats;
class event_queue;
} // namespace vigil::ingest
namespace vigil::storage {
class database;
struct event_log_stats;
struct workflow_store_stats;
} // namespace vigil::storage
namespace vigil::actors {
struct engine;
struct dispatcher_stats;
class dispatcher_pool;
class integration_service;
} // namespace vigil::actors
namespace vigil::http {
struct server_stats;
}

namespace vigil::app {

/// HTTP answers as the server completed them (the application's `observe` hook feeds it).
struct http_figures {
  std::array<std::atomic<uint64_t>, 6> by_class{}; ///< 1xx..5xx at [1..5], other at [0]
  model::atomic_histogram seconds{model::latency_buckets()};

  void on_response(unsigned status, std::chrono::nanoseconds took) noexcept;
};

/// Where the metrics come from: every subsystem's own counters (its probe), read at scrape
/// time. Pointers not set are left out. The pointees outlive the `metrics` that reads them.
struct metric_sources {
  const ingest::ingest_stats* ingest = nullptr;
  const ingest::event_queue* queue = nullptr;
  const storage::event_log_stats* event_log = nullptr;
  const storage::workflow_store_stats* workflow_store = nullptr;
  /// The database, for whether it takes writes (disk full) and its free space.
  const storage::database* database = nullptr;
  const actors::engine* engine = nullptr;
  const actors::dispatcher_pool* dispatchers = nullptr;
  const actors::integration_service* integrations = nullptr;
  const http::server_stats* server = nullptr;
  const http_figures* http = nullptr;
  /// Runbook reloads that went through and that were rejected.
  const std::atomic<uint64_t>* reloads_ok = nullptr;
  const std::atomic<uint64_t>* reloads_rejected = nullptr;
  /// Recovery at start: events re-queued and runs resumed, and whether the last stop was clean.
  uint64_t recovered_events = 0;
  uint64_t recovered_runs = 0;
  bool last_stop_clean = true;
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
};

/// The metrics of one process: the Prometheus exposition (`GET /metrics`), the JSON summary of
/// the operations runbook (`GET /api/metrics`), per-minute history for the last 24 hours
/// (`/api/metrics/history`) and per-runbook performance. Windowed figures ("last hour") come
/// from samples of the cumulative counters that `sample` takes (every 10 s from the
/// application's housekeeping thread); between samples they are as of the last one plus the
/// live counters. Thread-safe.
class metrics {
public:
  explicit metrics(metric_sources sources);

  /// Takes a sample of the counters at `now`; keeps 24 hours of them.
  void sample(std::chrono::steady_clock::time_point now);

  /// Prometheus text format 0.0.4.
  [[nodiscard]] std::string prometheus_text() const;

  /// `GET /api/metrics`.
  [[nodiscard]] std::string summary_json(std::chrono::steady_clock::time_point now) const;

  /// `GET /api/metrics/history?metric=NAME`: per-minute points, oldest first, the last one the
  /// minute under way (`"partial": true`); nullopt for an unknown name.
  [[nodiscard]] std::optional<std::string>
  history_json(std::string_view metric, std::chrono::steady_clock::time_point now) const;

  /// Names `history_json` knows.
  [[nodiscard]] static std::string history_names();

  /// `GET /api/metrics/runbook-performance`.
  [[nodiscard]] std::string runbook_performance_json() const;

  /// The sources (for the recovery figures set after start).
  [[nodiscard]] metric_sources& sources() noexcept { return src_; }

  /// Cumulative counters at one moment.
  struct counters {
    std::chrono::steady_clock::time_point at;
    model::timestamp wall;
    uint64_t accepted = 0;
    uint64_t dispatched = 0;
    std::array<uint64_t, 3> by_type{};
    uint64_t processing_errors = 0;
    uint64_t started = 0;
    uint64_t completed = 0;
    uint64_t failed = 0;
    uint64_t cancelled = 0;
    uint64_t queue_depth = 0;
    int64_t active = 0;
    double duration_sum = 0;
    uint64_t duration_count = 0;
    model::histogram_snapshot trigger;
  };

private:
  [[nodiscard]] counters read(std::chrono::steady_clock::time_point now) const;
  /// What happened between `a` and `c` (gauges: as at `c`).
  [[nodiscard]] static counters delta(const counters& c, const counters& a);
  /// The newest sample at least `back` before `now` (the oldest when none is that old).
  [[nodiscard]] counters before(std::chrono::steady_clock::time_point now,
                                std::chrono::seconds back) const;

  metric_sources src_;
  mutable std::mutex mtx_;
  std::deque<counters> samples_; ///< every 10 s, 24 h; guarded by mtx_
  struct minute_point {
    model::timestamp at;
    counters delta; ///< what happened during the minute (gauges: as at its end)
  };
  std::deque<minute_point> minutes_; ///< guarded by mtx_
  std::optional<counters> minute_start_;
};

} // namespace vigil::app
