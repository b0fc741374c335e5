#pragma once

#include <cstddef>
#include <vector>

#include "runtime/model/event.hpp"

namespace vigil::actors {

/// Where dispatchers take accepted events from. The embedded implementation is ingest's
/// priority queues over the RocksDB event log; a clustered one would read JetStream.
/// Thread-safety: `pull` is called concurrently by every dispatcher.
class event_source {
public:
  virtual ~event_source() = default;

  /// Moves up to `max` events into `out` (appending), most urgent first; never blocks.
  /// Returns how many were taken.
  virtual std::size_t pull(std::vector<model::event>& out, std::size_t max) = 0;

  /// Events waiting (approximate under concurrency).
  [[nodiscard]] virtual std::size_t depth() const noexcept = 0;
};

} // namespace vigil::actors
