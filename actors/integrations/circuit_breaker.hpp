#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>

#include "actors/integrations/types.hpp"
#include "runtime/model/config.hpp"
#include "runtime/model/time.hpp"

namespace vigil::actors {

/// The decision logic of one integration's circuit breaker, without actors or timers: every
/// method takes the time it is called at, so tests and benchmarks drive it directly. The breaker
/// actor owns one. Not thread-safe.
///
/// closed → open after `failure_threshold` failures within `window`, or when at least
/// `min_calls` calls within `window` failed at a rate of `failure_rate` or more. Open for the
/// cooldown (`cooldown`, doubled on each reopen up to `max_cooldown`), then half-open: up to
/// `half_open_probes` calls go out; when as many have succeeded it closes, the first failure
/// reopens it. While closed after a failure (and before the first success), no more calls are
/// let out at once than failures it can still absorb without opening, so a dead service gets
/// at most `failure_threshold` calls before the breaker opens, however many callers wait.
class circuit_breaker {
public:
  /// What `acquire` decided.
  enum class verdict : uint8_t {
    allow,  ///< send the call; report its outcome with the ticket
    reject, ///< open: fail the call now, retry after `retry_after`
    wait,   ///< keep it queued: probe slots or the failure budget are taken
  };

  /// Proof of an allowed call; outcomes of calls let out before the last state change do not
  /// move the breaker.
  struct ticket {
    uint64_t epoch = 0;
    bool probe = false;
  };

  /// `acquire`'s answer.
  struct decision {
    verdict what = verdict::allow;
    ticket pass;
    std::chrono::milliseconds retry_after{0}; ///< reject: time until half-open
  };

  explicit circuit_breaker(const model::circuit_breaker_config& cfg = {});

  /// Takes new settings; the state is kept.
  void configure(const model::circuit_breaker_config& cfg);

  /// May a call go out at `now`, with `in_flight` calls of this integration outstanding?
  [[nodiscard]] decision acquire(model::timestamp now, uint64_t in_flight);

  /// The outcome of an allowed call: `failure` is a timeout, connection error, 5xx or 429.
  void record(model::timestamp now, ticket t, bool failure);

  /// An allowed call ended without an outcome (nothing was sent): frees its probe slot.
  void release(ticket t) noexcept;

  /// Moves open → half-open when the cooldown is over; true when it did.
  bool tick(model::timestamp now) noexcept;

  /// Closes and forgets every failure (operator reset, configuration change of a disabled one).
  void reset(model::timestamp now) noexcept;

  // -- properties ----------------------------------------------------------------------------

  [[nodiscard]] breaker_state state() const noexcept { return state_; }
  /// While open: when it half-opens.
  [[nodiscard]] model::timestamp open_until() const noexcept { return open_until_; }
  /// The cooldown of the current (or last) opening.
  [[nodiscard]] std::chrono::milliseconds cooldown() const noexcept { return cooldown_; }
  /// Failures since the last success.
  [[nodiscard]] uint32_t consecutive_failures() const noexcept { return consecutive_; }
  /// Failures within the window that count toward opening.
  [[nodiscard]] uint32_t recent_failures(model::timestamp now) const noexcept;
  [[nodiscard]] const model::circuit_breaker_config& config() const noexcept { return cfg_; }

private:
  /// Calls and failures of one slice (a tenth) of the window, for the failure rate.
  struct slice {
    int64_t index = -1;
    uint32_t calls = 0;
    uint32_t failures = 0;
  };

  void open(model::timestamp now, std::chrono::milliseconds cooldown);
  void close() noexcept;
  void count(model::timestamp now, bool failure) noexcept;
  [[nodiscard]] bool rate_exceeded(model::timestamp now) const noexcept;
  [[nodiscard]] int64_t slice_index(model::timestamp now) const noexcept;

  model::circuit_breaker_config cfg_;
  breaker_state state_ = breaker_state::closed;
  uint64_t epoch_ = 1;
  bool healthy_ = false;                  ///< the last outcome was a success
  std::deque<model::timestamp> failures_; ///< the last `failure_threshold` failures, oldest first
  std::array<slice, 10> slices_{};
  uint32_t consecutive_ = 0;
  uint32_t probes_out_ = 0;
  uint32_t probe_successes_ = 0;
  model::timestamp open_until_;
  std::chrono::milliseconds cooldown_;
};

/// A token bucket: `per_second` tokens a second, at most `burst` saved. One call takes one
/// token. `per_second` 0 means unlimited. Not thread-safe.
class token_bucket {
public:
  /// Takes new settings; starts (or refills) full.
  void configure(const model::rate_limit_config& cfg, model::timestamp now) noexcept;

  /// True when a call may go out now (without taking the token).
  [[nodiscard]] bool ready(model::timestamp now) noexcept;

  /// Takes a token (after `ready`).
  void take() noexcept;

  /// How long until a token is there.
  [[nodiscard]] std::chrono::milliseconds wait_time(model::timestamp now) noexcept;

private:
  void refill(model::timestamp now) noexcept;

  double per_second_ = 0;
  double burst_ = 0;
  double tokens_ = 0;
  model::timestamp last_;
};

} // namespace vigil::actors
