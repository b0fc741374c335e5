#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
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
  uint32_t migrated_from = 0;  ///< older format migrated in place (0: none)
};

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

  std::string path_;
  data_dir_lock lock_;
  rocksdb::DB* db_ = nullptr;
  std::array<rocksdb::ColumnFamilyHandle*, column_count> handles_{};
  open_report report_;
};

} // namespace vigil::storage
