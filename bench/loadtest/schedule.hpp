#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

namespace vigil::loadtest {

/// Nanoseconds on the steady clock: every time in the generator is one of these.
[[nodiscard]] inline int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

/// One phase of an open-loop schedule: request `first + k` is due at `start_ns + k * interval`,
/// whatever happened to the requests before it. The first `warmup` requests are not measured.
struct phase_plan {
  unsigned number = 0;     ///< 0, 1, ... (max-rate steps)
  double event_rate = 0;   ///< events per second
  double request_rate = 0; ///< requests per second (event_rate / batch)
  int64_t start_ns = 0;    ///< due time of the first request
  uint64_t first = 0;      ///< global index of the first request
  uint64_t count = 0;      ///< requests in the phase, warmup included
  uint64_t warmup = 0;     ///< leading requests not measured
  std::chrono::nanoseconds window{std::chrono::seconds{1}}; ///< width of a time window

  /// When request `index` (global) is due.
  [[nodiscard]] int64_t due_ns(uint64_t index) const noexcept {
    return start_ns + static_cast<int64_t>(static_cast<double>(index - first) * 1e9 / request_rate);
  }
  /// When measurement begins (the first measured request's due time).
  [[nodiscard]] int64_t measure_start_ns() const noexcept { return due_ns(first + warmup); }
  /// True when `index` belongs to this phase.
  [[nodiscard]] bool contains(uint64_t index) const noexcept {
    return index >= first && index < first + count;
  }
  /// True when `index` is measured (past the warmup).
  [[nodiscard]] bool measured(uint64_t index) const noexcept {
    return index >= first + warmup && index < first + count;
  }
};

/// Every phase so far, so that the sink can tell when an event id it sees was due.
/// Thread-safe: phases are added by the controlling thread and looked up by the sink.
class schedule_book {
public:
  /// Adds a phase (indices must follow the previous phase's).
  void add(const phase_plan& p) {
    std::lock_guard<std::mutex> guard{mutex_};
    phases_.push_back(p);
  }

  /// The phase holding global request `index`.
  [[nodiscard]] std::optional<phase_plan> find(uint64_t index) const {
    std::lock_guard<std::mutex> guard{mutex_};
    for (auto it = phases_.rbegin(); it != phases_.rend(); ++it)
      if (it->contains(index))
        return *it;
    return std::nullopt;
  }

private:
  mutable std::mutex mutex_;
  std::vector<phase_plan> phases_;
};

} // namespace vigil::loadtest
