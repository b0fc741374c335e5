#include "storage/retention.hpp"

#include <cstdio>
#include <limits>
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

/// Finished runs created before `before`, oldest first.
caf::expected<std::vector<model::workflow_record>> finished_before(workflow_store& store,
                                                                   model::timestamp before) {
  workflow_query q;
  q.limit = std::numeric_limits<std::size_t>::max();
  auto all = store.list(q);
  if (!all)
    return std::move(all.error());
  std::vector<model::workflow_record> out;
  for (auto it = all->rbegin(); it != all->rend(); ++it)
    if (model::is_terminal(it->state) && it->created_at < before)
      out.push_back(std::move(*it));
  return out;
}

} // namespace

caf::expected<retention_report> sweep(database& db, workflow_store& store,
                                      model::timestamp runs_before, model::timestamp events_before,
                                      model::timestamp now) {
  retention_report rep;
  // Runs.
  auto runs = finished_before(store, runs_before);
  if (!runs)
    return std::move(runs.error());
  std::vector<std::string> ids;
  ids.reserve(runs->size());
  for (const auto& r : *runs)
    ids.push_back(r.id);
  auto removed = store.remove(ids);
  if (!removed)
    return std::move(removed.error());
  rep.runs = *removed;

  // Events: oldest first, while older than the cutoff; only dispatched ones go.
  auto& raw = db.db();
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it{
    raw.NewIterator(rocksdb::ReadOptions{}, db.handle(column::events))};
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
    auto st = raw.Get(rocksdb::ReadOptions{}, db.handle(column::event_state), it->key(), &state);
    if (!st.ok() || state.empty() || state[0] != static_cast<char>(event_state::dispatched))
      continue;
    batch.Delete(db.handle(column::events), it->key());
    batch.Delete(db.handle(column::event_state), it->key());
    ++rep.events;
  }
  // Idempotency keys past their window.
  std::unique_ptr<rocksdb::Iterator> dit{
    raw.NewIterator(rocksdb::ReadOptions{}, db.handle(column::dedup))};
  const int64_t now_ns = model::to_unix_nanos(now);
  for (dit->SeekToFirst(); dit->Valid(); dit->Next()) {
    decoder dec{{dit->value().data(), dit->value().size()}};
    (void)dec.u8();
    (void)dec.fixed64();
    const int64_t expires = dec.i64();
    if (dec.ok() && expires <= now_ns) {
      batch.Delete(db.handle(column::dedup), dit->key());
      ++rep.dedup;
    }
  }
  if (batch.Count() > 0) {
    if (auto err = db.write(batch, false, "cannot remove expired data"))
      return err;
  }
  return rep;
}

caf::expected<std::size_t> archive_runs(workflow_store& store, model::timestamp before,
                                        const std::string& path) {
  auto runs = finished_before(store, before);
  if (!runs)
    return std::move(runs.error());
  std::FILE* f = std::fopen(path.c_str(), "ae");
  if (f == nullptr)
    return make_error(errc::io_error, "cannot open " + path + " for writing");
  std::vector<std::string> ids;
  for (const auto& r : *runs) {
    model::json_writer w;
    w.begin_object().key("run");
    model::write_workflow_json(w, r, true);
    w.key("logs").begin_array();
    if (auto entries = store.log(r.id))
      for (const auto& e : *entries)
        model::write_log_entry_json(w, e);
    w.end_array().end_object();
    auto line = std::move(w).str();
    line += '\n';
    if (std::fwrite(line.data(), 1, line.size(), f) != line.size()) {
      std::fclose(f);
      return make_error(errc::io_error, "cannot write " + path);
    }
    ids.push_back(r.id);
  }
  // Durable before anything is removed.
  const bool synced = std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  std::fclose(f);
  if (!synced)
    return make_error(errc::io_error, "cannot sync " + path);
  auto removed = store.remove(ids);
  if (!removed)
    return std::move(removed.error());
  return *removed;
}

} // namespace vigil::storage
