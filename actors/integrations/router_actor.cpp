// The router: the one actor a workflow run talks to (`engine::integrations`).

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/integrations/actors.hpp"

namespace vigil::actors::detail {

namespace {

struct router_state {
  static inline const char* name = "vigil.integrations";

  std::unordered_map<std::string, caf::actor> routes;
};

caf::behavior router(caf::stateful_actor<router_state>* self,
                     std::unordered_map<std::string, caf::actor> routes) {
  self->state.routes = std::move(routes);
  return {
    [=](call_atom, uint64_t token, call_request& req) {
      auto sender = caf::actor_cast<caf::actor>(self->current_sender());
      if (!sender)
        return; // nobody to answer
      auto it = self->state.routes.find(req.integration);
      if (it == self->state.routes.end()) {
        call_result r;
        r.failure = call_failure::error;
        r.error = "unknown integration " + req.integration;
        self->send(sender, call_done_atom::value, token, std::move(r));
        return;
      }
      self->send(it->second, call_atom::value, token, std::move(req), std::move(sender));
    },
    [=](cancel_atom, uint64_t token, const std::string& integration) {
      auto sender = caf::actor_cast<caf::actor>(self->current_sender());
      auto it = self->state.routes.find(integration);
      if (sender && it != self->state.routes.end())
        self->send(it->second, cancel_atom::value, token, std::move(sender));
    },
    [=](update_atom, const std::string& name, const caf::actor& breaker) {
      self->state.routes[name] = breaker;
    },
  };
}

} // namespace

caf::actor spawn_router(caf::actor_system& sys,
                        std::unordered_map<std::string, caf::actor> routes) {
  return sys.spawn(router, std::move(routes));
}

} // namespace vigil::actors::detail
