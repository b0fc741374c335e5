#include "storage/database.hpp"

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <sys/statvfs.h>
#include <unistd.h>
#include <vector>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>

#include "runtime/model/errc.hpp"
#include "runtime/model/logger.hpp"

namespace vigil::storage {

namespace {

constexpr vigil::log::logger rocksdb_log{"rocksdb"};

/// RocksDB's own log lines of level warn and above, into Vigil's log. RocksDB's default LOG
/// file lives in the data directory: on a full disk its writer fails, and the next line logged
/// about that failure hits an assertion in Debian's build (which keeps asserts on) and aborts
/// the process. Vigil's log goes to stderr, never to the data directory.
class forwarding_logger : public rocksdb::Logger {
public:
  forwarding_logger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel())
      return;
    char line[1024];
    std::vsnprintf(line, sizeof(line), format, ap);
    // Opening a new database, RocksDB reports the directory it is about to create as an error.
    const std::string_view text{line};
    if (text.rfind("Error when reading ", 0) == 0 && text.find(" dir NotFound") != text.npos)
      return;
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL)
      rocksdb_log.error(line);
    else
      rocksdb_log.warn(line);
  }
};

/// Keeps RocksDB from recovering by itself from a background error: in Debian's 7.8 build, the
/// recovery after a WAL write that ran out of space syncs the failed WAL writer and aborts on an
/// assertion. Vigil refuses writes before the disk is full instead (`min_free_bytes`).
class no_auto_recovery : public rocksdb::EventListener {
public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status error,
                            bool* auto_recovery) override {
    *auto_recovery = false;
    rocksdb_log.error("RocksDB stopped on a background error; writes are refused until Vigil "
                      "restarts",
                      {{"error", error.ToString()}});
  }
};

int64_t steady_nanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

std::string mebibytes(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

constexpr std::string_view format_key = "format_version";
constexpr std::string_view running_key = "running";

rocksdb::WALRecoveryMode to_rocksdb(model::wal_recovery_mode m) {
  switch (m) {
    case model::wal_recovery_mode::absolute_consistency:
      return rocksdb::WALRecoveryMode::kAbsoluteConsistency;
    case model::wal_recovery_mode::tolerate_corrupted_tail:
      return rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
    case model::wal_recovery_mode::point_in_time:
      break;
  }
  return rocksdb::WALRecoveryMode::kPointInTimeRecovery;
}

rocksdb::ColumnFamilyOptions column_options(column c,
                                            const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  // One bounded cache for everything read: left alone, every table keeps its index and filter
  // in memory outside any cache, so memory grows with the data (a soak at 7,600 events/s grew
  // 55% in 20 minutes), and each family has its own 8 MiB cache besides. Partitioned indexes
  // and filters keep what each lookup needs small; only their top levels stay pinned. Pinning
  // level 0 as well held 118 MiB in a 64 MiB cache after an hour at 11,000 events/s (pinned
  // blocks are not evicted), so level 0 competes for the cache like the rest.
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = false;
  table.pin_top_level_index_and_filter = true;
  table.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.metadata_block_size = 4096;
  // Point lookups dominate the dedup index and the state tables: bloom filters keep
  // misses (the common case for dedup) off the disk.
  if (c == column::dedup || c == column::event_state || c == column::workflows)
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  if (c == column::dedup) {
    // Idempotency keys are random 17-byte hashes, looked up and inserted once per event.
    // A small memtable keeps the skip list inside the CPU caches (random inserts into a big
    // one miss at every level), and a bloom filter answers the common miss at once.
    cf.write_buffer_size = 4 << 20;
    cf.memtable_prefix_bloom_size_ratio = 0.1;
    cf.memtable_whole_key_filtering = true;
  }
  cf.compression = rocksdb::kLZ4Compression;
  if (c == column::events)
    cf.write_buffer_size = 64 << 20;
  // Checkpoints are rewritten often and read rarely: small memtables bound the memory they
  // hold (many parked runs write once and then sit still).
  if (c == column::workflows || c == column::workflow_log || c == column::event_state)
    cf.write_buffer_size = 16 << 20;
  return cf;
}

} // namespace

std::string_view to_string(column c) noexcept {
  switch (c) {
    case column::meta:
      return "meta";
    case column::events:
      return "events";
    case column::event_state:
      return "event_state";
    case column::dedup:
      return "dedup";
    case column::workflows:
      return "workflows";
    case column::workflow_log:
      return "workflow_log";
    case column::dlq:
      return "dlq";
  }
  return "meta";
}

caf::error database::to_error(const rocksdb::Status& st, std::string_view what) {
  std::string msg{what};
  msg += ": ";
  msg += st.ToString();
  if (st.IsCorruption())
    msg += " (the data directory is damaged; run `vigil repair --data DIR` to salvage it)";
  return make_error(errc::storage_error, std::move(msg));
}

caf::expected<std::unique_ptr<database>> database::open(const database_options& opts) {
  auto lock = data_dir_lock::acquire(opts.path);
  if (!lock)
    return std::move(lock.error());
  std::unique_ptr<database> self{new database(opts.path, std::move(*lock))};
  self->min_free_bytes_ = opts.min_free_bytes;
  self->report_.stale_lock_owner = self->lock_.stale_owner();
  self->report_.lock_waited = self->lock_.waited();
  self->report_.lock_held_by = self->lock_.held_by();

  const auto db_dir = (std::filesystem::path{opts.path} / "db").string();
  self->report_.created = !std::filesystem::exists(std::filesystem::path{db_dir} / "CURRENT");

  rocksdb::DBOptions db_opts;
  db_opts.create_if_missing = opts.create;
  db_opts.create_missing_column_families = opts.create;
  db_opts.wal_recovery_mode = to_rocksdb(opts.wal_recovery);
  db_opts.max_background_jobs = 2;
  db_opts.bytes_per_sync = 1 << 20;
  db_opts.max_total_wal_size = 256 << 20;
  db_opts.enable_pipelined_write = false;
  db_opts.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_opts.info_log = std::make_shared<forwarding_logger>();
  db_opts.listeners.push_back(std::make_shared<no_auto_recovery>());
  // High-priority share: index and filter blocks, which every lookup needs, before data blocks.
  self->cache_ = rocksdb::NewLRUCache(opts.cache_bytes, -1, false, 0.5);
  self->memtable_bytes_ = opts.memtable_bytes;
  db_opts.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(opts.memtable_bytes);

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions{});
  for (std::size_t i = 0; i < column_count; ++i) {
    auto c = static_cast<column>(i);
    descriptors.emplace_back(std::string{to_string(c)}, column_options(c, self->cache_));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  auto st = rocksdb::DB::Open(db_opts, db_dir, descriptors, &handles, &self->db_);
  if (!st.ok())
    return to_error(st, "cannot open the database in " + db_dir);
  // handles[0] is the default family, which Vigil does not use.
  self->db_->DestroyColumnFamilyHandle(handles[0]);
  for (std::size_t i = 0; i < column_count; ++i)
    self->handles_[i] = handles[i + 1];

  const auto target = opts.test_format_version != 0 ? opts.test_format_version : format_version;
  const auto& steps = opts.test_format_version != 0 ? opts.test_migrations : format_migrations();
  if (auto err = self->check_format(target, steps))
    return err;
  return self;
}

const std::vector<format_migration>& format_migrations() {
  static const std::vector<format_migration> steps;
  return steps;
}

caf::error database::check_format(uint32_t current,
                                  const std::vector<format_migration>& migrations) {
  auto* meta = handle(column::meta);
  std::string value;
  auto st = db_->Get(rocksdb::ReadOptions{}, meta,
                     rocksdb::Slice{format_key.data(), format_key.size()}, &value);
  if (st.IsNotFound()) {
    // A fresh database: stamp it.
    rocksdb::WriteBatch batch;
    batch.Put(meta, rocksdb::Slice{format_key.data(), format_key.size()}, std::to_string(current));
    if (auto err = write(batch, true, "cannot write the format version"))
      return err;
  } else if (!st.ok()) {
    return to_error(st, "cannot read the format version");
  } else {
    auto stored = static_cast<uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
    if (stored > current)
      return make_error(errc::format_too_new, "the data in " + path_ + " has format version "
                                                + value + ", newer than this Vigil understands ("
                                                + std::to_string(current)
                                                + "); run a newer Vigil or restore a backup");
    // Older: one step at a time, each written with its new version in one synced batch.
    const auto first = stored;
    while (stored < current) {
      const auto* step = static_cast<const format_migration*>(nullptr);
      for (const auto& m : migrations)
        if (m.from == stored)
          step = &m;
      if (step == nullptr)
        return make_error(errc::format_too_new,
                          "the data in " + path_ + " has format version " + std::to_string(stored)
                            + ", which this Vigil cannot migrate; restore it with the Vigil that "
                              "wrote it and back it up");
      rocksdb::WriteBatch batch;
      if (auto err = step->apply(*this, batch))
        return make_error(code_of(err), "migrating " + path_ + " from format "
                                          + std::to_string(stored) + " (" + step->what
                                          + "): " + message_of(err));
      const auto next = std::to_string(stored + 1);
      batch.Put(meta, rocksdb::Slice{format_key.data(), format_key.size()}, next);
      if (auto err = write(batch, true, "cannot write the migration to format " + next))
        return err;
      ++stored;
    }
    if (first < current)
      report_.migrated_from = first;
  }
  // The "running" flag is set while a process owns the database and removed on a clean
  // stop, so its presence at open means the last owner crashed.
  st = db_->Get(rocksdb::ReadOptions{}, meta,
                rocksdb::Slice{running_key.data(), running_key.size()}, &value);
  report_.clean_shutdown = st.IsNotFound() && !report_.created;
  rocksdb::WriteBatch batch;
  batch.Put(meta, rocksdb::Slice{running_key.data(), running_key.size()},
            std::to_string(::getpid()));
  return write(batch, true, "cannot write the running marker");
}

caf::error database::mark_clean_shutdown() {
  rocksdb::WriteBatch batch;
  batch.Delete(handle(column::meta), rocksdb::Slice{running_key.data(), running_key.size()});
  return write(batch, true, "cannot write the clean-shutdown marker");
}

// -- writing ---------------------------------------------------------------------

std::string_view to_string(storage_health::condition c) noexcept {
  switch (c) {
    case storage_health::condition::ok:
      return "ok";
    case storage_health::condition::low_space:
      return "low_space";
    case storage_health::condition::failed:
      return "failed";
  }
  return "ok";
}

uint64_t database::free_bytes() const {
  const auto now = steady_nanos();
  const auto last = space_checked_ns_.load(std::memory_order_relaxed);
  if (last != 0 && now - last < 100'000'000)
    return free_bytes_.load(std::memory_order_relaxed);
  struct statvfs fs {};
  if (::statvfs(path_.c_str(), &fs) == 0) {
    // f_bavail: what an unprivileged writer may still use (root's reserve is not ours).
    free_bytes_.store(static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize, std::memory_order_relaxed);
  }
  space_checked_ns_.store(now, std::memory_order_relaxed);
  return free_bytes_.load(std::memory_order_relaxed);
}

void database::mark_failed(std::string reason) {
  std::lock_guard<std::mutex> guard{failure_mtx_};
  if (failed_.load())
    return;
  failure_ = std::move(reason);
  failed_.store(true);
}

storage_health database::health() const {
  storage_health h;
  h.free_bytes = free_bytes();
  if (failed_.load()) {
    std::lock_guard<std::mutex> guard{failure_mtx_};
    h.state = storage_health::condition::failed;
    h.message = "RocksDB stopped after a failed write (" + failure_
                + "); writes are refused: make room on the disk of " + path_
                + " and restart Vigil (nothing acknowledged is lost)";
  } else if (min_free_bytes_ > 0 && h.free_bytes < min_free_bytes_) {
    h.state = storage_health::condition::low_space;
    h.message = "the disk of " + path_ + " has " + mebibytes(h.free_bytes)
                + " free, less than storage.min_free_bytes (" + mebibytes(min_free_bytes_)
                + "); writes wait and resume by themselves when there is room";
  }
  return h;
}

storage_memory database::memory() const {
  storage_memory m;
  uint64_t v = 0;
  if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &v))
    m.memtables = v;
  if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimateTableReadersMem, &v))
    m.table_readers = v;
  m.memtable_budget = memtable_bytes_;
  m.cache = cache_->GetUsage();
  m.cache_pinned = cache_->GetPinnedUsage();
  m.cache_capacity = cache_->GetCapacity();
  return m;
}

caf::error database::write(rocksdb::WriteBatch& batch, bool sync, std::string_view what) {
  if (failed_.load() || (min_free_bytes_ > 0 && free_bytes() < min_free_bytes_)) {
    auto h = health();
    if (h.state != storage_health::condition::ok)
      return make_error(errc::unavailable, std::string{what} + ": " + h.message);
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  const auto st = db_->Write(wo, &batch);
  if (st.ok())
    return caf::none;
  if (st.IsNoSpace() || st.IsIOError()) {
    // RocksDB stops taking writes after a failed WAL or flush write (a "hard" error).
    mark_failed(st.ToString());
    return make_error(errc::unavailable, std::string{what} + ": " + st.ToString());
  }
  return to_error(st, what);
}

namespace {
/// Settings live in `meta` under this prefix, apart from the engine's own keys.
constexpr std::string_view setting_prefix = "setting/";
} // namespace

caf::error database::put_setting(std::string_view key, std::string_view value) {
  const auto k = std::string{setting_prefix} + std::string{key};
  rocksdb::WriteBatch batch;
  batch.Put(handle(column::meta), k, rocksdb::Slice{value.data(), value.size()});
  return write(batch, true, "cannot store the setting " + std::string{key});
}

caf::expected<std::vector<std::pair<std::string, std::string>>>
database::settings(std::string_view prefix) const {
  const auto start = std::string{setting_prefix} + std::string{prefix};
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator({}, handle(column::meta))};
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next())
    out.emplace_back(it->key().ToString().substr(setting_prefix.size()), it->value().ToString());
  if (!it->status().ok())
    return to_error(it->status(), "cannot read the settings");
  return out;
}

database::~database() {
  if (db_ != nullptr) {
    for (auto* h : handles_)
      if (h != nullptr)
        db_->DestroyColumnFamilyHandle(h);
    auto st = db_->Close();
    (void)st; // Nothing useful can be done about a failed close during teardown.
    delete db_;
    db_ = nullptr;
  }
}

} // namespace vigil::storage
