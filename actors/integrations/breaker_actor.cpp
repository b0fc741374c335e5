// The circuit breaker actor: one per integration, between the runs and the adapter. It queues
// calls and lets them out as the operator's flags, a 429's pause, the bulkhead, the token
// bucket and the breaker allow; it runs the periodic health probe.

#include <algorithm>
#include <deque>
#include <unordered_set>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/integrations/actors.hpp"
#include "actors/integrations/adapters.hpp"
#include "actors/integrations/circuit_breaker.hpp"
#include "actors/integrations/logger.hpp"

namespace vigil::actors::detail {

namespace {

using std::chrono::milliseconds;

/// A call waiting for its turn.
struct queued_call {
  caf::actor reply_to;
  uint64_t token = 0;
  call_request req;
};

/// A call the adapter has.
struct sent_call {
  caf::actor reply_to;
  uint64_t token = 0;
  circuit_breaker::ticket ticket;
};

struct breaker_data {
  static inline const char* name = "vigil.integration.breaker";

  model::integration_config cfg;
  std::shared_ptr<integration_shared> shared;
  const model::clock* clock = nullptr;
  bool health_probes = true;
  caf::actor adapter;

  circuit_breaker breaker;
  token_bucket bucket;
  std::deque<queued_call> queue;
  std::unordered_set<caf::actor_addr> watched; ///< requesters monitored (their calls go with them)
  std::unordered_map<uint64_t, sent_call> sent;
  uint64_t next_id = 0;
  breaker_state last_state = breaker_state::closed;
  model::timestamp paused_until; ///< a 429's Retry-After
  bool throttled = false;        ///< the token bucket holds the queue

  // -- timers ---
  uint64_t tick_gen = 0;
  bool tick_armed = false;
  model::timestamp tick_at;
  uint64_t probe_gen = 0;
  bool probing = false;
  std::vector<probe_promise> tests; ///< operators waiting for the probe under way

  // -- health ---
  std::string last_error;
  model::timestamp last_success;
  model::timestamp last_failure;
  probe_result last_probe;
};

using self_ptr = caf::stateful_actor<breaker_data>*;

milliseconds until(model::timestamp at, model::timestamp now) {
  return at <= now ? milliseconds{0} : std::chrono::ceil<milliseconds>(at - now);
}

/// Wakes the breaker at `at` (keeps an earlier wake-up).
void arm(self_ptr self, model::timestamp at) {
  auto& st = self->state;
  if (st.tick_armed && st.tick_at <= at)
    return;
  st.tick_armed = true;
  st.tick_at = at;
  self->delayed_send(self, until(at, st.clock->now()), tick_atom::value, ++st.tick_gen);
}

/// Arms the next periodic probe, `health.interval` from now, or at once (`now`: at start and
/// after every change, so that health is known within a probe's time, not an interval's).
void arm_probe(self_ptr self, bool now = false) {
  auto& st = self->state;
  ++st.probe_gen;
  if (!st.health_probes || !plan_probe(st.cfg) || !model::missing_setting(st.cfg).empty())
    return;
  if (now)
    self->send(self, probe_atom::value, st.probe_gen);
  else
    self->delayed_send(self, st.cfg.health.interval, probe_atom::value, st.probe_gen);
}

void publish(self_ptr self) {
  auto& st = self->state;
  const auto now = st.clock->now();
  st.shared->probe.set_load(st.queue.size(), st.sent.size());
  std::lock_guard<std::mutex> guard{st.shared->mutex};
  auto& h = st.shared->health;
  h.type = st.cfg.type;
  h.state = st.breaker.state();
  h.consecutive_failures = st.breaker.consecutive_failures();
  h.recent_failures = st.breaker.recent_failures(now);
  h.open_until =
    st.breaker.state() == breaker_state::open ? st.breaker.open_until() : model::timestamp{};
  h.cooldown = st.breaker.cooldown();
  h.rate_limited_until = st.paused_until > now ? st.paused_until : model::timestamp{};
  h.queued = st.queue.size();
  h.in_flight = st.sent.size();
  h.last_error = st.last_error;
  h.last_success = st.last_success;
  h.last_failure = st.last_failure;
  h.last_probe = st.last_probe;
  h.unconfigured = model::missing_setting(st.cfg);
}

/// Counts and logs a change of the breaker's state.
void note_state(self_ptr self) {
  auto& st = self->state;
  const auto now_state = st.breaker.state();
  if (now_state == st.last_state)
    return;
  st.last_state = now_state;
  st.shared->probe.on_transition(now_state);
  if (now_state != breaker_state::open) {
    integrations_log.info("circuit breaker " + std::string{to_string(now_state)},
                          {{"integration", st.cfg.name}});
    return;
  }
  const auto cooldown = model::format_duration(st.breaker.cooldown());
  integrations_log.warn("circuit breaker open",
                        {{"integration", st.cfg.name}, {"cooldown", cooldown}});
  arm(self, st.breaker.open_until());
}

void answer(self_ptr self, const caf::actor& to, uint64_t token, call_result r) {
  if (r.retry_after.count() > 0)
    self->state.shared->probe.on_retry_hinted();
  if (to)
    self->send(to, call_done_atom::value, token, std::move(r));
}

void fail_queued(self_ptr self, call_failure f, const std::string& error, milliseconds retry) {
  auto& st = self->state;
  // Each opening has its own end: a run that meets the breaker open again and again sees
  // different outputs, which is what it is (not the same failure repeating).
  const auto output = error == "circuit_open"
                        ? "circuit open until " + model::format_rfc3339(st.breaker.open_until())
                        : std::string{};
  while (!st.queue.empty()) {
    auto c = std::move(st.queue.front());
    st.queue.pop_front();
    if (error == "integration_disabled")
      st.shared->probe.on_rejected_disabled();
    else
      st.shared->probe.on_rejected_open();
    call_result r;
    r.failure = f;
    r.error = error;
    r.output = output;
    r.retry_after = retry;
    answer(self, c.reply_to, c.token, std::move(r));
  }
}

/// Lets out what may go out now; arms a timer for what waits on time.
void pump(self_ptr self) {
  auto& st = self->state;
  const auto now = st.clock->now();
  st.breaker.tick(now);
  note_state(self);
  if (st.breaker.state() == breaker_state::open)
    arm(self, st.breaker.open_until()); // half-open on time, for health, even with no caller
  if (!st.shared->enabled.load()) {
    fail_queued(self, call_failure::unavailable, "integration_disabled", milliseconds{0});
    return publish(self);
  }
  while (!st.queue.empty() && !st.shared->paused.load()) {
    if (now < st.paused_until) {
      arm(self, st.paused_until);
      break;
    }
    if (st.breaker.state() == breaker_state::open) {
      fail_queued(self, call_failure::unavailable, "circuit_open",
                  std::max(milliseconds{1}, until(st.breaker.open_until(), now)));
      break;
    }
    if (st.sent.size() >= st.cfg.max_in_flight)
      break; // the bulkhead: the next answer lets the next call out
    if (!st.bucket.ready(now)) {
      if (!st.throttled)
        st.shared->probe.on_throttled();
      st.throttled = true;
      arm(self, now + st.bucket.wait_time(now));
      break;
    }
    const auto d = st.breaker.acquire(now, st.sent.size());
    note_state(self);
    if (d.what != circuit_breaker::verdict::allow)
      break; // wait: half-open probes or the failure budget are taken (reject: next round)
    st.throttled = false;
    st.bucket.take();
    auto c = std::move(st.queue.front());
    st.queue.pop_front();
    const auto id = ++st.next_id;
    st.sent.emplace(id, sent_call{std::move(c.reply_to), c.token, d.pass});
    self->send(st.adapter, call_atom::value, id, std::move(c.req));
  }
  publish(self);
}

void start_probe(self_ptr self) {
  auto& st = self->state;
  st.probing = true;
  self->send(st.adapter, probe_atom::value);
}

void finish_tests(self_ptr self, const probe_result& p) {
  for (auto& t : self->state.tests)
    t->set_value(p);
  self->state.tests.clear();
}

void pause_for(self_ptr self, milliseconds retry_after, model::timestamp now) {
  auto& st = self->state;
  if (retry_after.count() <= 0)
    return;
  const auto until_at = now + retry_after;
  if (until_at > st.paused_until)
    st.paused_until = until_at;
  st.shared->probe.on_rate_limit_pause();
  integrations_log.warn(
    "rate limited: pausing",
    {{"integration", st.cfg.name}, {"retry_after", model::format_duration(retry_after)}});
}

caf::behavior breaker(self_ptr self, const breaker_setup& setup) {
  auto& st = self->state;
  st.cfg = setup.cfg;
  st.shared = setup.shared;
  st.clock = setup.clock;
  st.health_probes = setup.health_probes;
  st.breaker.configure(st.cfg.circuit_breaker);
  st.bucket.configure(st.cfg.rate_limit, st.clock->now());
  st.adapter = spawn_adapter(self->system(), setup);
  self->link_to(st.adapter);
  arm_probe(self, true);
  publish(self);
  self->set_down_handler([self](const caf::down_msg& dm) {
    auto& st = self->state;
    st.watched.erase(dm.source);
    auto& q = st.queue;
    q.erase(std::remove_if(q.begin(), q.end(),
                           [&](const queued_call& c) { return c.reply_to.address() == dm.source; }),
            q.end());
    publish(self);
  });
  return {
    [=](call_atom, uint64_t token, call_request& req, caf::actor& reply_to) {
      auto& st = self->state;
      if (!st.shared->enabled.load()) {
        st.shared->probe.on_rejected_disabled();
        call_result r;
        r.failure = call_failure::unavailable;
        r.error = "integration_disabled";
        return answer(self, reply_to, token, std::move(r));
      }
      // A run that ends (cancelled, killed, shut down) takes its waiting calls with it: they
      // must not go out later, when a pause or an open breaker lets them.
      if (reply_to && st.watched.insert(reply_to.address()).second)
        self->monitor(reply_to);
      st.queue.push_back(queued_call{std::move(reply_to), token, std::move(req)});
      pump(self);
    },
    [=](call_done_atom, uint64_t id, call_result& r, const call_outcome& o) {
      auto& st = self->state;
      auto it = st.sent.find(id);
      if (it == st.sent.end())
        return;
      auto call = std::move(it->second);
      st.sent.erase(it);
      const auto now = st.clock->now();
      if (o.counted)
        st.breaker.record(now, call.ticket, o.failure);
      else
        st.breaker.release(call.ticket);
      note_state(self);
      if (o.retry_after_header.count() > 0)
        pause_for(self, o.retry_after_header, now);
      if (r.failure == call_failure::rate_limited && st.paused_until > now)
        r.retry_after = std::max(r.retry_after, until(st.paused_until, now));
      // The failure that opened the breaker: come back when it half-opens, not before.
      if (o.failure && st.breaker.state() == breaker_state::open)
        r.retry_after = std::max(r.retry_after, until(st.breaker.open_until(), now));
      if (r.ok()) {
        st.last_success = now;
      } else {
        st.last_error = r.error;
        st.last_failure = now;
      }
      st.shared->probe.on_call(r.failure, o.latency, o.counted);
      answer(self, call.reply_to, call.token, std::move(r));
      pump(self);
    },
    [=](cancel_atom, uint64_t token, const caf::actor& requester) {
      auto& q = self->state.queue;
      auto it = std::find_if(q.begin(), q.end(), [&](const queued_call& c) {
        return c.token == token && c.reply_to == requester;
      });
      if (it == q.end())
        return; // already out (or answered): its answer comes as usual
      auto c = std::move(*it);
      q.erase(it);
      call_result r;
      r.failure = call_failure::error;
      r.error = "withdrawn before it was sent";
      answer(self, c.reply_to, c.token, std::move(r));
      publish(self);
    },
    [=](tick_atom, uint64_t gen) {
      auto& st = self->state;
      if (gen != st.tick_gen)
        return;
      st.tick_armed = false;
      pump(self);
    },
    [=](probe_atom, uint64_t gen) {
      auto& st = self->state;
      if (gen != st.probe_gen)
        return;
      arm_probe(self);
      const auto now = st.clock->now();
      if (st.shared->enabled.load() && !st.shared->paused.load() && now >= st.paused_until
          && !st.probing)
        start_probe(self);
    },
    [=](probe_atom, probe_promise& promise) {
      auto& st = self->state;
      const auto now = st.clock->now();
      if (now < st.paused_until) {
        probe_result p;
        p.at = now;
        p.detail = "rate limited for " + model::format_duration(until(st.paused_until, now));
        promise->set_value(p);
        return;
      }
      st.tests.push_back(std::move(promise));
      if (!st.probing)
        start_probe(self);
    },
    [=](probe_atom, probe_result& p, const call_outcome& o) {
      auto& st = self->state;
      st.probing = false;
      if (p.ran)
        st.shared->probe.on_probe(p.ok);
      if (o.retry_after_header.count() > 0)
        pause_for(self, o.retry_after_header, st.clock->now());
      st.last_probe = p;
      finish_tests(self, p);
      publish(self);
    },
    // The operator's flags are already in force (the service set them): act on the queue.
    [=](enable_atom) {
      arm_probe(self, true);
      pump(self);
    },
    [=](disable_atom) { pump(self); },
    [=](pause_atom) { publish(self); },
    [=](resume_atom) { pump(self); },
    [=](update_atom, const model::integration_config& cfg) {
      auto& st = self->state;
      st.cfg = cfg;
      st.breaker.configure(cfg.circuit_breaker);
      st.bucket.configure(cfg.rate_limit, st.clock->now());
      self->send(st.adapter, update_atom::value, cfg);
      // What was learnt of the old settings says nothing of the new ones.
      st.last_probe = probe_result{};
      arm_probe(self, true);
      publish(self);
      pump(self);
    },
  };
}

} // namespace

caf::actor spawn_breaker(caf::actor_system& sys, const breaker_setup& setup) {
  return sys.spawn(breaker, setup);
}

} // namespace vigil::actors::detail
