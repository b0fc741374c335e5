#include "storage/event_log.hpp"

#include <algorithm>
#include <future>
#include <limits>
#include <unordered_map>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "runtime/model/errc.hpp"
#include "storage/codec.hpp"
#include "storage/database.hpp"
#include "storage/event_codec.hpp"

namespace vigil::storage {

namespace {

constexpr uint8_t dedup_format = 1;

struct dedup_entry {
  uint64_t seq = 0;
  int64_t expires_ns = 0;
  std::string id;
};

std::string encode_dedup(uint64_t seq, int64_t expires_ns, std::string_view id) {
  std::string out;
  out.reserve(20 + id.size());
  encoder enc{out};
  enc.u8(dedup_format);
  enc.fixed64(seq);
  enc.i64(expires_ns);
  enc.str(id);
  return out;
}

std::optional<dedup_entry> decode_dedup(std::string_view bytes) {
  decoder dec{bytes};
  if (dec.u8() != dedup_format)
    return std::nullopt;
  dedup_entry e;
  e.seq = dec.fixed64();
  e.expires_ns = dec.i64();
  e.id = std::string{dec.str()};
  if (!dec.ok())
    return std::nullopt;
  return e;
}

rocksdb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}

bool matches(const event_query& q, const model::event& e) {
  if (q.type && e.type != *q.type)
    return false;
  if (q.status && e.status != *q.status)
    return false;
  if (model::to_unix_nanos(q.since) != 0 && e.received_at < q.since)
    return false;
  return true;
}

} // namespace

std::string_view to_string(event_state s) noexcept {
  switch (s) {
    case event_state::accepted:
      return "accepted";
    case event_state::dispatched:
      return "dispatched";
    case event_state::drained:
      return "drained";
    case event_state::quarantined:
      return "quarantined";
  }
  return "accepted";
}

event_log::event_log(database& db, const model::clock& clk, model::sync_policy sync,
                     std::chrono::milliseconds dedup_window, uint64_t last_seq)
  : db_(db), clock_(clk), sync_(sync), dedup_window_(dedup_window), last_seq_(last_seq) {
  writer_ = std::thread{[this] { run_writer(); }};
}

caf::expected<std::unique_ptr<event_log>> event_log::open(database& db, const model::clock& clk,
                                                          model::sync_policy sync,
                                                          std::chrono::milliseconds dedup_window) {
  std::unique_ptr<rocksdb::Iterator> it{
    db.db().NewIterator(rocksdb::ReadOptions{}, db.handle(column::events))};
  it->SeekToLast();
  uint64_t last = 0;
  if (it->Valid()) {
    auto seq = parse_seq_key({it->key().data(), it->key().size()});
    if (!seq)
      return make_error(errc::storage_error, "the event log holds a malformed key");
    last = *seq;
  } else if (!it->status().ok()) {
    return database::to_error(it->status(), "cannot read the event log");
  }
  return std::unique_ptr<event_log>{new event_log(db, clk, sync, dedup_window, last)};
}

event_log::~event_log() {
  close();
}

void event_log::close() {
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

void event_log::append(std::vector<model::event> events, append_callback done) {
  pending p;
  p.keys.reserve(events.size());
  p.values.reserve(events.size());
  // Keys and encodings are computed here, on the caller's thread, to keep the single writer
  // lean (the encoding does not depend on the sequence number the writer assigns).
  for (const auto& e : events) {
    p.keys.push_back(dedup_key(e));
    encode_event(e, p.values.emplace_back());
  }
  p.events = std::move(events);
  p.done = std::move(done);
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (closing_) {
      append_result r;
      r.error = make_error(errc::unavailable, "the event log is closed");
      p.done(std::move(r));
      return;
    }
    queue_.push_back(std::move(p));
  }
  cv_.notify_one();
}

append_result event_log::append_sync(std::vector<model::event> events) {
  std::promise<append_result> promise;
  auto future = promise.get_future();
  append(std::move(events), [&promise](append_result&& r) { promise.set_value(std::move(r)); });
  return future.get();
}

void event_log::run_writer() {
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
      // One fsync per request: no request waits on another's bytes.
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

void event_log::commit(std::vector<pending>& group) {
  const auto started = std::chrono::steady_clock::now();
  const auto now = clock_.now();
  const int64_t now_ns = model::to_unix_nanos(now);
  const int64_t expires_ns = now_ns + std::chrono::nanoseconds{dedup_window_}.count();
  auto& db = db_.db();
  auto* dedup_cf = db_.handle(column::dedup);

  // 1. Look every key up in one MultiGet.
  std::vector<rocksdb::Slice> keys;
  std::size_t total = 0;
  for (const auto& p : group)
    total += p.keys.size();
  keys.reserve(total);
  for (const auto& p : group)
    for (const auto& k : p.keys)
      keys.push_back(slice(k));
  std::vector<rocksdb::PinnableSlice> values(total);
  std::vector<rocksdb::Status> statuses(total);
  if (total > 0)
    db.MultiGet(rocksdb::ReadOptions{}, dedup_cf, total, keys.data(), values.data(),
                statuses.data());

  // 2. Decide per event, in order; a repeat within the group refers to the earlier one.
  std::vector<append_result> results(group.size());
  std::unordered_map<std::string_view, std::string> fresh;
  rocksdb::WriteBatch batch;
  std::vector<std::pair<std::string_view, std::string>> dedup_puts;
  dedup_puts.reserve(total);
  uint64_t seq = last_seq_.load();
  std::size_t k = 0;
  for (std::size_t g = 0; g < group.size(); ++g) {
    auto& p = group[g];
    auto& r = results[g];
    const std::size_t n = p.events.size();
    // All or nothing: a failed lookup refuses the whole request before anything is staged.
    bool lookup_failed = false;
    for (std::size_t i = 0; i < n; ++i)
      lookup_failed = lookup_failed || (!statuses[k + i].ok() && !statuses[k + i].IsNotFound());
    if (lookup_failed) {
      r.error = make_error(errc::storage_error, "idempotency lookup failed");
      k += n;
      continue;
    }
    r.ids.resize(n);
    r.duplicate.assign(n, false);
    r.accepted.reserve(n);
    for (std::size_t i = 0; i < n; ++i, ++k) {
      const auto& key = p.keys[i];
      if (auto it = fresh.find(key); it != fresh.end()) {
        r.ids[i] = it->second;
        r.duplicate[i] = true;
        ++r.duplicates;
        continue;
      }
      if (statuses[k].ok()) {
        auto entry = decode_dedup({values[k].data(), values[k].size()});
        if (entry && entry->expires_ns > now_ns) {
          r.ids[i] = std::move(entry->id);
          r.duplicate[i] = true;
          ++r.duplicates;
          continue;
        }
      }
      auto& e = p.events[i];
      e.seq = ++seq;
      if (!e.client_id)
        e.id = model::derived_event_id(e.seq);
      // No state entry: an event without one is `accepted`, which saves a write per event.
      batch.Put(db_.handle(column::events), seq_key(e.seq), p.values[i]);
      dedup_puts.emplace_back(key, encode_dedup(e.seq, expires_ns, e.id));
      fresh.emplace(key, e.id);
      r.ids[i] = e.id;
      r.accepted.push_back(std::move(e));
    }
  }

  // Index entries go in key order: the memtable's skip list then reuses each insert's search
  // path for the next instead of walking down from the top for every random key.
  std::sort(dedup_puts.begin(), dedup_puts.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  for (const auto& [key, entry] : dedup_puts)
    batch.Put(dedup_cf, slice(key), entry);

  // 3. One write for the whole group.
  if (batch.Count() > 0) {
    if (auto err =
          db_.write(batch, sync_ != model::sync_policy::none, "cannot append to the event log")) {
      for (auto& r : results) {
        if (!r.error) {
          r = append_result{};
          r.error = err;
        }
      }
      seq = last_seq_.load();
    }
  }
  last_seq_.store(seq);
  stats_.groups.fetch_add(1, std::memory_order_relaxed);
  const auto took = std::chrono::steady_clock::now() - started;
  stats_.write_nanos.fetch_add(
    static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()),
    std::memory_order_relaxed);
  stats_.write_seconds.observe(std::chrono::duration<double>(took).count());

  // 4. Answer.
  for (std::size_t g = 0; g < group.size(); ++g) {
    auto& r = results[g];
    if (!r.error) {
      stats_.appended.fetch_add(r.accepted.size(), std::memory_order_relaxed);
      stats_.duplicates.fetch_add(r.duplicates, std::memory_order_relaxed);
    }
    group[g].done(std::move(r));
  }
}

caf::error event_log::set_state(const std::vector<uint64_t>& seqs, event_state state) {
  if (seqs.empty())
    return caf::none;
  rocksdb::WriteBatch batch;
  const char s = static_cast<char>(state);
  for (auto seq : seqs)
    batch.Put(db_.handle(column::event_state), seq_key(seq), rocksdb::Slice{&s, 1});
  return db_.write(batch, false, "cannot record event states");
}

caf::expected<uint32_t> event_log::record_failure(uint64_t seq) {
  const auto key = seq_key(seq);
  std::string state;
  auto st = db_.db().Get(rocksdb::ReadOptions{}, db_.handle(column::event_state), key, &state);
  if (!st.ok() && !st.IsNotFound())
    return database::to_error(st, "cannot read an event state");
  // `a` followed by the attempts so far (varint); a bare `a` or none is zero.
  uint32_t attempts = 0;
  if (st.ok() && state.size() > 1 && state[0] == static_cast<char>(event_state::accepted)) {
    decoder dec{std::string_view{state}.substr(1)};
    attempts = static_cast<uint32_t>(dec.varint());
  }
  ++attempts;
  std::string value(1, static_cast<char>(event_state::accepted));
  encoder{value}.varint(attempts);
  rocksdb::WriteBatch batch;
  batch.Put(db_.handle(column::event_state), key, value);
  if (auto err = db_.write(batch, false, "cannot record a failed attempt"))
    return err;
  return attempts;
}

caf::error event_log::quarantine(uint64_t seq, const std::string& reason, uint32_t attempts) {
  const auto key = seq_key(seq);
  std::string entry;
  encoder enc{entry};
  enc.u8(1);
  enc.str(reason);
  enc.varint(attempts);
  enc.i64(model::to_unix_nanos(clock_.now()));
  rocksdb::WriteBatch batch;
  batch.Put(db_.handle(column::dlq), key, entry);
  const char q = static_cast<char>(event_state::quarantined);
  batch.Put(db_.handle(column::event_state), key, rocksdb::Slice{&q, 1});
  return db_.write(batch, sync_ != model::sync_policy::none, "cannot quarantine an event");
}

caf::expected<std::vector<dead_letter>> event_log::dead_letters(std::size_t limit) const {
  std::vector<dead_letter> out;
  std::unique_ptr<rocksdb::Iterator> it{
    db_.db().NewIterator(rocksdb::ReadOptions{}, db_.handle(column::dlq))};
  for (it->SeekToFirst(); it->Valid() && out.size() < limit; it->Next()) {
    auto seq = parse_seq_key({it->key().data(), it->key().size()});
    if (!seq)
      continue;
    decoder dec{{it->value().data(), it->value().size()}};
    if (dec.u8() != 1)
      continue;
    dead_letter d;
    d.reason = std::string{dec.str()};
    d.attempts = static_cast<uint32_t>(dec.varint());
    d.at = model::from_unix_nanos(dec.i64());
    auto e = get(*seq);
    if (!dec.ok() || !e)
      continue;
    d.event = std::move(e->event);
    out.push_back(std::move(d));
  }
  if (!it->status().ok())
    return database::to_error(it->status(), "cannot read the dead letters");
  return out;
}

caf::expected<std::vector<model::event>>
event_log::requeue_dead_letters(const std::vector<uint64_t>& seqs) {
  auto letters = dead_letters(std::numeric_limits<std::size_t>::max());
  if (!letters)
    return std::move(letters.error());
  std::vector<model::event> out;
  rocksdb::WriteBatch batch;
  const char a = static_cast<char>(event_state::accepted);
  for (auto& d : *letters) {
    if (!seqs.empty() && std::find(seqs.begin(), seqs.end(), d.event.seq) == seqs.end())
      continue;
    const auto key = seq_key(d.event.seq);
    batch.Delete(db_.handle(column::dlq), key);
    batch.Put(db_.handle(column::event_state), key, rocksdb::Slice{&a, 1});
    out.push_back(std::move(d.event));
  }
  if (auto err = db_.write(batch, false, "cannot requeue dead letters"))
    return err;
  return out;
}

caf::expected<std::size_t> event_log::purge_dead_letters(const std::vector<uint64_t>& seqs) {
  rocksdb::WriteBatch batch;
  std::size_t n = 0;
  std::unique_ptr<rocksdb::Iterator> it{
    db_.db().NewIterator(rocksdb::ReadOptions{}, db_.handle(column::dlq))};
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto seq = parse_seq_key({it->key().data(), it->key().size()});
    if (!seq || (!seqs.empty() && std::find(seqs.begin(), seqs.end(), *seq) == seqs.end()))
      continue;
    batch.Delete(db_.handle(column::dlq), it->key());
    ++n;
  }
  if (auto err = db_.write(batch, false, "cannot purge dead letters"))
    return err;
  return n;
}

caf::expected<stored_event> event_log::get(uint64_t seq) const {
  std::string bytes;
  const auto key = seq_key(seq);
  auto st = db_.db().Get(rocksdb::ReadOptions{}, db_.handle(column::events), key, &bytes);
  if (st.IsNotFound())
    return make_error(errc::not_found, "no event with sequence " + std::to_string(seq));
  if (!st.ok())
    return database::to_error(st, "cannot read the event log");
  auto e = decode_event(seq, bytes);
  if (!e)
    return make_error(errc::storage_error, "event " + std::to_string(seq) + " is damaged");
  stored_event out{std::move(*e), event_state::accepted};
  std::string state;
  st = db_.db().Get(rocksdb::ReadOptions{}, db_.handle(column::event_state), key, &state);
  if (st.ok() && !state.empty())
    out.state = static_cast<event_state>(state[0]);
  return out;
}

caf::expected<std::vector<stored_event>> event_log::query(const event_query& q) const {
  std::vector<stored_event> out;
  std::unique_ptr<rocksdb::Iterator> it{
    db_.db().NewIterator(rocksdb::ReadOptions{}, db_.handle(column::events))};
  std::size_t scanned = 0;
  std::string state;
  for (it->SeekToLast(); it->Valid() && out.size() < q.limit && scanned < q.scan_limit;
       it->Prev()) {
    ++scanned;
    auto seq = parse_seq_key({it->key().data(), it->key().size()});
    if (!seq)
      continue;
    auto e = decode_event(*seq, {it->value().data(), it->value().size()});
    if (!e)
      continue;
    // Newest first: once past `since`, everything further back is older still.
    if (model::to_unix_nanos(q.since) != 0 && e->received_at < q.since)
      break;
    if (!matches(q, *e))
      continue;
    stored_event se{std::move(*e), event_state::accepted};
    auto st =
      db_.db().Get(rocksdb::ReadOptions{}, db_.handle(column::event_state), it->key(), &state);
    if (st.ok() && !state.empty())
      se.state = static_cast<event_state>(state[0]);
    if (q.state && se.state != *q.state)
      continue;
    out.push_back(std::move(se));
  }
  if (!it->status().ok())
    return database::to_error(it->status(), "cannot read the event log");
  return out;
}

caf::expected<std::vector<model::event>> event_log::undispatched() const {
  // Merge-join the log with the states: an event with no state entry, or `accepted`, is due.
  std::vector<model::event> out;
  std::unique_ptr<rocksdb::Iterator> events{
    db_.db().NewIterator(rocksdb::ReadOptions{}, db_.handle(column::events))};
  std::unique_ptr<rocksdb::Iterator> states{
    db_.db().NewIterator(rocksdb::ReadOptions{}, db_.handle(column::event_state))};
  states->SeekToFirst();
  for (events->SeekToFirst(); events->Valid(); events->Next()) {
    const auto key = events->key();
    while (states->Valid() && states->key().compare(key) < 0)
      states->Next();
    const bool has_state = states->Valid() && states->key() == key;
    if (has_state
        && (states->value().empty()
            || states->value()[0] != static_cast<char>(event_state::accepted)))
      continue;
    auto seq = parse_seq_key({key.data(), key.size()});
    if (!seq)
      continue;
    if (auto e = decode_event(*seq, {events->value().data(), events->value().size()}))
      out.push_back(std::move(*e));
  }
  if (!events->status().ok())
    return database::to_error(events->status(), "cannot read the event log");
  if (!states->status().ok())
    return database::to_error(states->status(), "cannot read event states");
  return out;
}

} // namespace vigil::storage
