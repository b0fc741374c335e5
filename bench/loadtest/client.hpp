#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/loadtest/payload.hpp"
#include "bench/loadtest/schedule.hpp"
#include "bench/loadtest/stats.hpp"

namespace vigil::loadtest {

/// Where and how the engine sends.
struct engine_settings {
  std::string host;
  std::string port;
  std::string target;        ///< request path
  std::string authorization; ///< full header value, or empty
  unsigned threads = 2;
  unsigned connections = 64;                                  ///< spread over the threads
  std::chrono::nanoseconds timeout{std::chrono::seconds{10}}; ///< per request
  std::chrono::nanoseconds drain{std::chrono::seconds{10}};   ///< after the last due time
};

/// What the controlling thread sees while a phase runs.
struct progress_snapshot {
  uint64_t requests = 0; ///< measured requests finished
  uint64_t failed = 0;
  uint64_t events = 0;
  log_linear_histogram accept;
};

/// The open-loop HTTP client: `threads` threads, each with its own io_context and its share of
/// keep-alive connections. Requests are taken from the schedule when they are due, whether or
/// not earlier ones have been answered; a due request waits for a free connection in a queue,
/// and its latency counts from its due time, so a stalled server shows in the tail (no
/// coordinated omission). Bodies are built before they are due. Methods are called from one
/// controlling thread.
class load_engine {
public:
  load_engine(engine_settings settings, const payload_factory& payloads);
  ~load_engine();
  load_engine(const load_engine&) = delete;
  load_engine& operator=(const load_engine&) = delete;

  /// Resolves the host and opens every connection; an error message when none could open.
  [[nodiscard]] std::string connect();

  /// Runs one phase to its end: every request sent and answered, failed, or given up at the
  /// drain deadline. `on_tick` is called about every `tick` on this thread while it runs.
  [[nodiscard]] phase_stats run_phase(const phase_plan& plan, const std::function<void()>& on_tick,
                                      std::chrono::milliseconds tick);

  /// A snapshot of the running phase (safe to call from `on_tick`).
  [[nodiscard]] progress_snapshot progress();

  /// Tagged events of `phase_number` that were accepted: (global index, slot), for end-to-end
  /// accounting. Call after `run_phase` returned.
  [[nodiscard]] std::vector<std::pair<uint64_t, uint32_t>> accepted_tagged();

  class worker;

private:
  engine_settings settings_;
  const payload_factory& payloads_;
  std::vector<std::unique_ptr<worker>> workers_;
};

} // namespace vigil::loadtest
