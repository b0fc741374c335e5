#include "runtime/ingest/event_queue.hpp"

#include <iterator>

#include <concurrentqueue/concurrentqueue.h>

namespace vigil::ingest {

struct event_queue::queues {
  std::array<moodycamel::ConcurrentQueue<model::event>, model::priority_count> by_priority;
};

event_queue::event_queue(std::size_t capacity)
  : capacity_(capacity), queues_(std::make_unique<queues>()) {
  for (auto& d : depth_)
    d.store(0);
}

event_queue::~event_queue() = default;

bool event_queue::try_reserve(std::size_t n) noexcept {
  const auto want = static_cast<int64_t>(n);
  auto used = used_.load(std::memory_order_relaxed);
  do {
    if (used + want > static_cast<int64_t>(capacity_))
      return false;
  } while (!used_.compare_exchange_weak(used, used + want, std::memory_order_acq_rel));
  return true;
}

void event_queue::release(std::size_t n) noexcept {
  used_.fetch_sub(static_cast<int64_t>(n), std::memory_order_acq_rel);
}

void event_queue::push(model::event&& e) {
  const auto p = static_cast<std::size_t>(e.priority);
  // seq_cst pairs with the dispatcher's idle flag: a dispatcher going idle either sees this
  // depth or the producer sees it idle and wakes it (no lost wake-up).
  depth_[p].fetch_add(1, std::memory_order_seq_cst);
  queues_->by_priority[p].enqueue(std::move(e));
}

void event_queue::push_unreserved(model::event&& e) {
  used_.fetch_add(1, std::memory_order_acq_rel);
  push(std::move(e));
}

std::size_t event_queue::pull(std::vector<model::event>& out, std::size_t max) {
  std::size_t taken = 0;
  for (std::size_t p = 0; p < model::priority_count && taken < max; ++p) {
    if (depth_[p].load(std::memory_order_relaxed) <= 0)
      continue;
    const auto n = queues_->by_priority[p].try_dequeue_bulk(std::back_inserter(out), max - taken);
    if (n > 0) {
      depth_[p].fetch_sub(static_cast<int64_t>(n), std::memory_order_relaxed);
      taken += n;
    }
  }
  if (taken > 0)
    used_.fetch_sub(static_cast<int64_t>(taken), std::memory_order_acq_rel);
  return taken;
}

std::size_t event_queue::depth() const noexcept {
  int64_t total = 0;
  for (const auto& d : depth_)
    total += d.load(std::memory_order_relaxed);
  return total > 0 ? static_cast<std::size_t>(total) : 0;
}

std::size_t event_queue::depth(model::priority p) const noexcept {
  const auto d = depth_[static_cast<std::size_t>(p)].load(std::memory_order_relaxed);
  return d > 0 ? static_cast<std::size_t>(d) : 0;
}

} // namespace vigil::ingest
