#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

#include "actors/event_source.hpp"
#include "runtime/model/event.hpp"

namespace vigil::ingest {

/// The bounded in-memory queues between the event log and the dispatchers: one lock-free
/// `moodycamel::ConcurrentQueue` per priority class, critical first. Capacity is reserved
/// *before* the durable write (`try_reserve`), so that a full queue refuses a request (429)
/// before anything of it is stored; a reservation is then either filled by `push` or returned
/// by `release`. Thread-safe throughout.
class event_queue final : public actors::event_source {
public:
  explicit event_queue(std::size_t capacity);
  ~event_queue() override;

  /// Reserves room for `n` events; false (and nothing reserved) when they do not fit.
  [[nodiscard]] bool try_reserve(std::size_t n) noexcept;

  /// Returns `n` reserved slots that will not be pushed (duplicates, failed writes).
  void release(std::size_t n) noexcept;

  /// Queues an event into a reserved slot.
  void push(model::event&& e);

  /// Queues an event without a reservation (the restart backlog); may exceed the capacity,
  /// in which case new requests get 429 until it drains.
  void push_unreserved(model::event&& e);

  /// Takes up to `max` events, most urgent class first.
  std::size_t pull(std::vector<model::event>& out, std::size_t max) override;

  /// Events queued (not counting reservations in flight).
  [[nodiscard]] std::size_t depth() const noexcept override;

  /// Events queued in one priority class.
  [[nodiscard]] std::size_t depth(model::priority p) const noexcept;

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

private:
  struct queues;

  std::size_t capacity_;
  std::unique_ptr<queues> queues_;
  std::atomic<int64_t> used_{0}; ///< reserved + queued
  std::array<std::atomic<int64_t>, model::priority_count> depth_{};
};

} // namespace vigil::ingest
