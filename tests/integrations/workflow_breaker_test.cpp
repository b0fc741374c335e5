// Workflow runs calling integrations through the breakers, deterministic: the workflow engine
// and the integration actors on CAF's test coordinator, one manual clock, a fake transport.

#include "actors/integrations/integration_service.hpp"
#include "tests/actors/workflow_fixture.hpp"
#include "tests/integrations/fake_transport.hpp"

namespace vigil::test {
namespace {

using namespace std::chrono_literals;
using model::workflow_state;

class workflow_breaker_fixture : public workflow_fixture {
public:
  ~workflow_breaker_fixture() override {
    integrations.reset();
    consume_messages();
  }

  /// Starts the integrations (`svc`, type http) and hands the router to the engine.
  void start(uint32_t threshold, std::chrono::milliseconds cooldown,
             std::chrono::milliseconds max_cooldown) {
    model::integration_config c;
    c.name = "svc";
    c.type = "http";
    c.url = "http://svc.test";
    c.circuit_breaker.failure_threshold = threshold;
    c.circuit_breaker.cooldown = cooldown;
    c.circuit_breaker.max_cooldown = max_cooldown;
    c.circuit_breaker.half_open_probes = 1;
    actors::integration_service_options opts;
    opts.transport = transport;
    opts.health_probes = false;
    integrations = std::make_unique<actors::integration_service>(
      sys, std::vector<model::integration_config>{c}, clock, opts);
    eng.integrations = integrations->router();
    consume_messages();
  }

  /// A 500 whose body names the request (real services answer with request ids), so that the
  /// engine's stall rule (the same failure three times) does not take a run that a breaker paces.
  void fail_all() {
    transport->set_responder([n = 0](const actors::http_request&) mutable {
      return fake_transport::reply(500, "backend down (request " + std::to_string(++n) + ")");
    });
  }

  void succeed_all() {
    transport->set_responder(
      [](const actors::http_request&) { return fake_transport::reply(200, "restarted"); });
  }

  /// Loads a runbook that may name any integration (the fixture's `load` knows none).
  runbook::runbook_ptr load_calling(const std::string& yaml) {
    auto loaded = runbook::load_runbook_text(yaml, "test.yaml", "test.yaml",
                                             {std::string{runbook::any_integration}});
    if (!loaded) {
      for (const auto& d : loaded.errors())
        ADD_FAILURE() << d.to_string();
      return nullptr;
    }
    auto book = std::make_shared<const runbook::runbook>(std::move(loaded).value());
    books[book->sha256] = book;
    return book;
  }

  runbook::runbook_ptr http_runbook(uint32_t attempts) {
    return load_calling(R"(
name: call-svc
steps:
  - name: restart
    action: http
    integration: svc
    params: {method: POST, path: /restart}
    retry: {attempts: )" + std::to_string(attempts)
                        + R"(, initial: 1s, max: 2s, multiplier: 2, jitter: 0}
)");
  }

  std::chrono::milliseconds until_wake(const std::string& id) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(record(id).wake_at - clock.now());
  }

  std::shared_ptr<fake_transport> transport = std::make_shared<fake_transport>();
  std::unique_ptr<actors::integration_service> integrations;
};

TEST_F(workflow_breaker_fixture, a_run_that_meets_an_open_breaker_waits_for_it_and_succeeds) {
  start(2, 30s, 120s);
  fail_all();
  auto book = http_runbook(10);
  const auto first = execute(book);
  EXPECT_EQ(transport->sent(), 1U);
  advance(1s); // its backoff: the second failure opens the breaker
  EXPECT_EQ(transport->sent(), 2U);
  EXPECT_EQ(integrations->health("svc")->state, actors::breaker_state::open);
  EXPECT_EQ(until_wake(first), 30s) << "it waits for the half-open, not its own 2 s backoff";

  advance(10s);
  const auto second = execute(book);
  auto rec = record(second);
  EXPECT_EQ(rec.state, workflow_state::waiting);
  EXPECT_EQ(rec.steps[0].error, "circuit_open");
  EXPECT_EQ(until_wake(second), 20s);
  EXPECT_EQ(transport->sent(), 2U) << "an open breaker sends nothing";

  succeed_all();
  advance(20s - 1ms);
  EXPECT_EQ(transport->sent(), 2U);
  advance(1ms);
  // Both wake at the half-open: one probes, the other waits for the verdict, then goes too.
  EXPECT_EQ(transport->sent(), 4U);
  EXPECT_EQ(record(first).state, workflow_state::completed) << record(first).error;
  EXPECT_EQ(record(second).state, workflow_state::completed) << record(second).error;
  EXPECT_EQ(record(first).steps[0].output, "restarted");
  EXPECT_EQ(integrations->health("svc")->state, actors::breaker_state::closed);
  const auto t = timeline(second);
  EXPECT_NE(t.find("failed: circuit_open"), std::string::npos) << t;
  // Every attempt carried its idempotency key.
  const auto reqs = transport->requests();
  const std::pair<std::string, std::string> key{"Idempotency-Key", first + "/0/2"};
  EXPECT_NE(std::find(reqs[1].headers.begin(), reqs[1].headers.end(), key), reqs[1].headers.end());
}

TEST_F(workflow_breaker_fixture, fifty_runs_on_a_failing_integration_cost_it_little) {
  constexpr uint32_t threshold = 5;
  constexpr uint32_t probes = 1;
  start(threshold, 10s, 10s);
  eng.options.max_concurrent = 50;
  fail_all();
  auto book = http_runbook(40);
  std::vector<std::string> ids;
  ids.reserve(50);
  for (int i = 0; i < 50; ++i)
    ids.push_back(execute(book));
  EXPECT_EQ(transport->sent(), threshold) << "at most failure_threshold calls before it opens";
  // Each cooldown: at most half_open_probes calls, however many runs wait.
  std::size_t before = transport->sent();
  for (int window = 0; window < 6; ++window) {
    for (int s = 0; s < 10; ++s)
      advance(1s);
    const auto now = transport->sent();
    EXPECT_LE(now - before, threshold + probes) << "window " << window;
    EXPECT_EQ(now - before, probes) << "window " << window;
    before = now;
  }
  EXPECT_EQ(integrations->stats().front().opened, 7U);
  // The service recovers: the next probe closes the breaker and every run completes.
  succeed_all();
  for (int s = 0; s < 12; ++s)
    advance(1s);
  std::size_t completed = 0;
  for (const auto& id : ids)
    completed += record(id).state == workflow_state::completed ? 1 : 0;
  EXPECT_EQ(completed, ids.size());
}

} // namespace
} // namespace vigil::test
