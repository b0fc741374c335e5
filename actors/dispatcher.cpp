#include "actors/dispatcher.hpp"

#include <chrono>
#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/atoms.hpp"

namespace vigil::actors {

/// One dispatcher's flags and counters, shared with the pool (read by `workers()`).
struct worker_slot {
  uint32_t id = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::atomic<bool> idle{false};
  std::atomic<uint64_t> current_seq{0};
  std::atomic<int64_t> busy_since{0}; ///< steady nanos; 0 when idle
  std::atomic<uint64_t> busy_nanos{0};
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> events{0};
};

/// State shared by the pool and its actors: the source, the handler and one slot per worker.
struct dispatcher_pool::shared {
  shared(event_source& src, dispatch_fn f, std::size_t batch)
    : source(src), fn(std::move(f)), batch_size(batch) {}

  event_source& source;
  dispatch_fn fn;
  std::size_t batch_size;
  dispatcher_stats stats;
  std::mutex mtx; // guards `slots` and `actors` resizing against `notify`
  std::vector<std::shared_ptr<worker_slot>> slots;
  std::vector<caf::actor> actors;
  uint32_t next_id = 0;
};

namespace {

struct dispatcher_state {
  std::vector<model::event> batch;
  static inline const char* name = "vigil.dispatcher";
};

caf::behavior dispatcher(caf::stateful_actor<dispatcher_state>* self,
                         const std::shared_ptr<dispatcher_pool::shared>& pool,
                         const std::shared_ptr<worker_slot>& slot) {
  return {
    [=](wake_atom) {
      auto& batch = self->state.batch;
      batch.clear();
      const auto n = pool->source.pull(batch, pool->batch_size);
      if (n > 0) {
        const auto t0 = std::chrono::steady_clock::now();
        slot->current_seq.store(batch.front().seq, std::memory_order_relaxed);
        slot->busy_since.store(t0.time_since_epoch().count(), std::memory_order_relaxed);
        pool->fn(batch);
        const auto spent = std::chrono::steady_clock::now() - t0;
        slot->busy_since.store(0, std::memory_order_relaxed);
        slot->current_seq.store(0, std::memory_order_relaxed);
        slot->busy_nanos.fetch_add(static_cast<uint64_t>(spent.count()), std::memory_order_relaxed);
        slot->batches.fetch_add(1, std::memory_order_relaxed);
        slot->events.fetch_add(n, std::memory_order_relaxed);
        pool->stats.batches.fetch_add(1, std::memory_order_relaxed);
        pool->stats.events.fetch_add(n, std::memory_order_relaxed);
        batch.clear();
        // More may be waiting: go round the mailbox once so other messages are not starved.
        self->send(self, wake_atom::value);
        return;
      }
      // Empty: go idle, then look once more so that an event pushed between the pull and
      // the flag is not left behind (its producer may have seen us busy and not woken us).
      slot->idle.store(true, std::memory_order_seq_cst);
      if (pool->source.depth() > 0 && slot->idle.exchange(false, std::memory_order_seq_cst))
        self->send(self, wake_atom::value);
    },
  };
}

} // namespace

dispatcher_pool::dispatcher_pool(caf::actor_system& sys, event_source& source, dispatch_fn fn,
                                 std::size_t batch_size)
  : sys_(sys), shared_(std::make_shared<shared>(source, std::move(fn), batch_size)) {}

dispatcher_pool::~dispatcher_pool() {
  stop();
}

void dispatcher_pool::start(std::size_t workers) {
  resize(workers);
}

void dispatcher_pool::resize(std::size_t workers) {
  std::lock_guard<std::mutex> guard{shared_->mtx};
  while (shared_->actors.size() > workers) {
    // The actor finishes its current batch; whatever it has not pulled stays in the source.
    caf::anon_send_exit(shared_->actors.back(), caf::exit_reason::user_shutdown);
    shared_->actors.pop_back();
    shared_->slots.pop_back();
  }
  while (shared_->actors.size() < workers) {
    auto slot = std::make_shared<worker_slot>();
    slot->id = ++shared_->next_id;
    auto actor = sys_.spawn(dispatcher, shared_, slot);
    shared_->slots.push_back(slot);
    shared_->actors.push_back(actor);
    caf::anon_send(actor, wake_atom::value);
  }
}

void dispatcher_pool::notify(std::size_t events) {
  std::size_t wanted = (events + shared_->batch_size - 1) / shared_->batch_size;
  std::lock_guard<std::mutex> guard{shared_->mtx};
  for (std::size_t i = 0; i < shared_->actors.size() && wanted > 0; ++i) {
    auto& idle = shared_->slots[i]->idle;
    if (idle.load(std::memory_order_seq_cst) && idle.exchange(false)) {
      shared_->stats.wakeups.fetch_add(1, std::memory_order_relaxed);
      caf::anon_send(shared_->actors[i], wake_atom::value);
      --wanted;
    }
  }
}

void dispatcher_pool::stop() {
  resize(0);
}

std::size_t dispatcher_pool::size() const noexcept {
  std::lock_guard<std::mutex> guard{shared_->mtx};
  return shared_->actors.size();
}

const dispatcher_stats& dispatcher_pool::stats() const noexcept {
  return shared_->stats;
}

std::vector<worker_info> dispatcher_pool::workers() const {
  std::lock_guard<std::mutex> guard{shared_->mtx};
  std::vector<worker_info> out;
  out.reserve(shared_->slots.size());
  const auto now = std::chrono::steady_clock::now();
  for (const auto& slot : shared_->slots) {
    worker_info w;
    w.id = slot->id;
    const auto since = slot->busy_since.load(std::memory_order_relaxed);
    w.busy = since != 0;
    w.current_seq = slot->current_seq.load(std::memory_order_relaxed);
    w.batches = slot->batches.load(std::memory_order_relaxed);
    w.events = slot->events.load(std::memory_order_relaxed);
    const auto life = std::chrono::duration<double>(now - slot->started).count();
    w.utilization = life > 0 ? static_cast<double>(slot->busy_nanos.load()) / 1e9 / life : 0;
    if (w.busy)
      w.busy_seconds = static_cast<double>(now.time_since_epoch().count() - since) / 1e9;
    out.push_back(w);
  }
  return out;
}

} // namespace vigil::actors
