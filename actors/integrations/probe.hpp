#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "actors/integrations/types.hpp"

namespace vigil::actors {

/// Upper bounds (milliseconds) of the call latency histogram's buckets; one more bucket (+Inf)
/// follows the last.
inline constexpr std::array<uint32_t, 12> latency_bounds_ms = {5,   10,   25,   50,   100,   250,
                                                               500, 1000, 2500, 5000, 10000, 30000};

/// Counters of one integration at one moment (what `integration_service::stats` returns and
/// the metrics exporter reads). Counters only grow; `state`, `queued` and `in_flight` are gauges.
struct integration_stats {
  std::string name;
  // -- calls by outcome (every answer a run got) ---
  uint64_t calls_ok = 0;
  uint64_t calls_error = 0;
  uint64_t calls_timeout = 0;
  uint64_t calls_rate_limited = 0;
  uint64_t calls_unavailable = 0; ///< includes the rejections below
  uint64_t rejected_open = 0;     ///< failed at once: `circuit_open`
  uint64_t rejected_disabled = 0; ///< failed at once: `integration_disabled`
  // -- latency of the calls that went out (not rejections) ---
  std::array<uint64_t, latency_bounds_ms.size() + 1>
    latency_buckets{}; ///< per bucket, not cumulative
  uint64_t latency_count = 0;
  uint64_t latency_sum_us = 0;
  // -- breaker ---
  uint64_t opened = 0; ///< transitions into open (first opening and reopenings)
  uint64_t half_opened = 0;
  uint64_t closed = 0;
  breaker_state state = breaker_state::closed;
  // -- pacing ---
  uint64_t retries_hinted = 0;    ///< answers that told the run to wait (`retry_after` > 0)
  uint64_t rate_limit_pauses = 0; ///< 429 answers with Retry-After that paused the integration
  uint64_t throttled = 0;         ///< times the token bucket made calls wait
  uint64_t probes_ok = 0;
  uint64_t probes_failed = 0;
  uint64_t queued = 0;
  uint64_t in_flight = 0;
};

/// The integration subsystem's metrics for one integration: cheap `on_...` methods called by
/// the breaker actor, read from any thread through `snapshot`. Lock-free (relaxed atomics).
class integration_probe {
public:
  /// A call's answer to its run; `latency` counts only when `sent` (it went out).
  void on_call(call_failure f, std::chrono::microseconds latency, bool sent) noexcept;
  /// A call failed at once because the breaker is open.
  void on_rejected_open() noexcept;
  /// A call failed at once because the integration is disabled.
  void on_rejected_disabled() noexcept;
  /// The breaker moved to `to`.
  void on_transition(breaker_state to) noexcept;
  /// An answer carried a `retry_after` hint.
  void on_retry_hinted() noexcept { retries_hinted_.fetch_add(1, std::memory_order_relaxed); }
  /// A 429 with Retry-After paused the integration.
  void on_rate_limit_pause() noexcept {
    rate_limit_pauses_.fetch_add(1, std::memory_order_relaxed);
  }
  /// The token bucket made calls wait.
  void on_throttled() noexcept { throttled_.fetch_add(1, std::memory_order_relaxed); }
  /// A health probe finished.
  void on_probe(bool ok) noexcept;
  /// The queue and in-flight gauges.
  void set_load(uint64_t queued, uint64_t in_flight) noexcept;

  /// The counters now.
  [[nodiscard]] integration_stats snapshot(std::string name) const;

private:
  using counter = std::atomic<uint64_t>;
  counter ok_{0}, error_{0}, timeout_{0}, rate_limited_{0}, unavailable_{0};
  counter rejected_open_{0}, rejected_disabled_{0};
  std::array<counter, latency_bounds_ms.size() + 1> buckets_{};
  counter latency_count_{0}, latency_sum_us_{0};
  counter opened_{0}, half_opened_{0}, closed_{0};
  std::atomic<uint8_t> state_{0};
  counter retries_hinted_{0}, rate_limit_pauses_{0}, throttled_{0};
  counter probes_ok_{0}, probes_failed_{0};
  counter queued_{0}, in_flight_{0};
};

} // namespace vigil::actors
