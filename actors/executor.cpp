#include "actors/executor.hpp"

#include <thread>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/messages.hpp"

namespace vigil::actors {

caf::actor spawn_executor(caf::actor_system& sys, const std::shared_ptr<process_registry>& registry,
                          bool inline_mode) {
  return sys.spawn([registry, inline_mode](caf::event_based_actor* self) -> caf::behavior {
    return {
      [=](exec_atom, uint64_t token, const exec_request& req) {
        auto requester = caf::actor_cast<caf::actor>(self->current_sender());
        if (inline_mode) {
          self->send(requester, exec_done_atom::value, token, run_process(req, registry.get()));
          return;
        }
        std::thread{[registry, requester, token, req] {
          caf::anon_send(requester, exec_done_atom::value, token, run_process(req, registry.get()));
        }}.detach();
      },
    };
  });
}

} // namespace vigil::actors
