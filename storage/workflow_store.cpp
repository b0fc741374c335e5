#include "storage/workflow_store.hpp"

#include <limits>

#include <chrono>
#include <future>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "runtime/model/errc.hpp"
#include "runtime/model/logger.hpp"
#include "storage/codec.hpp"
#include "storage/database.hpp"
#include "storage/event_log.hpp"

namespace vigil::storage {

namespace {

constexpr vigil::log::logger logger{"storage"};

// The `workflows` family holds two kinds of keys: checkpoints under "wf-<16 hex>" and runbook
// texts under "rb:<sha256>". Iterations over runs are bounded to ["wf-", "wf.") so that they
// never see a runbook text ('.' is the byte after '-').
constexpr std::string_view run_prefix = "wf-";
constexpr std::string_view run_prefix_end = "wf.";
constexpr std::string_view runbook_prefix = "rb:";

/// Listings stop after looking at this many checkpoints.
constexpr std::size_t list_scan_limit = 100'000;

rocksdb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}

std::string_view view(const rocksdb::Slice& s) {
  return {s.data(), s.size()};
}

bool is_run_id(std::string_view id) {
  return id.size() > run_prefix.size() && id.substr(0, run_prefix.size()) == run_prefix
         && id.find('\0') == std::string_view::npos;
}

/// An iterator over the run checkpoints of `workflows` (keys `wf-...`); `fill_cache` false for
/// scans that walk everything once.
std::unique_ptr<rocksdb::Iterator> run_iterator(database& db, bool fill_cache) {
  static const rocksdb::Slice lower{run_prefix.data(), run_prefix.size()};
  static const rocksdb::Slice upper{run_prefix_end.data(), run_prefix_end.size()};
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower;
  ro.iterate_upper_bound = &upper;
  ro.fill_cache = fill_cache;
  return std::unique_ptr<rocksdb::Iterator>{db.db().NewIterator(ro, db.handle(column::workflows))};
}

std::string runbook_key(std::string_view sha256) {
  std::string key{runbook_prefix};
  key.append(sha256.data(), sha256.size());
  return key;
}

/// Refuses what would land outside the key layout (a run id is also a key prefix).
caf::error validate(const workflow_write& w) {
  for (const auto& r : w.records)
    if (!is_run_id(r.id))
      return make_error(errc::invalid_argument,
                        "workflow id '" + r.id + "' does not have the form wf-<hex>");
  for (const auto& [id, entry] : w.log)
    if (!is_run_id(id))
      return make_error(errc::invalid_argument, "log entry for workflow id '" + id
                                                  + "' that does not have the form wf-<hex>");
  for (const auto& [sha256, text] : w.runbook_sources)
    if (sha256.empty())
      return make_error(errc::invalid_argument, "a runbook text without its digest");
  return caf::none;
}

void warn_damaged(std::string_view what, std::string_view key) {
  logger.warn("skipping an unreadable workflow value (damaged or written by a newer Vigil)",
              {{"kind", what}, {"key", key}});
}

/// The error for a stored checkpoint that does not decode.
caf::error undecodable(const std::string& id, std::string_view bytes) {
  if (!bytes.empty() && static_cast<uint8_t>(bytes[0]) > workflow_format_version)
    return make_error(errc::format_too_new,
                      "workflow " + id + " was written by a newer Vigil (format "
                        + std::to_string(static_cast<uint8_t>(bytes[0])) + "); run a newer Vigil");
  return make_error(errc::storage_error, "workflow " + id + " is damaged");
}

} // namespace

workflow_store::workflow_store(database& db, model::sync_policy sync) : db_(db), sync_(sync) {
  writer_ = std::thread{[this] { run_writer(); }};
}

workflow_store::~workflow_store() {
  close();
}

// -- writing ---------------------------------------------------------------------------

void workflow_store::write(workflow_write w, done_fn done) {
  if (auto err = validate(w)) {
    done(std::move(err));
    return;
  }
  pending p;
  // Encoded here, on the caller's thread, to keep the single writer lean.
  p.values.resize(w.records.size() + w.log.size());
  for (std::size_t i = 0; i < w.records.size(); ++i)
    encode_workflow(w.records[i], p.values[i]);
  for (std::size_t i = 0; i < w.log.size(); ++i)
    encode_workflow_log_entry(w.log[i].second, p.values[w.records.size() + i]);
  p.w = std::move(w);
  p.done = std::move(done);
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!closing_) {
      queue_.push_back(std::move(p));
      cv_.notify_one();
      return;
    }
  }
  p.done(make_error(errc::unavailable, "the workflow store is closed"));
}

caf::error workflow_store::write_sync(workflow_write w) {
  std::promise<caf::error> promise;
  auto future = promise.get_future();
  write(std::move(w), [&promise](caf::error err) { promise.set_value(std::move(err)); });
  return future.get();
}

void workflow_store::close() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (closing_)
      return;
    closing_ = true;
  }
  cv_.notify_one();
  if (writer_.joinable())
    writer_.join();
}

void workflow_store::run_writer() {
  std::vector<pending> group;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock{mtx_};
      cv_.wait(lock, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty() && closing_)
        return;
      // Everything that arrived while the previous group was being written forms this group.
      group.swap(queue_);
    }
    if (sync_ == model::sync_policy::always) {
      // One fsync per write: no run waits on another's bytes.
      for (auto& p : group) {
        std::vector<pending> one;
        one.push_back(std::move(p));
        commit(one);
      }
    } else {
      commit(group);
    }
    group.clear();
  }
}

void workflow_store::commit(std::vector<pending>& group) {
  const auto started = std::chrono::steady_clock::now();
  auto* runs = db_.handle(column::workflows);
  auto* timeline = db_.handle(column::workflow_log);
  auto* states = db_.handle(column::event_state);
  const char dispatched = static_cast<char>(event_state::dispatched);

  // Batch order is queue order, so a later checkpoint of the same run wins.
  rocksdb::WriteBatch batch;
  for (const auto& p : group) {
    const auto& w = p.w;
    for (std::size_t i = 0; i < w.records.size(); ++i)
      batch.Put(runs, w.records[i].id, p.values[i]);
    for (std::size_t i = 0; i < w.log.size(); ++i)
      batch.Put(timeline, workflow_log_key(w.log[i].first, w.log[i].second.seq),
                p.values[w.records.size() + i]);
    for (auto seq : w.dispatched)
      batch.Put(states, seq_key(seq), rocksdb::Slice{&dispatched, 1});
    for (const auto& [sha256, text] : w.runbook_sources)
      batch.Put(runs, runbook_key(sha256), text);
  }

  caf::error err;
  if (batch.Count() > 0) {
    err = db_.write(batch, sync_ != model::sync_policy::none, "cannot write workflow state");
  }
  stats_.groups.fetch_add(1, std::memory_order_relaxed);
  stats_.writes.fetch_add(group.size(), std::memory_order_relaxed);
  const auto took = std::chrono::steady_clock::now() - started;
  stats_.write_nanos.fetch_add(
    static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()),
    std::memory_order_relaxed);
  stats_.write_seconds.observe(std::chrono::duration<double>(took).count());

  for (auto& p : group)
    p.done(err);
}

// -- reading ---------------------------------------------------------------------------

caf::expected<model::workflow_record> workflow_store::get(const std::string& id) const {
  if (!is_run_id(id))
    return make_error(errc::not_found, "no workflow with id " + id);
  std::string bytes;
  auto st = db_.db().Get(rocksdb::ReadOptions{}, db_.handle(column::workflows), id, &bytes);
  if (st.IsNotFound())
    return make_error(errc::not_found, "no workflow with id " + id);
  if (!st.ok())
    return database::to_error(st, "cannot read workflow " + id);
  auto r = decode_workflow(bytes);
  if (!r)
    return undecodable(id, bytes);
  return std::move(*r);
}

caf::expected<std::vector<model::workflow_record>>
workflow_store::list(const workflow_query& q) const {
  std::vector<model::workflow_record> out;
  auto it = run_iterator(db_, true);
  const bool bounded = model::to_unix_nanos(q.since) != 0;
  std::size_t scanned = 0;
  // Ids sort by creation time, so walking backwards lists the newest first. `since` does not
  // end the walk: an id's time comes from the caller, not necessarily `created_at`.
  for (it->SeekToLast(); it->Valid() && out.size() < q.limit && scanned < list_scan_limit;
       it->Prev()) {
    ++scanned;
    const auto value = view(it->value());
    auto summary = peek_workflow(value);
    if (!summary) {
      warn_damaged("checkpoint", view(it->key()));
      continue;
    }
    if ((q.state && summary->state != *q.state)
        || (q.states != 0 && (q.states & state_bit(summary->state)) == 0)
        || (bounded && summary->created_at < q.since))
      continue;
    auto r = decode_workflow(value);
    if (!r) {
      warn_damaged("checkpoint", view(it->key()));
      continue;
    }
    if (!q.runbook.empty() && r->runbook != q.runbook && r->runbook_path != q.runbook)
      continue;
    out.push_back(std::move(*r));
  }
  if (!it->status().ok())
    return database::to_error(it->status(), "cannot list workflows");
  return out;
}

caf::expected<std::vector<std::string>>
workflow_store::finished_before(model::timestamp before) const {
  std::vector<std::string> out;
  auto it = run_iterator(db_, false);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const auto summary = peek_workflow(view(it->value()));
    if (!summary) {
      warn_damaged("checkpoint", view(it->key()));
      continue;
    }
    if (model::is_terminal(summary->state) && summary->created_at < before)
      out.emplace_back(view(it->key())); // the key is the id
  }
  if (!it->status().ok())
    return database::to_error(it->status(), "cannot list finished workflows");
  return out;
}

caf::expected<std::vector<model::workflow_record>> workflow_store::unfinished() const {
  std::vector<model::workflow_record> out;
  auto it = run_iterator(db_, true);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const auto value = view(it->value());
    auto summary = peek_workflow(value);
    if (summary && model::is_terminal(summary->state))
      continue;
    auto r = summary ? decode_workflow(value) : std::nullopt;
    if (!r) {
      // Resuming the others matters more than this one; the warning names it for an operator.
      warn_damaged("checkpoint", view(it->key()));
      continue;
    }
    out.push_back(std::move(*r));
  }
  if (!it->status().ok())
    return database::to_error(it->status(), "cannot list unfinished workflows");
  return out;
}

caf::expected<std::vector<model::workflow_log_entry>>
workflow_store::log(const std::string& id) const {
  std::vector<model::workflow_log_entry> out;
  std::string lower_key = id;
  lower_key.push_back('\0');
  std::string upper_key = id;
  upper_key.push_back('\1');
  const auto lower = slice(lower_key);
  const auto upper = slice(upper_key);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it{db_.db().NewIterator(ro, db_.handle(column::workflow_log))};
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const auto key = view(it->key());
    auto seq = parse_seq_key(key.substr(lower_key.size()));
    auto entry = seq ? decode_workflow_log_entry(*seq, view(it->value())) : std::nullopt;
    if (!entry) {
      warn_damaged("log entry", id);
      continue;
    }
    out.push_back(std::move(*entry));
  }
  if (!it->status().ok())
    return database::to_error(it->status(), "cannot read the log of workflow " + id);
  if (out.empty()) {
    // An unknown run is an error; a known one may have an empty timeline.
    auto r = get(id);
    if (!r && code_of(r.error()) == errc::not_found)
      return std::move(r.error());
  }
  return out;
}

caf::expected<std::string> workflow_store::runbook_source(const std::string& sha256) const {
  std::string text;
  auto st =
    db_.db().Get(rocksdb::ReadOptions{}, db_.handle(column::workflows), runbook_key(sha256), &text);
  if (st.IsNotFound() || sha256.empty())
    return make_error(errc::not_found, "no runbook text with digest " + sha256);
  if (!st.ok())
    return database::to_error(st, "cannot read the runbook text " + sha256);
  return text;
}

caf::expected<std::size_t> workflow_store::remove(const std::vector<std::string>& ids) {
  rocksdb::WriteBatch batch;
  std::size_t n = 0;
  for (const auto& id : ids) {
    auto rec = get(id);
    if (!rec || !model::is_terminal(rec->state))
      continue;
    batch.Delete(db_.handle(column::workflows), id);
    // The timeline: every key with this id's prefix.
    const auto begin = workflow_log_key(id, 0);
    const auto end = workflow_log_key(id, std::numeric_limits<uint64_t>::max());
    batch.DeleteRange(db_.handle(column::workflow_log), begin, end);
    batch.Delete(db_.handle(column::workflow_log), end);
    ++n;
  }
  if (n == 0)
    return n;
  if (auto err = db_.write(batch, false, "cannot remove workflow runs"))
    return err;
  return n;
}

} // namespace vigil::storage
