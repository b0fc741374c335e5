#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/loadtest/histogram.hpp"

namespace vigil::loadtest {

/// What happened to the requests scheduled within one window of time (one second by default).
struct window_stats {
  log_linear_histogram accept;     ///< accept latency, ns, of the window's successful requests
  log_linear_histogram end_to_end; ///< end-to-end latency, ns, of the window's sampled events
  uint64_t requests = 0;           ///< answered or failed
  uint64_t failed = 0;

  /// Adds `other`'s figures.
  void merge(const window_stats& other);
};

/// Everything measured in one phase (a constant rate for a while), by one thread or merged.
/// Counts cover the measured part only, never the warmup.
struct phase_stats {
  log_linear_histogram accept;       ///< scheduled send → response received, 2xx only, ns
  log_linear_histogram end_to_end;   ///< scheduled send → the sink saw the event's id, ns
  log_linear_histogram dispatch_lag; ///< scheduled send → the generator picked it up, ns
  std::vector<window_stats> windows; ///< by scheduled time since the measured part began
  std::chrono::nanoseconds window{std::chrono::seconds{1}};

  uint64_t requests = 0;                  ///< scheduled and finished one way or another
  uint64_t ok = 0;                        ///< answered 2xx
  uint64_t failed = 0;                    ///< non-2xx, transport errors, timeouts, never sent
  uint64_t events = 0;                    ///< events in the scheduled requests
  uint64_t ok_events = 0;                 ///< events in 2xx requests
  uint64_t server_duplicates = 0;         ///< `duplicates` summed over the 2xx answers
  uint64_t waited_for_connection = 0;     ///< found every connection busy when due
  std::map<std::string, uint64_t> errors; ///< by HTTP status or `timeout`, `connect`, ...

  uint64_t e2e_expected = 0; ///< sampled events accepted by the server
  uint64_t e2e_seen = 0;     ///< ... whose id reached the sink
  uint64_t e2e_missing = 0;  ///< ... whose id never came (counted at their lower bound)

  /// The window for scheduled offset `since_start` (grown as needed).
  window_stats& window_at(std::chrono::nanoseconds since_start);

  /// Adds `other`'s figures (same window size).
  void merge(const phase_stats& other);
};

} // namespace vigil::loadtest
