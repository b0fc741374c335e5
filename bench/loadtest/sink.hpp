#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "bench/loadtest/histogram.hpp"
#include "bench/loadtest/mini_server.hpp"
#include "bench/loadtest/payload.hpp"
#include "bench/loadtest/schedule.hpp"
#include "bench/loadtest/stats.hpp"

namespace vigil::loadtest {

/// How the end-to-end runbook calls the sink.
enum class runbook_action : uint8_t {
  exec, ///< an `exec` step running curl (works with any Vigil that runs commands)
  http, ///< an `http` step through a `loadtest_sink` integration (cheaper per event)
};

/// The runbook that tells the sink at `sink_host:sink_port` when a run started for a tagged
/// event; with `http`, a comment says which integration the config needs.
[[nodiscard]] std::string e2e_runbook_yaml(const std::string& sink_host, uint16_t sink_port,
                                           runbook_action action = runbook_action::exec);

/// The end-to-end sink: a small HTTP server (`mini_server`) answering
/// `GET /hit/{event id}?lt={loadtest id}`. Each hit is the moment a run started for a tagged
/// event; its latency counts from the event's request's due time. Hits of other runs, of the
/// warmup and repeats are ignored. Thread-safe.
class e2e_sink {
public:
  explicit e2e_sink(const schedule_book& schedule);
  ~e2e_sink();
  e2e_sink(const e2e_sink&) = delete;
  e2e_sink& operator=(const e2e_sink&) = delete;

  /// Listens on host:port (port 0: any); an error message, empty on success.
  [[nodiscard]] std::string start(const std::string& host, uint16_t port);

  /// The bound port (after `start`).
  [[nodiscard]] uint16_t port() const noexcept { return port_; }

  /// The run's payloads, whose ids the sink decodes; hits before this is called are ignored.
  void use(const payload_factory& payloads);

  /// Stops listening. Idempotent.
  void stop();

  /// Hits counted so far for phase `phase`, and their latencies.
  [[nodiscard]] log_linear_histogram snapshot(unsigned phase) const;

  /// Total hits of this run (any phase), and when the last one came (steady ns, 0: none yet).
  [[nodiscard]] std::pair<uint64_t, int64_t> activity() const;

  /// Folds phase `phase` into `stats`: its latencies and windows, and for every `expected`
  /// tagged event that never came, its lower bound `now_ns - due` (counted as missing).
  void settle(unsigned phase, const std::vector<std::pair<uint64_t, uint32_t>>& expected,
              int64_t now, phase_stats& stats);

  /// Hits that belonged to no measured event of this run (other runs, warmup, repeats).
  [[nodiscard]] uint64_t ignored_hits() const;

private:
  struct phase_data {
    log_linear_histogram latency;
    std::vector<log_linear_histogram> windows;
    std::unordered_set<uint64_t> seen;
  };

  void on_hit(const std::string& id);

  const schedule_book& schedule_;
  const payload_factory* payloads_ = nullptr;
  mutable std::mutex mutex_;
  std::map<unsigned, phase_data> phases_;
  uint64_t hits_ = 0;
  uint64_t ignored_ = 0;
  int64_t last_hit_ = 0;
  std::unique_ptr<mini_server> server_;
  uint16_t port_ = 0;
};

} // namespace vigil::loadtest
