#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/event_source.hpp"

namespace vigil::actors {

/// Handles one batch of events taken from the source: matching and starting workflows, and
/// recording that each event was dispatched. Runs inside a dispatcher actor; may be called
/// by several dispatchers at once.
using dispatch_fn = std::function<void(std::vector<model::event>& batch)>;

/// Counters of the pool; read from any thread.
struct dispatcher_stats {
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> events{0};
  std::atomic<uint64_t> wakeups{0};
};

/// What one dispatcher is doing, for `GET /api/admin/workers`.
struct worker_info {
  uint32_t id = 0;
  bool busy = false;
  uint64_t current_seq = 0; ///< first event of the batch in hand (0: none)
  uint64_t batches = 0;
  uint64_t events = 0;
  double utilization = 0;  ///< share of its life spent dispatching
  double busy_seconds = 0; ///< current batch so far (a large value: stuck)
};

/// A pool of dispatcher actors draining an `event_source` in bulk (`batch_size` at a time).
/// Producers call `notify` after adding events; an idle dispatcher is woken, a busy one keeps
/// pulling until the source is empty, so a burst wakes each dispatcher at most once.
/// Thread-safety: `notify` and the accessors are thread-safe; `start`, `resize` and `stop` are
/// called from one controlling thread.
class dispatcher_pool {
public:
  dispatcher_pool(caf::actor_system& sys, event_source& source, dispatch_fn fn,
                  std::size_t batch_size);
  ~dispatcher_pool();
  dispatcher_pool(const dispatcher_pool&) = delete;
  dispatcher_pool& operator=(const dispatcher_pool&) = delete;

  /// Spawns `workers` dispatchers and wakes them once (for a backlog present at start).
  void start(std::size_t workers);

  /// Changes the number of dispatchers without losing events.
  void resize(std::size_t workers);

  /// Wakes enough idle dispatchers for `events` new events (one per batch), if any are idle;
  /// cheap when all are busy.
  void notify(std::size_t events = 1);

  /// Stops every dispatcher after its current batch.
  void stop();

  [[nodiscard]] std::size_t size() const noexcept;

  /// Each dispatcher's state.
  [[nodiscard]] std::vector<worker_info> workers() const;
  [[nodiscard]] const dispatcher_stats& stats() const noexcept;

  struct shared;

private:
  caf::actor_system& sys_;
  std::shared_ptr<shared> shared_;
  std::vector<caf::actor> workers_;
};

} // namespace vigil::actors
