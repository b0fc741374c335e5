// The adapter actor: one per integration, between its breaker and the HTTP transport.

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/integrations/actors.hpp"
#include "actors/integrations/adapters.hpp"

namespace vigil::actors::detail {

namespace {

/// Probes carry ids with this bit, calls without.
constexpr uint64_t probe_bit = uint64_t{1} << 63;

/// A call whose HTTP exchange is under way.
struct pending_exchange {
  caf::actor breaker;
  call_plan plan; ///< without its request, which went to the transport
  redactor redact;
};

struct adapter_state {
  static inline const char* name = "vigil.integration.adapter";

  model::integration_config cfg;
  std::shared_ptr<http_transport> transport;
  const model::clock* clock = nullptr;
  std::unique_ptr<redactor> redact;
  std::unordered_map<uint64_t, pending_exchange> pending;
  uint64_t probe_seq = 0;
};

using self_ptr = caf::stateful_actor<adapter_state>*;

void submit(self_ptr self, uint64_t id, http_request req) {
  auto me = caf::actor_cast<caf::actor>(self);
  self->state.transport->submit(std::move(req), [me, id](http_response resp) {
    caf::anon_send(me, http_done_atom::value, id, std::move(resp));
  });
}

caf::behavior adapter(self_ptr self, breaker_setup setup) {
  auto& st = self->state;
  st.cfg = std::move(setup.cfg);
  st.transport = std::move(setup.transport);
  st.clock = setup.clock;
  st.redact = std::make_unique<redactor>(st.cfg);
  return {
    [=](call_atom, uint64_t id, const call_request& req) {
      auto& st = self->state;
      auto breaker = caf::actor_cast<caf::actor>(self->current_sender());
      auto plan = plan_call(st.cfg, req, st.clock->now());
      auto red = *st.redact;
      if (!plan.error.empty()) {
        call_result r;
        r.failure = call_failure::error;
        r.error = red(plan.error);
        self->send(breaker, call_done_atom::value, id, std::move(r), call_outcome{});
        return;
      }
      for (const auto& [k, v] : plan.request.headers)
        if (is_credential_header(k))
          red.add(v);
      auto request = std::move(plan.request);
      plan.request = {};
      st.pending.emplace(id, pending_exchange{breaker, std::move(plan), std::move(red)});
      submit(self, id, std::move(request));
    },
    [=](probe_atom) {
      auto& st = self->state;
      auto breaker = caf::actor_cast<caf::actor>(self->current_sender());
      auto plan = plan_probe(st.cfg);
      if (!plan) {
        probe_result p;
        p.at = st.clock->now();
        p.detail = "no health probe for type " + st.cfg.type + ": set health.path";
        self->send(breaker, probe_atom::value, std::move(p), call_outcome{});
        return;
      }
      const auto id = probe_bit | ++st.probe_seq;
      auto request = std::move(plan->request);
      plan->request = {};
      st.pending.emplace(id, pending_exchange{breaker, std::move(*plan), *st.redact});
      submit(self, id, std::move(request));
    },
    [=](http_done_atom, uint64_t id, const http_response& resp) {
      auto& st = self->state;
      auto it = st.pending.find(id);
      if (it == st.pending.end())
        return;
      auto ex = std::move(it->second);
      st.pending.erase(it);
      const auto now = st.clock->now();
      auto outcome = outcome_of(resp, now);
      if ((id & probe_bit) != 0) {
        auto p = read_probe(st.cfg, resp, now);
        p.error = ex.redact(p.error);
        p.detail = ex.redact(p.detail);
        self->send(ex.breaker, probe_atom::value, std::move(p), outcome);
        return;
      }
      auto r = read_answer(ex.plan, resp, now);
      r.error = ex.redact(r.error);
      r.output = ex.redact(r.output);
      self->send(ex.breaker, call_done_atom::value, id, std::move(r), outcome);
    },
    [=](update_atom, const model::integration_config& cfg) {
      auto& st = self->state;
      st.cfg = cfg;
      st.redact = std::make_unique<redactor>(st.cfg);
    },
  };
}

} // namespace

caf::actor spawn_adapter(caf::actor_system& sys, const breaker_setup& setup) {
  return sys.spawn(adapter, setup);
}

} // namespace vigil::actors::detail
