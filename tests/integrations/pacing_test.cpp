// Pacing against a real local server: a 429's Retry-After pauses the integration (checked to
// 100 ms on the server's own clock) and the bulkhead caps concurrent calls.

#include "tests/integrations/live_fixture.hpp"

namespace vigil::test {
namespace {

using namespace std::chrono_literals;
using actors::call_failure;

TEST_F(live_fixture, a_429_retry_after_pauses_every_call_until_then_within_100ms) {
  auto cfg = integration("svc", "http");
  start({cfg});
  server.push(scripted_response::too_many("1"));
  const auto limited = send("svc", "http", R"({"path":"/a"})");
  auto r = await(limited);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->failure, call_failure::rate_limited);
  EXPECT_GE(r->retry_after, 990ms);
  EXPECT_LE(r->retry_after, 1000ms);
  // Queued behind the pause: they wait and succeed; none goes out before Retry-After.
  const auto b = send("svc", "http", R"({"path":"/b"})");
  const auto c = send("svc", "http", R"({"path":"/c"})");
  auto rb = await(b);
  auto rc = await(c);
  ASSERT_TRUE(rb && rc);
  EXPECT_TRUE(rb->ok()) << rb->error;
  EXPECT_TRUE(rc->ok()) << rc->error;
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3U);
  for (std::size_t i = 1; i < 3; ++i) {
    const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(reqs[i].at - reqs[0].at);
    EXPECT_GE(gap, 1000ms) << reqs[i].target;
    EXPECT_LE(gap, 1100ms) << reqs[i].target;
  }
  const auto s = service->stats().front();
  EXPECT_EQ(s.rate_limit_pauses, 1U);
  EXPECT_EQ(s.retries_hinted, 1U);
}

TEST_F(live_fixture, the_bulkhead_keeps_at_most_max_in_flight_calls_at_the_service) {
  auto cfg = integration("svc", "http");
  cfg.max_in_flight = 3;
  cfg.circuit_breaker.failure_threshold = 100;
  start({cfg});
  server.set_fallback(scripted_response::slow(150ms));
  std::vector<uint64_t> tokens;
  tokens.reserve(10);
  for (int i = 0; i < 10; ++i)
    tokens.push_back(send("svc", "http", R"({"path":"/slow"})"));
  for (auto t : tokens) {
    auto r = await(t);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->ok()) << r->error;
  }
  EXPECT_EQ(server.count(), 10U);
  EXPECT_EQ(server.peak_concurrency(), 3U);
}

TEST_F(live_fixture, a_dead_service_gets_threshold_calls_then_only_probes_after_the_cooldown) {
  auto cfg = integration("svc", "http");
  cfg.circuit_breaker.failure_threshold = 3;
  cfg.circuit_breaker.cooldown = 300ms;
  cfg.circuit_breaker.max_cooldown = 300ms;
  start({cfg});
  server.set_fallback(scripted_response::with_status(503, "down"));
  std::vector<uint64_t> tokens;
  tokens.reserve(20);
  for (int i = 0; i < 20; ++i)
    tokens.push_back(send("svc", "http", R"({"path":"/x"})"));
  std::size_t open = 0;
  for (auto t : tokens) {
    auto r = await(t);
    ASSERT_TRUE(r);
    open += r->error == "circuit_open" ? 1 : 0;
  }
  EXPECT_EQ(server.count(), 3U);
  EXPECT_EQ(open, 17U);
  const auto opened_at = server.requests().back().at;
  // After the cooldown, one probe; the service is back: it closes.
  server.set_fallback(scripted_response::ok());
  auto r = await(send("svc", "http", R"({"path":"/x"})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error, "circuit_open");
  ASSERT_GT(r->retry_after, 0ms);
  EXPECT_LE(r->retry_after, 300ms);
  self->receive(caf::after(r->retry_after) >> [] {}); // wait as a run would: its retry_after
  r = await(send("svc", "http", R"({"path":"/x"})"));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok()) << r->error;
  EXPECT_GE(server.requests().back().at - opened_at, 300ms);
  // The answer reaches the caller before the breaker actor has taken the outcome in (health is a
  // snapshot it publishes after): wait for it, bounded.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (service->health("svc")->state != actors::breaker_state::closed
         && std::chrono::steady_clock::now() < deadline)
    self->receive(caf::after(5ms) >> [] {});
  EXPECT_EQ(service->health("svc")->state, actors::breaker_state::closed);
}

} // namespace
} // namespace vigil::test
