#include "actors/dispatcher.hpp"

#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/atoms.hpp"

namespace vigil::actors {

/// State shared by the pool and its actors: the source, the handler and one idle flag per
/// worker slot.
struct dispatcher_pool::shared {
  shared(event_source& src, dispatch_fn f, std::size_t batch)
    : source(src), fn(std::move(f)), batch_size(batch) {}

  event_source& source;
  dispatch_fn fn;
  std::size_t batch_size;
  dispatcher_stats stats;
  std::mutex mtx; // guards `idle` and `actors` resizing against `notify`
  std::vector<std::shared_ptr<std::atomic<bool>>> idle;
  std::vector<caf::actor> actors;
};

namespace {

struct dispatcher_state {
  std::vector<model::event> batch;
  static inline const char* name = "vigil.dispatcher";
};

caf::behavior dispatcher(caf::stateful_actor<dispatcher_state>* self,
                         const std::shared_ptr<dispatcher_pool::shared>& pool,
                         const std::shared_ptr<std::atomic<bool>>& idle) {
  return {
    [=](wake_atom) {
      auto& batch = self->state.batch;
      batch.clear();
      const auto n = pool->source.pull(batch, pool->batch_size);
      if (n > 0) {
        pool->fn(batch);
        pool->stats.batches.fetch_add(1, std::memory_order_relaxed);
        pool->stats.events.fetch_add(n, std::memory_order_relaxed);
        batch.clear();
        // More may be waiting: go round the mailbox once so other messages are not starved.
        self->send(self, wake_atom::value);
        return;
      }
      // Empty: go idle, then look once more so that an event pushed between the pull and
      // the flag is not left behind (its producer may have seen us busy and not woken us).
      idle->store(true, std::memory_order_seq_cst);
      if (pool->source.depth() > 0 && idle->exchange(false, std::memory_order_seq_cst))
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
    shared_->idle.pop_back();
  }
  while (shared_->actors.size() < workers) {
    auto idle = std::make_shared<std::atomic<bool>>(false);
    auto actor = sys_.spawn(dispatcher, shared_, idle);
    shared_->idle.push_back(idle);
    shared_->actors.push_back(actor);
    caf::anon_send(actor, wake_atom::value);
  }
}

void dispatcher_pool::notify(std::size_t events) {
  std::size_t wanted = (events + shared_->batch_size - 1) / shared_->batch_size;
  std::lock_guard<std::mutex> guard{shared_->mtx};
  for (std::size_t i = 0; i < shared_->actors.size() && wanted > 0; ++i) {
    auto& idle = *shared_->idle[i];
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

} // namespace vigil::actors
