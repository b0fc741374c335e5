#pragma once

// Deterministic tests of the integration actors: CAF's test coordinator runs every actor on the
// test thread, a manual clock and CAF's test clock move together when told, and a fake
// transport stands in for the network.

#include <map>
#include <memory>

#include <caf/test/dsl.hpp>
#include <gtest/gtest.h>

#include "actors/integrations/integration_service.hpp"
#include "actors/system_config.hpp"
#include "tests/integrations/fake_transport.hpp"

namespace vigil::test {

/// test_coordinator_fixture wants a config type it can default-construct.
struct integration_test_config : actors::system_config {
  integration_test_config() : actors::system_config(1) {}
};

class breaker_fixture : public test_coordinator_fixture<integration_test_config>,
                        public ::testing::Test {
public:
  breaker_fixture();
  ~breaker_fixture() override;

  /// An integration `name` of type http at http://svc.test with these breaker settings.
  static model::integration_config
  http_integration(const std::string& name = "svc", uint32_t threshold = 3,
                   std::chrono::milliseconds cooldown = std::chrono::seconds{10});

  /// Starts the service with these integrations.
  void start(const std::vector<model::integration_config>& configs);

  /// Sends one call (an `http` GET of `path` unless `req` says otherwise) and runs the actors;
  /// its token.
  uint64_t call(const std::string& integration, const std::string& path = "/x");
  uint64_t call(actors::call_request req);

  /// The answers that arrived so far, by token (collected from the test's mailbox).
  std::map<uint64_t, actors::call_result>& answers();

  /// True when the call with `token` has been answered.
  bool answered(uint64_t token) { return answers().count(token) > 0; }

  /// Moves both clocks forward and runs what became due.
  void advance(std::chrono::milliseconds d);

  /// Health of one integration (fails the test when unknown).
  actors::integration_health health(const std::string& name);

  model::manual_clock clock;
  std::shared_ptr<fake_transport> transport = std::make_shared<fake_transport>();
  std::unique_ptr<actors::integration_service> service;

private:
  uint64_t next_token_ = 0;
  std::map<uint64_t, actors::call_result> answers_;
};

} // namespace vigil::test
