#include "storage/backup.hpp"

#include <filesystem>
#include <memory>
#include <unistd.h>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "runtime/model/errc.hpp"
#include "runtime/model/hash.hpp"
#include "storage/data_dir_lock.hpp"
#include "storage/database.hpp"

namespace vigil::storage {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t batch_bytes = 4 << 20;

std::vector<rocksdb::ColumnFamilyDescriptor> descriptors() {
  std::vector<rocksdb::ColumnFamilyDescriptor> out;
  out.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions{});
  for (std::size_t i = 0; i < column_count; ++i)
    out.emplace_back(std::string{to_string(static_cast<column>(i))},
                     rocksdb::ColumnFamilyOptions{});
  return out;
}

/// A raw RocksDB handle with its column families; closes on destruction.
struct raw_db {
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;

  ~raw_db() {
    if (db == nullptr)
      return;
    for (auto* h : handles)
      db->DestroyColumnFamilyHandle(h);
    auto st = db->Close();
    (void)st;
    delete db;
  }
};

bool empty_or_missing(const std::string& dir) {
  std::error_code ec;
  return !fs::exists(dir, ec) || fs::is_empty(dir, ec);
}

/// Walks every family of `db` (handles[1..]) in key order, calling `f(family, key, value)`.
template <class F>
caf::error walk(raw_db& db, backup_report& rep, F f) {
  model::xxh3_64_stream hasher;
  for (std::size_t i = 0; i < column_count; ++i) {
    const std::string family{to_string(static_cast<column>(i))};
    std::unique_ptr<rocksdb::Iterator> it{
      db.db->NewIterator(rocksdb::ReadOptions{}, db.handles[i + 1])};
    uint64_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const auto k = it->key();
      const auto v = it->value();
      hasher.update(family);
      hasher.update(k.ToStringView());
      hasher.update(v.ToStringView());
      rep.bytes += k.size() + v.size();
      ++n;
      if (auto err = f(i, k, v))
        return err;
    }
    if (!it->status().ok())
      return database::to_error(it->status(), "cannot read family " + family);
    rep.keys[family] = n;
  }
  rep.digest = hasher.digest();
  return caf::none;
}

caf::expected<backup_report> inspect_raw(raw_db& db, const std::string& path) {
  backup_report rep;
  rep.path = path;
  if (auto err = walk(db, rep, [](std::size_t, const rocksdb::Slice&, const rocksdb::Slice&) {
        return caf::error{};
      }))
    return err;
  return rep;
}

caf::error open_read_only(const std::string& dir, raw_db& out) {
  rocksdb::DBOptions opts;
  auto st = rocksdb::DB::OpenForReadOnly(opts, (fs::path{dir} / "db").string(), descriptors(),
                                         &out.handles, &out.db);
  if (!st.ok())
    return database::to_error(st, "cannot open " + dir);
  return caf::none;
}

} // namespace

uint64_t backup_report::total_keys() const {
  uint64_t n = 0;
  for (const auto& [k, v] : keys)
    n += v;
  return n;
}

caf::expected<backup_report> backup_data_dir(const std::string& data_dir,
                                             const std::string& target) {
  if (!fs::exists(fs::path{data_dir} / "db" / "CURRENT"))
    return make_error(errc::not_found, data_dir + " holds no Vigil database");
  if (!empty_or_missing(target))
    return make_error(errc::conflict, "the backup target " + target + " is not empty");
  // The source: a secondary instance follows the live server without disturbing it.
  const auto scratch = fs::temp_directory_path() / ("vigil-backup-" + std::to_string(::getpid()));
  fs::create_directories(scratch);
  raw_db src;
  {
    rocksdb::Options opts;
    opts.max_open_files = -1;
    auto st = rocksdb::DB::OpenAsSecondary(opts, (fs::path{data_dir} / "db").string(),
                                           scratch.string(), descriptors(), &src.handles, &src.db);
    if (!st.ok()) {
      fs::remove_all(scratch);
      return database::to_error(st, "cannot read " + data_dir);
    }
    st = src.db->TryCatchUpWithPrimary();
    if (!st.ok()) {
      fs::remove_all(scratch);
      return database::to_error(st, "cannot catch up with the server's writes in " + data_dir);
    }
  }
  backup_report rep;
  rep.path = target;
  std::map<std::string, uint64_t> copied;
  {
    auto dst = database::open({target});
    if (!dst) {
      fs::remove_all(scratch);
      return std::move(dst.error());
    }
    auto& out = (*dst)->db();
    rocksdb::WriteBatch batch;
    auto flush = [&]() -> caf::error {
      auto st = out.Write(rocksdb::WriteOptions{}, &batch);
      batch.Clear();
      return st.ok() ? caf::none : database::to_error(st, "cannot write the backup");
    };
    auto err =
      walk(src, rep,
           [&](std::size_t family, const rocksdb::Slice& k, const rocksdb::Slice& v) -> caf::error {
             const auto c = static_cast<column>(family);
             // The backup is a data directory of its own: its own `running` marker, not the
             // server's.
             if (c == column::meta && k == rocksdb::Slice{"running"})
               return caf::none;
             ++copied[std::string{to_string(c)}];
             batch.Put((*dst)->handle(c), k, v);
             return batch.GetDataSize() >= batch_bytes ? flush() : caf::none;
           });
    if (!err)
      err = flush();
    if (!err) {
      rocksdb::FlushOptions fo;
      std::vector<rocksdb::ColumnFamilyHandle*> all;
      for (std::size_t i = 0; i < column_count; ++i)
        all.push_back((*dst)->handle(static_cast<column>(i)));
      auto st = out.Flush(fo, all);
      if (!st.ok())
        err = database::to_error(st, "cannot flush the backup");
    }
    if (!err)
      err = (*dst)->mark_clean_shutdown();
    if (err) {
      fs::remove_all(scratch);
      return err;
    }
  }
  fs::remove_all(scratch);
  // Verify what landed against what was copied, family by family.
  auto check = inspect_data_dir(target);
  if (!check)
    return std::move(check.error());
  for (std::size_t i = 0; i < column_count; ++i) {
    const std::string family{to_string(static_cast<column>(i))};
    if (check->keys[family] != copied[family])
      return make_error(errc::storage_error, "backup verification failed: family " + family
                                               + " has " + std::to_string(check->keys[family])
                                               + " keys, expected "
                                               + std::to_string(copied[family]));
  }
  return *check;
}

caf::expected<backup_report> inspect_data_dir(const std::string& dir) {
  if (!fs::exists(fs::path{dir} / "db" / "CURRENT"))
    return make_error(errc::not_found, dir + " holds no Vigil database");
  raw_db db;
  if (auto err = open_read_only(dir, db))
    return err;
  return inspect_raw(db, dir);
}

caf::expected<backup_report> restore_data_dir(const std::string& backup,
                                              const std::string& data_dir, bool force) {
  auto source = inspect_data_dir(backup);
  if (!source)
    return make_error(errc::invalid_argument, "not a usable backup: " + message_of(source.error()));
  if (!empty_or_missing(data_dir) && !force)
    return make_error(errc::conflict,
                      data_dir + " is not empty; pass --force to replace its contents");
  // Nobody may be using the target meanwhile.
  auto lock = data_dir_lock::acquire(data_dir);
  if (!lock)
    return std::move(lock.error());
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator{data_dir, ec})
    if (entry.path().filename() != "vigil.lock")
      fs::remove_all(entry.path(), ec);
  fs::copy(fs::path{backup} / "db", fs::path{data_dir} / "db", fs::copy_options::recursive, ec);
  if (ec)
    return make_error(errc::io_error,
                      "cannot copy the backup into " + data_dir + ": " + ec.message());
  auto restored = inspect_data_dir(data_dir);
  if (!restored)
    return std::move(restored.error());
  if (restored->digest != source->digest)
    return make_error(errc::storage_error,
                      "restore verification failed: the copy differs from the backup");
  return restored;
}

caf::expected<backup_report> repair_data_dir(const std::string& data_dir) {
  // RocksDB's repair rebuilds from the table files: what is only in the write-ahead log can be
  // lost. When the database still opens, flush it to tables first (nothing is lost then); when
  // it does not, that is the damage repair is for.
  if (auto db =
        database::open({data_dir, model::wal_recovery_mode::tolerate_corrupted_tail, false})) {
    rocksdb::FlushOptions flush;
    flush.wait = true;
    for (std::size_t i = 0; i < column_count; ++i)
      (void)(*db)->db().Flush(flush, (*db)->handle(static_cast<column>(i)));
    (void)(*db)->mark_clean_shutdown();
  }
  {
    auto lock = data_dir_lock::acquire(data_dir);
    if (!lock)
      return std::move(lock.error());
    rocksdb::DBOptions opts;
    auto st = rocksdb::RepairDB((fs::path{data_dir} / "db").string(), opts, descriptors());
    if (!st.ok())
      return database::to_error(st, "repair of " + data_dir + " failed");
  }
  {
    // Repair keeps only column families that held data: open once to recreate the empty ones
    // (an empty `dlq` is the normal case), and close cleanly.
    auto db = database::open({data_dir});
    if (!db)
      return make_error(code_of(db.error()),
                        "repaired, but the result does not open: " + message_of(db.error()));
    if (auto err = (*db)->mark_clean_shutdown())
      return err;
  }
  return inspect_data_dir(data_dir);
}

} // namespace vigil::storage
