#include "actors/workflow_manager.hpp"

#include <deque>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/logger.hpp"
#include "actors/messages.hpp"
#include "actors/workflow_run.hpp"
#include "runtime/model/errc.hpp"

namespace vigil::actors {

namespace {

using model::workflow_state;

/// A run that is persisted but not running: it waits for a slot.
struct waiting_run {
  model::workflow_record rec;
  runbook::runbook_ptr book;
};

/// Runs whose creation is being written.
struct creating_batch {
  std::optional<model::event> event; ///< the trigger, to report if the write fails
  std::vector<waiting_run> runs;
  std::vector<bool> start_now;
  std::vector<std::string> new_sources;
  caf::response_promise promise; ///< execute: answered with the id
  bool answers = false;
};

struct manager_state {
  static inline const char* name = "vigil.workflow_manager";

  engine* eng = nullptr;
  struct slot {
    caf::actor actor;
    std::string runbook;
    uint64_t fingerprint = 0;
    std::string key;
    std::chrono::milliseconds dedup_window{0}; ///< the runbook's, when the run started
  };
  /// When a run of (runbook, alert) last finished, and until when that matters (its runbook's
  /// `dedup_window` then). Dropped once past: the map holds the alerts of one window, not every
  /// alert ever seen.
  struct finish_mark {
    model::timestamp at{};
    model::timestamp forget_at{};
  };
  std::unordered_map<std::string, slot> active;
  /// Parked runs out of memory: when they wake (0: when addressed).
  std::unordered_map<std::string, slot> hibernated;
  /// Every run's timers: due time (unix nanos) → (run id, the run's token). A due timer goes
  /// to the run's actor, or wakes the run when it hibernates; one for a run that ended is dropped.
  std::multimap<int64_t, std::pair<std::string, uint64_t>> timers;
  uint64_t wake_token = 0;
  int64_t armed_for = 0;
  std::deque<waiting_run> waiting;
  std::size_t starting = 0; ///< runs being written that start at once
  std::map<std::pair<std::string, uint64_t>, std::string> by_runbook_fp;
  std::unordered_multimap<uint64_t, std::string> by_fp;
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> by_key;
  std::map<std::pair<std::string, uint64_t>, finish_mark> last_finished;
  uint32_t finishes_since_prune = 0;
  std::unordered_set<std::string> stored_sources;
  std::unordered_map<uint64_t, creating_batch> creating;
  uint64_t next_batch = 0;
  uint32_t counter = 0;

  [[nodiscard]] std::size_t reserved() const {
    return active.size() + hibernated.size() + starting;
  }

  void index(const model::workflow_record& rec) {
    by_runbook_fp[{rec.runbook, rec.trigger.fingerprint}] = rec.id;
    by_fp.emplace(rec.trigger.fingerprint, rec.id);
    if (!rec.concurrency_key.empty())
      by_key[{rec.runbook, rec.concurrency_key}].push_back(rec.id);
  }

  void unindex(const std::string& id, const std::string& runbook, uint64_t fp,
               const std::string& key) {
    auto it = by_runbook_fp.find({runbook, fp});
    if (it != by_runbook_fp.end() && it->second == id)
      by_runbook_fp.erase(it);
    for (auto [b, e] = by_fp.equal_range(fp); b != e; ++b) {
      if (b->second == id) {
        by_fp.erase(b);
        break;
      }
    }
    if (!key.empty()) {
      auto kit = by_key.find({runbook, key});
      if (kit != by_key.end()) {
        auto& ids = kit->second;
        ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
        if (ids.empty())
          by_key.erase(kit);
      }
    }
  }

  /// Runs of `runbook` with `key` that are running or about to.
  [[nodiscard]] std::size_t running_with_key(const std::string& runbook,
                                             const std::string& key) const {
    auto it = by_key.find({runbook, key});
    if (it == by_key.end())
      return 0;
    std::size_t n = 0;
    for (const auto& id : it->second)
      if (active.count(id) > 0 || hibernated.count(id) > 0)
        ++n;
    return n;
  }
};

using self_ptr = caf::stateful_actor<manager_state>*;

model::workflow_record make_record(manager_state& st, const runbook::runbook& book,
                                   const model::event& e, std::string key,
                                   const std::map<std::string, std::string>& params) {
  const auto now = st.eng->clock->now();
  model::workflow_record rec;
  rec.id = model::make_workflow_id(now, st.counter++);
  rec.runbook = book.name;
  rec.runbook_path = book.path;
  rec.runbook_sha256 = book.sha256;
  rec.state = workflow_state::pending;
  rec.created_at = now;
  rec.updated_at = now;
  rec.params = book.parameters;
  for (const auto& [k, v] : params)
    rec.params[k] = v;
  rec.event_seq = e.seq;
  rec.trigger = e;
  rec.concurrency_key = std::move(key);
  rec.steps.reserve(book.steps.size());
  for (const auto& s : book.steps) {
    model::step_record sr;
    sr.name = s.name;
    rec.steps.push_back(std::move(sr));
  }
  return rec;
}

std::string render_key(const runbook::runbook& book, const model::event& e,
                       const std::map<std::string, std::string>& params) {
  if (!book.concurrency.key)
    return {};
  runbook::render_context ctx;
  ctx.event = &e;
  ctx.params = &params;
  return book.concurrency.key->render(ctx);
}

void spawn_run(self_ptr self, waiting_run run) {
  auto& st = self->state;
  manager_state::slot s;
  s.runbook = run.rec.runbook;
  s.fingerprint = run.rec.trigger.fingerprint;
  s.key = run.rec.concurrency_key;
  s.dedup_window = run.book->dedup_window;
  const auto id = run.rec.id;
  s.actor = spawn_workflow_run(self->system(), st.eng, caf::actor_cast<caf::actor>(self),
                               std::move(run.book), std::move(run.rec));
  st.active.emplace(id, std::move(s));
}

/// Remembers that a run of `slot` finished now (for its runbook's `dedup_window`); every 1024
/// finishes, forgets the marks whose window has passed.
void remember_finish(manager_state& st, const manager_state::slot& slot) {
  const auto now = st.eng->clock->now();
  if (slot.dedup_window.count() > 0) {
    auto [it, added] = st.last_finished.insert_or_assign(
      {slot.runbook, slot.fingerprint},
      manager_state::finish_mark{
        now, now + std::chrono::duration_cast<std::chrono::nanoseconds>(slot.dedup_window)});
    if (added)
      st.eng->stats.recently_finished.fetch_add(1, std::memory_order_relaxed);
  }
  if (++st.finishes_since_prune < 1024)
    return;
  st.finishes_since_prune = 0;
  for (auto it = st.last_finished.begin(); it != st.last_finished.end();) {
    if (it->second.forget_at <= now) {
      it = st.last_finished.erase(it);
      st.eng->stats.recently_finished.fetch_sub(1, std::memory_order_relaxed);
    } else {
      ++it;
    }
  }
}

/// Arms the manager's one timer for the earliest wake-up.
void arm_wakes(self_ptr self) {
  auto& st = self->state;
  if (st.timers.empty())
    return;
  const int64_t earliest = st.timers.begin()->first;
  if (earliest == st.armed_for)
    return;
  st.armed_for = earliest;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    model::from_unix_nanos(earliest) - st.eng->clock->now());
  if (left.count() <= 0)
    self->send(self, wake_atom::value, ++st.wake_token);
  else
    self->delayed_send(self, left, wake_atom::value, ++st.wake_token);
}

/// Brings a hibernated run back from its checkpoint; false when it cannot.
bool wake(self_ptr self, const std::string& id) {
  auto& st = self->state;
  auto it = st.hibernated.find(id);
  if (it == st.hibernated.end())
    return false;
  auto slot = std::move(it->second);
  st.hibernated.erase(it);
  st.eng->stats.hibernated.fetch_sub(1, std::memory_order_relaxed);
  auto rec = st.eng->store->get(id);
  auto book = rec && st.eng->resolve_runbook ? st.eng->resolve_runbook(*rec) : nullptr;
  if (!rec || !book) {
    engine_log.error("cannot wake a parked run", {{"workflow_id", id}});
    st.unindex(id, slot.runbook, slot.fingerprint, slot.key);
    return false;
  }
  slot.actor = spawn_workflow_run(self->system(), st.eng, caf::actor_cast<caf::actor>(self),
                                  std::move(book), std::move(*rec), true);
  st.active.emplace(id, std::move(slot));
  return true;
}

/// Starts waiting runs, in order, while there are slots.
void admit(self_ptr self) {
  auto& st = self->state;
  for (auto it = st.waiting.begin();
       it != st.waiting.end() && st.reserved() < st.eng->options.max_concurrent;) {
    const auto& rec = it->rec;
    const auto& conc = it->book->concurrency;
    if (!rec.concurrency_key.empty()
        && st.running_with_key(rec.runbook, rec.concurrency_key) >= conc.max) {
      ++it;
      continue;
    }
    auto run = std::move(*it);
    it = st.waiting.erase(it);
    st.eng->stats.pending.fetch_sub(1, std::memory_order_relaxed);
    spawn_run(self, std::move(run));
  }
}

/// Persists `batch` (and `w`); the runs start once it is durable.
void persist_batch(self_ptr self, storage::workflow_write w, creating_batch batch) {
  auto& st = self->state;
  if (w.records.empty() && w.dispatched.empty()) {
    if (batch.answers)
      batch.promise.deliver(make_error(errc::internal, "nothing to create"));
    return;
  }
  const auto id = ++st.next_batch;
  st.creating.emplace(id, std::move(batch));
  auto me = caf::actor_cast<caf::actor>(self);
  st.eng->persist(std::move(w), [me, id](caf::error err) {
    caf::anon_send(me, created_atom::value, id, std::move(err));
  });
}

/// Adds the creation of a run to `w`.
void stage(manager_state& st, storage::workflow_write& w, creating_batch& batch, waiting_run run,
           bool start_now, const std::string& why) {
  auto& rec = run.rec;
  model::workflow_log_entry e;
  e.seq = ++rec.log_seq;
  e.at = rec.created_at;
  e.kind = "created";
  e.message = why;
  w.log.emplace_back(rec.id, std::move(e));
  w.records.push_back(rec);
  if (st.stored_sources.insert(run.book->sha256).second) {
    w.runbook_sources.emplace_back(run.book->sha256, run.book->source);
    batch.new_sources.push_back(run.book->sha256);
  }
  st.index(rec);
  if (start_now)
    ++st.starting;
  batch.runs.push_back(std::move(run));
  batch.start_now.push_back(start_now);
}

caf::error unknown_or_ended(self_ptr self, const std::string& id) {
  if (self->state.eng->store != nullptr) {
    if (auto rec = self->state.eng->store->get(id))
      return make_error(errc::conflict, "workflow " + id + " is "
                                          + std::string{model::to_string(rec->state)}
                                          + " and takes no more commands");
  }
  return make_error(errc::not_found, "no workflow with id " + id);
}

/// The final state of a run that has ended (not in memory, terminal in the store); nullopt
/// otherwise. Cancel and kill of such a run change nothing and answer it: what they ensure (the
/// run does nothing more) already holds, so a `cancel` then `kill` is never an error.
std::optional<std::string> ended_state(self_ptr self, const std::string& id) {
  auto& st = self->state;
  if (st.active.count(id) > 0 || st.hibernated.count(id) > 0 || st.eng->store == nullptr)
    return std::nullopt;
  auto rec = st.eng->store->get(id);
  if (!rec || !model::is_terminal(rec->state))
    return std::nullopt;
  return std::string{model::to_string(rec->state)};
}

/// Forwards a command to the run's actor and relays its answer.
template <class... Ts>
void forward_to(self_ptr self, const std::string& id, caf::response_promise rp, bool retry,
                Ts... xs) {
  auto& st = self->state;
  if (st.hibernated.count(id) > 0)
    wake(self, id);
  auto it = st.active.find(id);
  if (it == st.active.end()) {
    rp.deliver(unknown_or_ended(self, id));
    return;
  }
  self->request(it->second.actor, caf::infinite, xs...)
    .then([rp](std::string& s) mutable { rp.deliver(std::move(s)); },
          [self, id, rp, retry, xs...](caf::error& err) mutable {
            // The run may have hibernated just before taking the command: wake it, ask again.
            if (retry && self->state.hibernated.count(id) > 0)
              forward_to(self, id, rp, false, xs...);
            else
              rp.deliver(std::move(err));
          });
}

template <class... Ts>
caf::result<std::string> forward(self_ptr self, const std::string& id, Ts... xs) {
  auto rp = self->make_response_promise<std::string>();
  forward_to(self, id, rp, true, xs...);
  return rp;
}

/// Cancels a run that is waiting for a slot.
bool cancel_waiting(self_ptr self, const std::string& id, const std::string& reason) {
  auto& st = self->state;
  auto it = std::find_if(st.waiting.begin(), st.waiting.end(),
                         [&](const waiting_run& r) { return r.rec.id == id; });
  if (it == st.waiting.end())
    return false;
  auto rec = std::move(it->rec);
  st.waiting.erase(it);
  st.eng->stats.pending.fetch_sub(1, std::memory_order_relaxed);
  st.eng->stats.cancelled.fetch_add(1, std::memory_order_relaxed);
  st.unindex(rec.id, rec.runbook, rec.trigger.fingerprint, rec.concurrency_key);
  const auto now = st.eng->clock->now();
  rec.state = workflow_state::cancelled;
  rec.reason = reason;
  rec.finished_at = now;
  rec.updated_at = now;
  storage::workflow_write w;
  model::workflow_log_entry e;
  e.seq = ++rec.log_seq;
  e.at = now;
  e.kind = "state";
  e.message = "cancelled: " + reason;
  w.log.emplace_back(rec.id, std::move(e));
  w.records.push_back(std::move(rec));
  st.eng->persist(std::move(w), [](const caf::error& err) {
    if (err)
      engine_log.error("cannot record a cancelled pending run", {{"error", describe(err)}});
  });
  return true;
}

} // namespace

caf::actor spawn_workflow_manager(caf::actor_system& sys, engine* eng) {
  // An argument, not a capture: see spawn_workflow_run on CAF's empty argument tuple.
  auto fn = [](caf::stateful_actor<manager_state>* self, engine* eng) -> caf::behavior {
    self->state.eng = eng;
    // At shutdown the manager's exit reaches every run (not linked: with many runs, links make
    // each run's end cost a scan of the manager's attachments).
    self->set_exit_handler([self](caf::exit_msg& msg) {
      for (auto& [id, slot] : self->state.active)
        self->send_exit(slot.actor, msg.reason);
      self->quit(msg.reason);
    });
    return {
      [=](start_atom, const model::event& e, const std::vector<runbook::runbook_ptr>& books) {
        auto& st = self->state;
        if (e.status == model::event_status::resolved) {
          // Every active run of this alert learns that it resolved.
          for (auto [b, end] = st.by_fp.equal_range(e.fingerprint); b != end; ++b) {
            if (st.hibernated.count(b->second) > 0)
              wake(self, b->second);
            if (auto it = st.active.find(b->second); it != st.active.end())
              self->send(it->second.actor, resolved_atom::value);
            for (auto& w : st.waiting)
              if (w.rec.id == b->second)
                w.rec.resolved = true;
          }
        }
        storage::workflow_write w;
        creating_batch batch;
        if (e.seq != 0) {
          w.dispatched.push_back(e.seq);
          batch.event = e;
        }
        const auto now = st.eng->clock->now();
        const std::map<std::string, std::string> no_params;
        for (const auto& book : books) {
          const std::pair<std::string, uint64_t> rf{book->name, e.fingerprint};
          if (st.by_runbook_fp.count(rf) > 0)
            continue; // a run of this runbook for this alert is active: nothing new starts
          if (book->dedup_window.count() > 0) {
            auto it = st.last_finished.find(rf);
            if (it != st.last_finished.end()
                && now - it->second.at
                     < std::chrono::duration_cast<std::chrono::nanoseconds>(book->dedup_window))
              continue;
          }
          auto key = render_key(*book, e, book->parameters);
          bool start_now = st.reserved() < st.eng->options.max_concurrent;
          if (!key.empty()) {
            auto kit = st.by_key.find({book->name, key});
            const std::size_t holders = kit == st.by_key.end() ? 0 : kit->second.size();
            if (holders >= book->concurrency.max) {
              if (book->concurrency.policy == runbook::concurrency_policy::skip)
                continue;
              if (book->concurrency.policy == runbook::concurrency_policy::replace) {
                const auto oldest = kit->second.front();
                if (!cancel_waiting(self, oldest, "replaced by a newer run")) {
                  if (st.hibernated.count(oldest) > 0)
                    wake(self, oldest);
                  if (auto it = st.active.find(oldest); it != st.active.end())
                    self->send(it->second.actor, cancel_atom::value);
                }
              }
              start_now = false; // queue (or replace): its turn comes when a holder ends
            }
          }
          auto rec = make_record(st, *book, e, std::move(key), {});
          stage(st, w, batch, waiting_run{std::move(rec), book}, start_now,
                "triggered by event " + e.id);
        }
        persist_batch(self, std::move(w), std::move(batch));
      },
      [=](execute_atom, const execute_request& req) -> caf::result<std::string> {
        auto& st = self->state;
        if (!req.book)
          return make_error(errc::invalid_argument, "no runbook given");
        model::event manual;
        manual.type = model::event_type::event;
        manual.source = "manual";
        manual.received_at = st.eng->clock->now();
        manual.labels = req.labels;
        manual.fingerprint = model::fingerprint_of(manual.labels);
        std::map<std::string, std::string> params = req.book->parameters;
        for (const auto& [k, v] : req.params)
          params[k] = v;
        auto key = render_key(*req.book, manual, params);
        bool start_now = st.reserved() < st.eng->options.max_concurrent;
        if (!key.empty() && st.running_with_key(req.book->name, key) >= req.book->concurrency.max)
          start_now = false;
        auto rec = make_record(st, *req.book, manual, std::move(key), req.params);
        storage::workflow_write w;
        creating_batch batch;
        batch.promise = self->make_response_promise<std::string>();
        batch.answers = true;
        auto promise = batch.promise;
        stage(st, w, batch, waiting_run{std::move(rec), req.book}, start_now, "started by hand");
        persist_batch(self, std::move(w), std::move(batch));
        return promise;
      },
      [=](created_atom, uint64_t id, const caf::error& err) {
        auto& st = self->state;
        auto node = st.creating.extract(id);
        if (node.empty())
          return;
        auto& batch = node.mapped();
        if (err) {
          engine_log.error("cannot create workflow runs; the event stays undispatched",
                           {{"error", describe(err)}});
          for (std::size_t i = 0; i < batch.runs.size(); ++i) {
            const auto& rec = batch.runs[i].rec;
            st.unindex(rec.id, rec.runbook, rec.trigger.fingerprint, rec.concurrency_key);
            if (batch.start_now[i])
              --st.starting;
          }
          for (const auto& sha : batch.new_sources)
            st.stored_sources.erase(sha);
          if (batch.answers)
            batch.promise.deliver(err);
          if (batch.event && st.eng->dispatch_failed)
            st.eng->dispatch_failed(*batch.event, "cannot create its runs: " + message_of(err));
          return;
        }
        std::string first_id = batch.runs.empty() ? std::string{} : batch.runs.front().rec.id;
        for (std::size_t i = 0; i < batch.runs.size(); ++i) {
          st.eng->stats.created.fetch_add(1, std::memory_order_relaxed);
          if (batch.start_now[i]) {
            --st.starting;
            spawn_run(self, std::move(batch.runs[i]));
          } else {
            st.eng->stats.pending.fetch_add(1, std::memory_order_relaxed);
            st.waiting.push_back(std::move(batch.runs[i]));
          }
        }
        if (batch.answers)
          batch.promise.deliver(first_id);
        admit(self);
      },
      [=](hibernate_atom, const std::string& id) {
        auto& st = self->state;
        auto it = st.active.find(id);
        if (it == st.active.end())
          return;
        auto slot = std::move(it->second);
        slot.actor = nullptr;
        st.active.erase(it);
        if (st.hibernated.emplace(id, std::move(slot)).second)
          st.eng->stats.hibernated.fetch_add(1, std::memory_order_relaxed);
      },
      [=](schedule_atom, std::string& id, int64_t at, uint64_t token) {
        auto& st = self->state;
        st.timers.emplace(at, std::make_pair(std::move(id), token));
        arm_wakes(self);
      },
      [=](wake_atom, uint64_t token) {
        auto& st = self->state;
        if (token != st.wake_token)
          return;
        st.armed_for = 0;
        const auto now = model::to_unix_nanos(st.eng->clock->now());
        while (!st.timers.empty() && st.timers.begin()->first <= now) {
          auto [id, run_token] = std::move(st.timers.begin()->second);
          st.timers.erase(st.timers.begin());
          if (st.hibernated.count(id) > 0)
            wake(self, id); // it re-arms its timers; the due one fires at once
          else if (auto it = st.active.find(id); it != st.active.end())
            self->send(it->second.actor, timer_atom::value, run_token);
        }
        arm_wakes(self);
      },
      [=](finished_atom, const std::string& id, workflow_state) {
        auto& st = self->state;
        auto it = st.active.find(id);
        if (it == st.active.end())
          return;
        auto slot = std::move(it->second);
        st.active.erase(it);
        st.unindex(id, slot.runbook, slot.fingerprint, slot.key);
        // The last of many runs: hand memory the hash maps held back.
        if (st.active.empty() && st.hibernated.empty())
          st.active.rehash(0);
        remember_finish(st, slot);
        admit(self);
      },
      [=](recover_atom) -> caf::result<uint64_t> {
        auto& st = self->state;
        if (st.eng->store == nullptr)
          return uint64_t{0};
        auto runs = st.eng->store->unfinished();
        if (!runs)
          return std::move(runs.error());
        uint64_t resumed = 0;
        for (auto& rec : *runs) {
          if (st.active.count(rec.id) > 0)
            continue;
          auto book = st.eng->resolve_runbook ? st.eng->resolve_runbook(rec) : nullptr;
          if (!book) {
            engine_log.error("cannot resume a run: its runbook version is not available",
                             {{"workflow_id", rec.id}, {"runbook", rec.runbook}});
            continue;
          }
          st.stored_sources.insert(book->sha256);
          st.index(rec);
          ++resumed;
          const auto s = rec.state;
          const bool parked =
            s == workflow_state::awaiting_gate || s == workflow_state::paused
            || s == workflow_state::needs_human
            || (s == workflow_state::waiting && st.eng->options.hibernate_after.count() > 0
                && rec.wake_at - st.eng->clock->now() >= st.eng->options.hibernate_after);
          if (rec.state == workflow_state::pending) {
            st.eng->stats.pending.fetch_add(1, std::memory_order_relaxed);
            st.waiting.push_back(waiting_run{std::move(rec), std::move(book)});
          } else if (parked) {
            // Stays out of memory until its timer is due or someone addresses it.
            manager_state::slot slot;
            slot.runbook = rec.runbook;
            slot.fingerprint = rec.trigger.fingerprint;
            slot.key = rec.concurrency_key;
            slot.dedup_window = book->dedup_window;
            int64_t wake_at = model::to_unix_nanos(rec.wake_at);
            if (s == workflow_state::waiting) {
              const auto timeout =
                book->timeout.count() > 0 ? book->timeout : st.eng->options.default_run_timeout;
              wake_at = std::min(
                wake_at, model::to_unix_nanos(rec.created_at)
                           + std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count());
            }
            if (wake_at != 0)
              st.timers.emplace(wake_at, std::make_pair(rec.id, uint64_t{0}));
            if (st.hibernated.emplace(rec.id, std::move(slot)).second)
              st.eng->stats.hibernated.fetch_add(1, std::memory_order_relaxed);
          } else {
            spawn_run(self, waiting_run{std::move(rec), std::move(book)});
          }
        }
        admit(self);
        arm_wakes(self);
        return resumed;
      },
      [=](cancel_atom, const std::string& id) -> caf::result<std::string> {
        if (cancel_waiting(self, id, "cancelled by operator"))
          return std::string{"cancelled"};
        if (auto ended = ended_state(self, id))
          return std::move(*ended);
        return forward(self, id, cancel_atom::value);
      },
      [=](kill_atom, const std::string& id) -> caf::result<std::string> {
        if (cancel_waiting(self, id, "killed by operator"))
          return std::string{"cancelled"};
        if (auto ended = ended_state(self, id))
          return std::move(*ended);
        return forward(self, id, kill_atom::value);
      },
      [=](pause_atom, const std::string& id) -> caf::result<std::string> {
        return forward(self, id, pause_atom::value);
      },
      [=](resume_atom, const std::string& id, const resume_options& opts)
        -> caf::result<std::string> { return forward(self, id, resume_atom::value, opts); },
      [=](approve_atom, const std::string& id, const gate_decision& d) -> caf::result<std::string> {
        return forward(self, id, approve_atom::value, d);
      },
      [=](reject_atom, const std::string& id, const gate_decision& d) -> caf::result<std::string> {
        return forward(self, id, reject_atom::value, d);
      },
      [=](status_atom) {
        auto& st = self->state;
        return manager_status{st.active.size() + st.hibernated.size(), st.waiting.size()};
      },
    };
  };
  return sys.spawn(fn, eng);
}

} // namespace vigil::actors
