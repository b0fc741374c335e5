#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/model/clock.hpp"
#include "runtime/model/config.hpp"
#include "runtime/model/event.hpp"
#include "runtime/model/histogram.hpp"

namespace vigil::storage {

class database;

/// Where an event is in its life (the `event_state` column family).
enum class event_state : uint8_t {
  accepted = 'a',    ///< durable, waiting for dispatch
  dispatched = 'd',  ///< handed to every matching runbook
  drained = 'r',     ///< set aside by an operator's drain; resumable
  quarantined = 'q', ///< poison: moved to the dead-letter family
};

[[nodiscard]] std::string_view to_string(event_state s) noexcept;

/// What an append did, per event in request order.
struct append_result {
  caf::error error;                   ///< set when nothing was stored
  std::vector<std::string> ids;       ///< the event's id (the original's for a duplicate)
  std::vector<bool> duplicate;        ///< true when recognised as a repeat
  std::vector<model::event> accepted; ///< the new events, with `seq` and `id` assigned
  std::size_t duplicates = 0;
};

/// Filter for reading the log back, newest first.
struct event_query {
  std::optional<model::event_type> type;
  std::optional<model::event_status> status;
  std::optional<event_state> state;
  model::timestamp since{}; ///< received at or after (0: no bound)
  std::size_t limit = 100;
  std::size_t scan_limit = 100'000; ///< stop after looking at this many events
};

/// An event set aside after the engine failed on it `attempts` times (the `dlq` family).
struct dead_letter {
  model::event event;
  std::string reason;
  uint32_t attempts = 0;
  model::timestamp at{};
};

/// One event as read back, with its state.
struct stored_event {
  model::event event;
  event_state state = event_state::accepted;
};

/// Counters of the log; read from any thread.
struct event_log_stats {
  std::atomic<uint64_t> groups{0};
  std::atomic<uint64_t> appended{0};
  std::atomic<uint64_t> duplicates{0};
  std::atomic<uint64_t> write_nanos{0}; ///< total time in RocksDB writes (incl. fsync)
  /// Duration of each group write (one RocksDB write, fsync included), seconds.
  model::atomic_histogram write_seconds{model::latency_buckets()};
};

/// The durable event log: appends go through one writer thread that group-commits the batches
/// of all concurrent callers into one RocksDB `WriteBatch` (fsync per `storage.sync`), assigns
/// dense increasing sequence numbers and applies the idempotency index, all under one writer
/// so that two racing repeats can never both be accepted.
///
/// Thread-safety: every public member may be called from any thread. Callbacks run on the
/// writer thread: keep them short and never call `append` synchronously waiting on them.
class event_log {
public:
  using append_callback = std::function<void(append_result&&)>;

  /// Opens the log over an open database and starts the writer thread.
  [[nodiscard]] static caf::expected<std::unique_ptr<event_log>>
  open(database& db, const model::clock& clk, model::sync_policy sync,
       std::chrono::milliseconds dedup_window);

  ~event_log();
  event_log(const event_log&) = delete;
  event_log& operator=(const event_log&) = delete;

  // -- writing -------------------------------------------------------------------------

  /// Appends `events` all or nothing; `done` is called once it is durable (or failed).
  /// `received_at` and `fingerprint` must already be set; `seq` and derived ids are assigned.
  void append(std::vector<model::event> events, append_callback done);

  /// Blocking convenience around `append`.
  [[nodiscard]] append_result append_sync(std::vector<model::event> events);

  /// Records new states for events (no fsync: a lost mark only means a re-dispatch check).
  [[nodiscard]] caf::error set_state(const std::vector<uint64_t>& seqs, event_state state);

  // -- poison events ---------------------------------------------------------------------

  /// Counts one more failed processing attempt of `seq` (kept with its state, so restarts do
  /// not reset it); the attempts so far.
  [[nodiscard]] caf::expected<uint32_t> record_failure(uint64_t seq);

  /// Moves `seq` to the dead-letter family with `reason`: its state becomes quarantined, and
  /// nothing retries it until an operator requeues it.
  [[nodiscard]] caf::error quarantine(uint64_t seq, const std::string& reason, uint32_t attempts);

  /// The dead letters, oldest first.
  [[nodiscard]] caf::expected<std::vector<dead_letter>>
  dead_letters(std::size_t limit = 1000) const;

  /// Puts dead letters back (all when `seqs` is empty): state accepted, attempts forgotten,
  /// removed from the dead-letter family. Returns the events, to be queued again.
  [[nodiscard]] caf::expected<std::vector<model::event>>
  requeue_dead_letters(const std::vector<uint64_t>& seqs);

  /// Purges dead letters (all when `seqs` is empty): the explicit operator action that throws
  /// them away. The events stay in the log, quarantined. Returns how many were purged.
  [[nodiscard]] caf::expected<std::size_t> purge_dead_letters(const std::vector<uint64_t>& seqs);

  /// Stops the writer after the queued appends are done. Idempotent.
  void close();

  // -- reading -------------------------------------------------------------------------

  /// Events matching `q`, newest first.
  [[nodiscard]] caf::expected<std::vector<stored_event>> query(const event_query& q) const;

  /// One event by sequence number.
  [[nodiscard]] caf::expected<stored_event> get(uint64_t seq) const;

  /// Every event still `accepted` (not dispatched), oldest first: the restart backlog.
  [[nodiscard]] caf::expected<std::vector<model::event>> undispatched() const;

  /// Highest sequence number written (0 when empty).
  [[nodiscard]] uint64_t last_seq() const noexcept { return last_seq_.load(); }

  [[nodiscard]] const event_log_stats& stats() const noexcept { return stats_; }

private:
  struct pending {
    std::vector<model::event> events;
    std::vector<std::string> keys;   ///< idempotency keys, computed by the caller
    std::vector<std::string> values; ///< encoded events, computed by the caller
    append_callback done;
  };

  event_log(database& db, const model::clock& clk, model::sync_policy sync,
            std::chrono::milliseconds dedup_window, uint64_t last_seq);

  void run_writer();
  void commit(std::vector<pending>& group);

  database& db_;
  const model::clock& clock_;
  model::sync_policy sync_;
  std::chrono::milliseconds dedup_window_;
  std::atomic<uint64_t> last_seq_;
  event_log_stats stats_;

  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<pending> queue_;
  bool closing_ = false;
  std::thread writer_;
};

} // namespace vigil::storage
