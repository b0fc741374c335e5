#include "tests/integrations/breaker_fixture.hpp"

#include <caf/test/unit_test_impl.hpp>

namespace vigil::test {

breaker_fixture::breaker_fixture() = default;

breaker_fixture::~breaker_fixture() {
  service.reset();
  consume_messages();
}

model::integration_config breaker_fixture::http_integration(const std::string& name,
                                                            uint32_t threshold,
                                                            std::chrono::milliseconds cooldown) {
  model::integration_config c;
  c.name = name;
  c.type = "http";
  c.url = "http://svc.test";
  c.circuit_breaker.failure_threshold = threshold;
  c.circuit_breaker.cooldown = cooldown;
  c.circuit_breaker.max_cooldown = cooldown * 8;
  c.circuit_breaker.min_calls = 1000;
  return c;
}

void breaker_fixture::start(const std::vector<model::integration_config>& configs) {
  actors::integration_service_options opts;
  opts.transport = transport;
  opts.health_probes = false;
  service = std::make_unique<actors::integration_service>(sys, configs, clock, opts);
  consume_messages();
}

uint64_t breaker_fixture::call(const std::string& integration, const std::string& path) {
  actors::call_request req;
  req.integration = integration;
  req.action = "http";
  req.params = R"({"path":")" + path + R"("})";
  return call(std::move(req));
}

uint64_t breaker_fixture::call(actors::call_request req) {
  const auto token = ++next_token_;
  if (req.key.empty())
    req.key = "run-" + std::to_string(token) + "/0/1";
  self->send(service->router(), actors::call_atom::value, token, std::move(req));
  consume_messages();
  return token;
}

std::map<uint64_t, actors::call_result>& breaker_fixture::answers() {
  bool more = true;
  while (more) {
    self->receive([&](actors::call_done_atom, uint64_t token,
                      actors::call_result& r) { answers_[token] = std::move(r); },
                  caf::after(std::chrono::seconds{0}) >> [&] { more = false; });
  }
  return answers_;
}

void breaker_fixture::advance(std::chrono::milliseconds d) {
  clock.advance(d);
  advance_time(d);
  consume_messages();
}

actors::integration_health breaker_fixture::health(const std::string& name) {
  auto h = service->health(name);
  if (!h) {
    ADD_FAILURE() << "no integration " << name;
    return {};
  }
  return *h;
}

} // namespace vigil::test
