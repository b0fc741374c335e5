#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/error.hpp>

#include "actors/process.hpp"
#include "actors/workflow_probe.hpp"
#include "runtime/model/clock.hpp"
#include "runtime/runbook/runbook.hpp"
#include "storage/workflow_store.hpp"

namespace vigil::actors {

/// Tunables of the workflow engine (from `engine.workflow_execution` and defaults).
struct engine_options {
  std::chrono::milliseconds default_exec_timeout{300'000};
  std::chrono::milliseconds kill_grace{5'000};
  std::chrono::milliseconds default_run_timeout{600'000};
  uint32_t max_concurrent = 20;
  /// Seed of the backoff jitter (0: from the run id, which is still different per run).
  uint64_t seed = 0;
  /// A run parked for longer than this (a long wait or backoff, a gate, paused, needs_human)
  /// leaves memory: its actor ends and the manager brings it back from its checkpoint when its
  /// timer is due or someone addresses it. 0 keeps every run in memory.
  std::chrono::milliseconds hibernate_after{10'000};
};

/// Counters of the engine; read from any thread (metrics, status).
struct engine_stats {
  std::atomic<uint64_t> created{0};
  std::atomic<uint64_t> started{0};
  std::atomic<uint64_t> completed{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> cancelled{0};
  std::atomic<uint64_t> needs_human{0};
  std::atomic<uint64_t> step_attempts{0};
  std::atomic<uint64_t> step_retries{0};
  std::atomic<int64_t> active{0};     ///< run actors in memory
  std::atomic<int64_t> hibernated{0}; ///< parked runs out of memory (a gate, a long wait)
  std::atomic<int64_t> pending{0};
  /// Alerts whose run finished within their runbook's `dedup_window` (remembered, then dropped).
  std::atomic<int64_t> recently_finished{0};
  std::atomic<uint64_t> processing_errors{0}; ///< the engine itself failed on an event
  std::atomic<uint64_t> poisoned{0};          ///< events set aside after max_attempts
};

/// Durable write of workflow state: done(error) is called once it is durable. The production
/// engine group-commits through `storage::workflow_store::write` (callback on its writer thread);
/// deterministic tests write synchronously and call back inline.
using persist_fn = std::function<void(storage::workflow_write, std::function<void(caf::error)>)>;

/// The runbook version a run started with, from its record (by digest; parsed from the stored
/// text when the loaded set no longer has it). nullptr when it cannot be had.
using resolve_runbook_fn = std::function<runbook::runbook_ptr(const model::workflow_record&)>;

/// What every workflow actor shares. Outlives the actors (owned by the application).
struct engine {
  persist_fn persist;
  storage::workflow_store* store = nullptr; ///< reads (listing, recovery)
  const model::clock* clock = &model::clock::system();
  caf::actor executor;     ///< runs exec steps
  caf::actor integrations; ///< calls integrations; may be unset
  std::shared_ptr<process_registry> processes = std::make_shared<process_registry>();
  resolve_runbook_fn resolve_runbook;
  /// The engine itself failed on an event (not a remediation failure): count it, requeue it
  /// or set it aside as poison. Called from the manager's thread.
  std::function<void(const model::event&, const std::string& reason)> dispatch_failed;
  engine_options options;
  engine_stats stats;
  workflow_probe probe;
  /// Set at shutdown: runs then take no more results or timers, so that what the shutdown
  /// interrupts (a killed command) is not recorded as the step's outcome; the step runs again
  /// after the restart.
  std::atomic<bool> stopping{false};
};

} // namespace vigil::actors
