#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/model/histogram.hpp"

namespace vigil::actors {

/// One runbook's figures.
struct runbook_figures {
  std::string runbook;
  uint64_t started = 0;
  std::map<std::string, uint64_t> finished;     ///< by terminal status (completed, failed, ...)
  std::map<std::string, uint64_t> step_retries; ///< by step name
  model::histogram_snapshot duration;           ///< of finished runs, seconds
};

/// How often a runbook's `on_failure` strategy ran, and where it led.
struct recovery_figure {
  std::string strategy; ///< fail | retry | rollback | skip | manual | escalate
  std::string outcome;  ///< failed | needs_human | rolling_back | skipped | escalated
  uint64_t count = 0;
};

/// The workflow engine's metrics beyond its plain counters (`engine_stats`): per runbook, per
/// recovery strategy, and the ingest-to-trigger and duration histograms. The `on_...` methods
/// are called by the run actors (a short lock per call; at most a few per run); the readers by
/// metrics scrapes. Thread-safe.
class workflow_probe {
public:
  workflow_probe();

  /// A run began its first step, `since_ingest` after its trigger event was received (negative
  /// for a run started by hand: not observed).
  void on_started(const std::string& runbook, std::chrono::nanoseconds since_ingest);
  /// A run reached the terminal `status` after `duration`.
  void on_finished(const std::string& runbook, std::string_view status,
                   std::chrono::nanoseconds duration);
  void on_retry(const std::string& runbook, const std::string& step);
  void on_recovery(std::string_view strategy, std::string_view outcome);

  [[nodiscard]] std::vector<runbook_figures> runbooks() const;
  [[nodiscard]] std::vector<recovery_figure> recoveries() const;
  /// From the trigger event's receipt to its run's start, seconds.
  [[nodiscard]] model::histogram_snapshot ingest_to_trigger() const;
  /// Durations of every finished run, seconds.
  [[nodiscard]] model::histogram_snapshot durations() const;

private:
  struct per_runbook {
    uint64_t started = 0;
    std::map<std::string, uint64_t> finished;
    std::map<std::string, uint64_t> step_retries;
    std::unique_ptr<model::atomic_histogram> duration;
  };

  per_runbook& entry(const std::string& runbook); ///< with mtx_ held

  mutable std::mutex mtx_;
  std::map<std::string, per_runbook> by_runbook_;                      ///< guarded by mtx_
  std::map<std::pair<std::string, std::string>, uint64_t> recoveries_; ///< guarded by mtx_
  model::atomic_histogram trigger_;
  model::atomic_histogram duration_;
};

} // namespace vigil::actors
