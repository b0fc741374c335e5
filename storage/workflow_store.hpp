#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/model/config.hpp"
#include "runtime/model/histogram.hpp"
#include "runtime/model/workflow.hpp"

namespace vigil::storage {

class database;

/// One atomic change: checkpoints to put, log lines to append, trigger events to mark
/// dispatched, runbook texts to keep (by digest). Applied all or nothing.
struct workflow_write {
  std::vector<model::workflow_record> records;
  std::vector<std::pair<std::string, model::workflow_log_entry>> log; ///< (workflow id, entry)
  std::vector<uint64_t> dispatched;                                   ///< event seqs
  std::vector<std::pair<std::string, std::string>> runbook_sources;   ///< (sha256, text)
};

/// Filter for listing runs, newest first.
struct workflow_query {
  std::optional<model::workflow_state> state;
  std::string runbook;      ///< name or path; empty: any
  model::timestamp since{}; ///< created at or after (0: no bound)
  std::size_t limit = 100;
  /// Any of these states (`state_bit`); 0: no such filter. Both filters apply.
  uint32_t states = 0;
};

/// The `workflow_query::states` bit of `s`.
[[nodiscard]] constexpr uint32_t state_bit(model::workflow_state s) noexcept {
  return uint32_t{1} << static_cast<unsigned>(s);
}

/// Counters of the store; read from any thread.
struct workflow_store_stats {
  std::atomic<uint64_t> groups{0};
  std::atomic<uint64_t> writes{0};
  std::atomic<uint64_t> write_nanos{0};
  /// Duration of each group write (one RocksDB write, fsync included), seconds.
  model::atomic_histogram write_seconds{model::latency_buckets()};
};

/// Durable workflow state: checkpoints (`workflows` family, id → record), timelines
/// (`workflow_log`, id + seq → entry) and the runbook texts runs started with. Writes go
/// through one writer thread that group-commits the writes of all runs into one RocksDB batch,
/// synced per `storage.sync`: a run's next side effect waits for its checkpoint's callback, and
/// many runs share one fsync. Creating a run and marking its trigger event dispatched is one
/// write, so an event starts each matching runbook exactly once across crashes.
///
/// Thread-safety: every member may be called from any thread. Callbacks run on the writer
/// thread: keep them short (send a message, fulfil a promise). A write refused outright (store
/// closed: `unavailable`; an id not of the form `wf-...`: `invalid_argument`) calls `done` at
/// once on the caller's thread.
class workflow_store {
public:
  using done_fn = std::function<void(caf::error)>;

  workflow_store(database& db, model::sync_policy sync);
  ~workflow_store();
  workflow_store(const workflow_store&) = delete;
  workflow_store& operator=(const workflow_store&) = delete;

  // -- writing -------------------------------------------------------------------------

  /// Applies `w` atomically; `done` runs once it is durable (or failed).
  void write(workflow_write w, done_fn done);

  /// Blocking convenience around `write`.
  [[nodiscard]] caf::error write_sync(workflow_write w);

  /// Finishes queued writes and stops the writer. Idempotent.
  void close();

  // -- reading -------------------------------------------------------------------------

  [[nodiscard]] caf::expected<model::workflow_record> get(const std::string& id) const;

  /// Runs matching `q`, newest first.
  [[nodiscard]] caf::expected<std::vector<model::workflow_record>>
  list(const workflow_query& q) const;

  /// Ids of the finished runs created before `before`, oldest first: every one of them, however
  /// many runs the store holds (retention and archiving). Reads only each checkpoint's header,
  /// and keeps the blocks it walks out of the cache.
  [[nodiscard]] caf::expected<std::vector<std::string>>
  finished_before(model::timestamp before) const;

  /// Every run not in a terminal state, oldest first (what a restart resumes).
  [[nodiscard]] caf::expected<std::vector<model::workflow_record>> unfinished() const;

  /// A run's timeline, oldest first; `not_found` for an unknown run.
  [[nodiscard]] caf::expected<std::vector<model::workflow_log_entry>>
  log(const std::string& id) const;

  /// The text of the runbook with digest `sha256`.
  [[nodiscard]] caf::expected<std::string> runbook_source(const std::string& sha256) const;

  /// Deletes finished runs and their timelines (retention, archiving). Runs that are not
  /// terminal are left alone. How many were removed.
  [[nodiscard]] caf::expected<std::size_t> remove(const std::vector<std::string>& ids);

  [[nodiscard]] const workflow_store_stats& stats() const noexcept { return stats_; }

private:
  struct pending {
    workflow_write w;
    done_fn done;
    std::vector<std::string> values; ///< encoded records, then log entries (caller's thread)
  };

  void run_writer();
  void commit(std::vector<pending>& group);

  database& db_;
  model::sync_policy sync_;
  workflow_store_stats stats_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<pending> queue_;
  bool closing_ = false;
  std::thread writer_;
};

/// Serializes a checkpoint (versioned); exposed for tests and tools.
void encode_workflow(const model::workflow_record& r, std::string& out);

/// Inverse of `encode_workflow`; nullopt when damaged or written by a newer format.
[[nodiscard]] std::optional<model::workflow_record> decode_workflow(std::string_view bytes);

/// The first byte of every checkpoint and log entry this binary writes.
inline constexpr uint8_t workflow_format_version = 1;

/// What a listing filters on, read from an encoded checkpoint without decoding the rest.
struct workflow_summary {
  model::workflow_state state = model::workflow_state::pending;
  model::timestamp created_at{};
};

/// The summary of an encoded checkpoint; nullopt when damaged or written by a newer format.
[[nodiscard]] std::optional<workflow_summary> peek_workflow(std::string_view bytes) noexcept;

/// Serializes a timeline entry (versioned); its `seq` is in the key, not the value.
void encode_workflow_log_entry(const model::workflow_log_entry& e, std::string& out);

/// Inverse of `encode_workflow_log_entry`; `seq` comes from the key. nullopt when damaged or
/// written by a newer format.
[[nodiscard]] std::optional<model::workflow_log_entry>
decode_workflow_log_entry(uint64_t seq, std::string_view bytes);

/// The `workflow_log` key of entry `seq` of run `id`: id, 0x00, big-endian seq.
[[nodiscard]] std::string workflow_log_key(std::string_view id, uint64_t seq);

} // namespace vigil::storage
