#pragma once

// Integration tests against real local HTTP servers: the real scheduler, libcurl, and
// scripted_http_server. Waits are bounded receives of the answers, never sleeps.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <gtest/gtest.h>

#include "actors/integrations/integration_service.hpp"
#include "actors/system_config.hpp"
#include "runtime/model/clock.hpp"
#include "tests/support/scripted_http_server.hpp"

namespace vigil::test {

class live_fixture : public ::testing::Test {
public:
  live_fixture() : sys_config(2), sys(sys_config), self(sys) {}
  ~live_fixture() override { service.reset(); }

  /// An integration of `type` pointing at the test server.
  model::integration_config integration(const std::string& name, const std::string& type) const {
    model::integration_config c;
    c.name = name;
    c.type = type;
    c.url = server.url();
    c.timeout = std::chrono::seconds{5};
    return c;
  }

  /// Starts the service (libcurl transport, no periodic probes).
  void start(const std::vector<model::integration_config>& configs,
             const model::clock& clk = model::clock::system()) {
    actors::integration_service_options opts;
    opts.health_probes = false;
    service = std::make_unique<actors::integration_service>(sys, configs, clk, opts);
  }

  /// Sends a call; its token.
  uint64_t send(const std::string& integration, const std::string& action,
                const std::string& params, const std::string& fingerprint = "") {
    actors::call_request req;
    req.integration = integration;
    req.action = action;
    req.params = params;
    req.key = "wf-1/0/" + std::to_string(++token_);
    req.fingerprint = fingerprint;
    self->send(service->router(), actors::call_atom::value, token_, std::move(req));
    return token_;
  }

  /// Waits (bounded) for the answer of `token`.
  std::optional<actors::call_result>
  await(uint64_t token, std::chrono::milliseconds limit = std::chrono::seconds{15}) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (answers_.count(token) == 0) {
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero())
        return std::nullopt;
      bool timed_out = false;
      self->receive([&](actors::call_done_atom, uint64_t t,
                        actors::call_result& r) { answers_[t] = std::move(r); },
                    caf::after(std::chrono::duration_cast<std::chrono::milliseconds>(left)) >>
                      [&] { timed_out = true; });
      if (timed_out)
        break;
    }
    auto it = answers_.find(token);
    if (it == answers_.end())
      return std::nullopt;
    return it->second;
  }

  /// One call, answered (fails the test on no answer).
  actors::call_result call(const std::string& integration, const std::string& action,
                           const std::string& params, const std::string& fingerprint = "") {
    auto r = await(send(integration, action, params, fingerprint));
    if (!r) {
      ADD_FAILURE() << "no answer from " << integration;
      return {};
    }
    return *r;
  }

  scripted_http_server server;
  /// For tests that fix the time; declared before the actor system so that it outlives every
  /// actor that reads it.
  model::manual_clock manual;
  actors::system_config sys_config;
  caf::actor_system sys;
  caf::scoped_actor self;
  std::unique_ptr<actors::integration_service> service;

private:
  uint64_t token_ = 0;
  std::map<uint64_t, actors::call_result> answers_;
};

} // namespace vigil::test
