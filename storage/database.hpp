#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/model/config.hpp"
#include "storage/data_dir_lock.hpp"

namespace rocksdb {
class WriteBatch;
class DB;
class ColumnFamilyHandle;
class Cache;
class Status;
} // namespace rocksdb

namespace vigil::storage {

/// The column families of Vigil's RocksDB (DESIGN.md, "Storage").
enum class column : uint8_t {
  meta,         ///< schema version, clean-shutdown marker
  events,       ///< seq → event
  event_state,  ///< seq → accepted | dispatched | drained | quarantined
  dedup,        ///< idempotency key → seq, with expiry
  workflows,    ///< workflow id → checkpoint
  workflow_log, ///< workflow id + seq → step record
  dlq,          ///< poison events
};

inline constexpr std::size_t column_count = 7;

/// Name of a column family on disk.
[[nodiscard]] std::string_view to_string(column c) noexcept;

/// On-disk format this binary writes. Bumped when a stored layout changes.
inline constexpr uint32_t format_version = 1;

class database;

/// One step of an in-place format migration: rewrites what format `from` stored into format
/// `from + 1` by adding to `batch`, which is written atomically together with the new version
/// (so a crash leaves either the old format or the new one, and a second run finds nothing to
/// do).
struct format_migration {
  uint32_t from = 0;
  std::string what; ///< for the log and errors
  std::function<caf::error(database& db, rocksdb::WriteBatch& batch)> apply;
};

/// The migrations this binary knows, oldest first (none yet: format 1 is the first).
[[nodiscard]] const std::vector<format_migration>& format_migrations();

/// How to open the database.
struct database_options {
  std::string path;
  model::wal_recovery_mode wal_recovery = model::wal_recovery_mode::point_in_time;
  /// Create the directory and column families when missing.
  bool create = true;
  /// Writes are refused while the filesystem has less free space than this (0: never);
  /// `storage.min_free_bytes` of the config.
  uint64_t min_free_bytes = 0;
  /// Capacity of the one block cache shared by every column family: data blocks and, charged
  /// to it, the index and filter blocks of every table (`storage.cache_bytes`). With the
  /// memtable budget it bounds RocksDB's memory however much data the directory holds.
  uint64_t cache_bytes = 64ULL << 20;
  /// All memtables of all column families together; past it the largest is flushed
  /// (`storage.memtable_bytes`).
  uint64_t memtable_bytes = 128ULL << 20;
  /// Tests only: the format to migrate to and the steps to get there (0 / empty: this
  /// binary's `format_version` and `format_migrations()`).
  uint32_t test_format_version = 0;
  std::vector<format_migration> test_migrations;
};

/// What `open` found about the previous run.
struct open_report {
  bool created = false;        ///< a new, empty database
  bool clean_shutdown = false; ///< the previous owner stopped cleanly
  pid_t stale_lock_owner = 0;  ///< PID of a dead previous owner whose lock was taken over
  std::chrono::milliseconds lock_waited{0}; ///< how long the dead owner's lock stayed held
  std::string lock_held_by;                 ///< who held it meanwhile (`pid 12 (sleep)`)
  uint32_t migrated_from = 0;               ///< older format migrated in place (0: none)
};

/// Whether the database takes writes, as its writers last saw it (`/api/health`).
struct storage_health {
  enum class condition : uint8_t {
    ok,        ///< writes go through
    low_space, ///< refused until the filesystem has `min_free_bytes` free again (by itself)
    failed,    ///< RocksDB stopped after a failed write; a restart is needed
  };
  condition state = condition::ok;
  std::string message;     ///< why writes are refused (empty when ok)
  uint64_t free_bytes = 0; ///< free space of the data directory's filesystem, last look
};

/// Where RocksDB's memory is, now (`vigil_storage_memory_bytes`).
struct storage_memory {
  uint64_t memtables = 0;       ///< active and immutable memtables of every column family
  uint64_t memtable_budget = 0; ///< `memtable_bytes`
  uint64_t cache = 0;           ///< blocks in the shared cache: data, index, filter
  uint64_t cache_pinned = 0;    ///< of those, held by readers or pinned (level-0 metadata)
  uint64_t cache_capacity = 0;  ///< `cache_bytes`
  uint64_t table_readers = 0;   ///< table metadata outside the cache (small: top-level indexes)
};

/// Name of a storage condition: `ok`, `low_space`, `failed`.
[[nodiscard]] std::string_view to_string(storage_health::condition c) noexcept;

/// An open Vigil database: the directory lock plus RocksDB with its column families.
/// Thread-safe for concurrent reads and writes (RocksDB's guarantees); opening and
/// closing are not concurrent with anything else.
class database {
public:
  /// Locks the directory and opens (or creates) the database. Errors: `conflict` when another
  /// live process owns it, `format_too_new`, `storage_error` (with RocksDB's reason and, for
  /// corruption, a pointer to `vigil repair`).
  [[nodiscard]] static caf::expected<std::unique_ptr<database>> open(const database_options& opts);

  ~database();
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  // -- properties --------------------------------------------------------------

  [[nodiscard]] rocksdb::DB& db() noexcept { return *db_; }
  [[nodiscard]] rocksdb::ColumnFamilyHandle* handle(column c) const noexcept {
    return handles_[static_cast<std::size_t>(c)];
  }
  [[nodiscard]] const open_report& report() const noexcept { return report_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  // -- writing -----------------------------------------------------------------

  /// Writes `batch` atomically, with fsync when `sync`; `what` names the write in errors.
  /// Every write of Vigil goes through here. Refuses with `unavailable` (nothing written)
  /// while the filesystem has less than `min_free_bytes` free, so that RocksDB never meets a
  /// full disk (its recovery from a failed WAL write aborts the process in Debian's build), and
  /// after RocksDB stopped on a write error. Thread-safe.
  [[nodiscard]] caf::error write(rocksdb::WriteBatch& batch, bool sync, std::string_view what);

  /// Whether writes go through now, and why not. Thread-safe; looks at the free space at most
  /// every 100 ms.
  [[nodiscard]] storage_health health() const;

  /// RocksDB's memory by kind. Thread-safe.
  [[nodiscard]] storage_memory memory() const;

  // -- lifecycle ---------------------------------------------------------------

  /// Records that this process is stopping cleanly (written to `meta`, synced).
  [[nodiscard]] caf::error mark_clean_shutdown();

  // -- settings made at run time (the API's changes, kept apart from the config file) ----

  /// Stores `value` under the setting `key` in `meta` (synced: durable when it returns).
  [[nodiscard]] caf::error put_setting(std::string_view key, std::string_view value);

  /// Every setting whose key starts with `prefix`, as (key, value), in key order.
  [[nodiscard]] caf::expected<std::vector<std::pair<std::string, std::string>>>
  settings(std::string_view prefix) const;

  /// Converts a RocksDB status into a Vigil error (`storage_error`) with `what` as context.
  [[nodiscard]] static caf::error to_error(const rocksdb::Status& st, std::string_view what);

private:
  database(std::string path, data_dir_lock lock) : path_(std::move(path)), lock_(std::move(lock)) {}

  [[nodiscard]] caf::error check_format(uint32_t current,
                                        const std::vector<format_migration>& migrations);

  /// Free bytes of the data directory's filesystem, looked up at most every 100 ms.
  [[nodiscard]] uint64_t free_bytes() const;

  /// Remembers that RocksDB stopped on a failed write (`reason`).
  void mark_failed(std::string reason);

  std::string path_;
  uint64_t min_free_bytes_ = 0;
  mutable std::atomic<int64_t> space_checked_ns_{0}; ///< steady clock of the last statvfs
  mutable std::atomic<uint64_t> free_bytes_{0};
  std::atomic<bool> failed_{false};
  mutable std::mutex failure_mtx_;
  std::string failure_; ///< guarded by failure_mtx_
  data_dir_lock lock_;
  std::shared_ptr<rocksdb::Cache> cache_;
  uint64_t memtable_bytes_ = 0;
  rocksdb::DB* db_ = nullptr;
  std::array<rocksdb::ColumnFamilyHandle*, column_count> handles_{};
  open_report report_;
};

} // namespace vigil::storage
