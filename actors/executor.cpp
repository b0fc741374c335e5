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
  // Arguments, not captures: see spawn_workflow_run on CAF's empty argument tuple.
  auto fn = [](caf::event_based_actor* self, const std::shared_ptr<process_registry>& registry,
               bool inline_mode) -> caf::behavior {
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
  };
  return sys.spawn(fn, registry, inline_mode);
}

} // namespace vigil::actors
