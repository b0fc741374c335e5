#pragma once

#include <atomic>
#include <chrono>

#include "runtime/model/time.hpp"

namespace vigil::model {

/// Source of wall-clock time for records (started_at, received_at, expiry).
/// Injected everywhere time is read so that tests control it. Actor timers use
/// CAF's clock, which the CAF test coordinator drives deterministically.
/// Thread-safe: implementations may be read from any thread.
class clock {
public:
  virtual ~clock() = default;

  /// The current wall-clock time.
  [[nodiscard]] virtual timestamp now() const noexcept = 0;

  /// The process-wide system clock.
  [[nodiscard]] static const clock& system() noexcept;
};

/// A clock that moves only when told to; for tests.
class manual_clock final : public clock {
public:
  explicit manual_clock(timestamp start = from_unix_nanos(1'700'000'000'000'000'000)) noexcept
    : now_ns_(to_unix_nanos(start)) {}

  [[nodiscard]] timestamp now() const noexcept override {
    return from_unix_nanos(now_ns_.load(std::memory_order_acquire));
  }

  /// Moves time forward by `d`.
  void advance(std::chrono::nanoseconds d) noexcept {
    now_ns_.fetch_add(d.count(), std::memory_order_acq_rel);
  }

  /// Sets the time.
  void set(timestamp t) noexcept { now_ns_.store(to_unix_nanos(t), std::memory_order_release); }

private:
  std::atomic<int64_t> now_ns_;
};

} // namespace vigil::model
