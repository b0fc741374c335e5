#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/loadtest/options.hpp"
#include "bench/loadtest/server_probe.hpp"
#include "bench/loadtest/slo.hpp"
#include "bench/loadtest/stats.hpp"

namespace vigil::loadtest {

/// One constant-rate phase: the whole run, or one step of `--max-rate`.
struct step_result {
  double target_rate = 0; ///< events per second
  double measured_s = 0;  ///< seconds of schedule measured
  double offset_s = 0;    ///< start of its measured part, from the first step's
  phase_stats stats;
  std::vector<slo_verdict> verdicts;
  bool met = false;

  /// Events per second answered 2xx.
  [[nodiscard]] double accepted_rate() const noexcept {
    return measured_s > 0 ? static_cast<double>(stats.ok_events) / measured_s : 0;
  }
  /// Events per second scheduled (and so sent, unless the generator fell behind).
  [[nodiscard]] double sent_rate() const noexcept {
    return measured_s > 0 ? static_cast<double>(stats.events) / measured_s : 0;
  }
};

/// Everything a run found, for the summary, the report and the charts.
struct run_result {
  const loadtest_settings* settings = nullptr;
  std::string started_at; ///< RFC 3339, UTC
  std::vector<step_result> steps;
  std::size_t chosen = 0; ///< the step summarised: the only one, or the highest that held
  std::optional<double> highest_rate_held; ///< --max-rate only
  bool e2e_measured = false;               ///< some hit reached the sink
  bool e2e_enabled = false;                ///< the sink was serving
  uint16_t sink_port = 0;
  uint64_t ignored_hits = 0;
  server_snapshot before;
  server_snapshot after;
  std::optional<server_latency> server_ingest_to_trigger;
  std::vector<std::string> notes; ///< warnings for the reader (generator lag, busy connections)

  [[nodiscard]] const step_result& main_step() const { return steps.at(chosen); }
  /// Exit code: 0 when the SLOs held (with --max-rate: when some step held), 1 otherwise.
  [[nodiscard]] int exit_code() const;
};

/// The JSON report (`report.json`).
[[nodiscard]] std::string report_json(const run_result& r);

/// The one-screen summary printed at the end.
[[nodiscard]] std::string summary_text(const run_result& r);

/// Latency percentiles over time (p50, p90, p99, max per window, both latencies) as SVG.
[[nodiscard]] std::string latency_svg(const run_result& r);

/// The latency distribution (share of samples per log-spaced bin, both latencies) as SVG.
[[nodiscard]] std::string histogram_svg(const run_result& r);

} // namespace vigil::loadtest
