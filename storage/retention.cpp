#include "storage/retention.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <unistd.h>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "runtime/model/errc.hpp"
#include "runtime/model/json_writer.hpp"
#include "runtime/model/workflow_json.hpp"
#include "storage/codec.hpp"
#include "storage/database.hpp"
#include "storage/event_codec.hpp"
#include "storage/event_log.hpp"
#include "storage/workflow_store.hpp"

namespace vigil::storage {

namespace {

/// Deletes per write batch: a sweep after a long stop may find millions of expired keys, and
/// one batch of them all would hold them all in memory at once.
constexpr uint32_t batch_limit = 10'000;

} // namespace

caf::expected<retention_report> sweep(database& db, workflow_store& store,
                                      model::timestamp runs_before, model::timestamp events_before,
                                      model::timestamp now) {
  retention_report rep;
  // Runs.
  auto ids = store.finished_before(runs_before);
  if (!ids)
    return std::move(ids.error());
  for (std::size_t from = 0; from < ids->size(); from += batch_limit) {
    const auto to = std::min(ids->size(), from + std::size_t{batch_limit});
    auto removed = store.remove({ids->begin() + static_cast<std::ptrdiff_t>(from),
                                 ids->begin() + static_cast<std::ptrdiff_t>(to)});
    if (!removed)
      return std::move(removed.error());
    rep.runs += *removed;
  }

  // Events: oldest first, while older than the cutoff; only dispatched ones go.
  auto& raw = db.db();
  rocksdb::WriteBatch batch;
  auto flush = [&]() -> caf::error {
    if (batch.Count() == 0)
      return {};
    auto err = db.write(batch, false, "cannot remove expired data");
    batch.Clear();
    return err;
  };
  rocksdb::ReadOptions scan;
  scan.fill_cache = false; // a sweep walks everything once: keep the cache for the hot set
  std::unique_ptr<rocksdb::Iterator> it{raw.NewIterator(scan, db.handle(column::events))};
  std::string state;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto seq = parse_seq_key({it->key().data(), it->key().size()});
    if (!seq)
      continue;
    auto e = decode_event(*seq, {it->value().data(), it->value().size()});
    if (!e)
      continue;
    if (e->received_at >= events_before)
      break;
    auto st = raw.Get(scan, db.handle(column::event_state), it->key(), &state);
    if (!st.ok() || state.empty() || state[0] != static_cast<char>(event_state::dispatched))
      continue;
    batch.Delete(db.handle(column::events), it->key());
    batch.Delete(db.handle(column::event_state), it->key());
    ++rep.events;
    if (batch.Count() >= batch_limit)
      if (auto err = flush())
        return err;
  }
  // Idempotency keys past their window.
  std::unique_ptr<rocksdb::Iterator> dit{raw.NewIterator(scan, db.handle(column::dedup))};
  const int64_t now_ns = model::to_unix_nanos(now);
  for (dit->SeekToFirst(); dit->Valid(); dit->Next()) {
    decoder dec{{dit->value().data(), dit->value().size()}};
    (void)dec.u8();
    (void)dec.fixed64();
    const int64_t expires = dec.i64();
    if (dec.ok() && expires <= now_ns) {
      batch.Delete(db.handle(column::dedup), dit->key());
      ++rep.dedup;
      if (batch.Count() >= batch_limit)
        if (auto err = flush())
          return err;
    }
  }
  if (auto err = flush())
    return err;
  return rep;
}

caf::expected<std::size_t> archive_runs(workflow_store& store, model::timestamp before,
                                        const std::string& path) {
  auto ids = store.finished_before(before);
  if (!ids)
    return std::move(ids.error());
  std::FILE* f = std::fopen(path.c_str(), "ae");
  if (f == nullptr)
    return make_error(errc::io_error, "cannot open " + path + " for writing");
  std::vector<std::string> archived;
  archived.reserve(ids->size());
  for (const auto& id : *ids) {
    auto r = store.get(id);
    if (!r)
      continue; // removed meanwhile, or damaged (the store warned): not archived, not removed
    model::json_writer w;
    w.begin_object().key("run");
    model::write_workflow_json(w, *r, true);
    w.key("logs").begin_array();
    if (auto entries = store.log(id))
      for (const auto& e : *entries)
        model::write_log_entry_json(w, e);
    w.end_array().end_object();
    auto line = std::move(w).str();
    line += '\n';
    if (std::fwrite(line.data(), 1, line.size(), f) != line.size()) {
      std::fclose(f);
      return make_error(errc::io_error, "cannot write " + path);
    }
    archived.push_back(id);
  }
  // Durable before anything is removed.
  const bool synced = std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  std::fclose(f);
  if (!synced)
    return make_error(errc::io_error, "cannot sync " + path);
  auto removed = store.remove(archived);
  if (!removed)
    return std::move(removed.error());
  return *removed;
}

} // namespace vigil::storage
