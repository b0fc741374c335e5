// The breaker's decisions, driven directly with explicit times (no actors, no clock).

#include <gtest/gtest.h>

#include "actors/integrations/circuit_breaker.hpp"

namespace vigil::actors {
namespace {

using namespace std::chrono_literals;
using verdict = circuit_breaker::verdict;

const model::timestamp t0 = model::from_unix_nanos(1'700'000'000'000'000'000);

model::circuit_breaker_config config(uint32_t threshold = 3) {
  model::circuit_breaker_config c;
  c.failure_threshold = threshold;
  c.window = 60s;
  c.failure_rate = 0.5;
  c.min_calls = 1000; // the rate rule stays out of the way unless a test wants it
  c.cooldown = 10s;
  c.max_cooldown = 35s;
  c.half_open_probes = 1;
  return c;
}

/// Acquires and records one call at `at`.
void call(circuit_breaker& b, model::timestamp at, bool failure) {
  auto d = b.acquire(at, 0);
  ASSERT_EQ(d.what, verdict::allow);
  b.record(at, d.pass, failure);
}

TEST(circuit_breaker, opens_after_the_threshold_within_the_window_and_rejects_until_cooldown) {
  circuit_breaker b{config(3)};
  call(b, t0, true);
  call(b, t0 + 1s, true);
  EXPECT_EQ(b.state(), breaker_state::closed);
  EXPECT_EQ(b.recent_failures(t0 + 1s), 2U);
  call(b, t0 + 2s, true);
  EXPECT_EQ(b.state(), breaker_state::open);
  EXPECT_EQ(b.open_until(), t0 + 12s);
  auto d = b.acquire(t0 + 5s, 0);
  EXPECT_EQ(d.what, verdict::reject);
  EXPECT_EQ(d.retry_after, 7s);
  EXPECT_EQ(b.acquire(t0 + 12s - 1ms, 0).what, verdict::reject);
  EXPECT_EQ(b.acquire(t0 + 12s, 0).what, verdict::allow);
  EXPECT_EQ(b.state(), breaker_state::half_open);
}

TEST(circuit_breaker, failures_older_than_the_window_do_not_count) {
  circuit_breaker b{config(3)};
  call(b, t0, true);
  call(b, t0 + 30s, true);
  call(b, t0 + 61s, true); // the first one left the window
  EXPECT_EQ(b.state(), breaker_state::closed);
  EXPECT_EQ(b.recent_failures(t0 + 61s), 2U);
  call(b, t0 + 62s, true);
  EXPECT_EQ(b.state(), breaker_state::open);
}

TEST(circuit_breaker, a_success_does_not_reset_the_window_count_but_restores_full_concurrency) {
  circuit_breaker b{config(3)};
  call(b, t0, true);
  // After a failure at most threshold - failures calls may be out at once.
  EXPECT_EQ(b.acquire(t0, 2).what, verdict::wait);
  call(b, t0 + 1s, false);
  EXPECT_EQ(b.consecutive_failures(), 0U);
  EXPECT_EQ(b.acquire(t0 + 1s, 100).what, verdict::allow);
}

TEST(circuit_breaker, before_any_success_only_threshold_calls_go_out_at_once) {
  circuit_breaker b{config(5)};
  int allowed = 0;
  std::vector<circuit_breaker::ticket> out;
  for (int i = 0; i < 50; ++i) {
    auto d = b.acquire(t0, out.size());
    if (d.what == verdict::allow) {
      ++allowed;
      out.push_back(d.pass);
    }
  }
  EXPECT_EQ(allowed, 5);
  for (auto t : out)
    b.record(t0 + 1s, t, true);
  EXPECT_EQ(b.state(), breaker_state::open);
}

TEST(circuit_breaker, half_open_success_closes_and_failure_reopens_with_doubled_cooldown) {
  circuit_breaker b{config(1)};
  call(b, t0, true);
  ASSERT_EQ(b.state(), breaker_state::open);
  EXPECT_EQ(b.cooldown(), 10s);
  // Half-open: one probe; a second caller waits.
  auto probe = b.acquire(t0 + 10s, 0);
  ASSERT_EQ(probe.what, verdict::allow);
  EXPECT_TRUE(probe.pass.probe);
  EXPECT_EQ(b.acquire(t0 + 10s, 1).what, verdict::wait);
  b.record(t0 + 11s, probe.pass, true);
  EXPECT_EQ(b.state(), breaker_state::open);
  EXPECT_EQ(b.cooldown(), 20s);
  EXPECT_EQ(b.open_until(), t0 + 31s);
  probe = b.acquire(t0 + 31s, 0);
  b.record(t0 + 31s, probe.pass, true);
  EXPECT_EQ(b.cooldown(), 35s) << "capped at max_cooldown";
  probe = b.acquire(t0 + 66s, 0);
  b.record(t0 + 66s, probe.pass, true);
  EXPECT_EQ(b.cooldown(), 35s);
  probe = b.acquire(t0 + 101s, 0);
  b.record(t0 + 101s, probe.pass, false);
  EXPECT_EQ(b.state(), breaker_state::closed);
  EXPECT_EQ(b.consecutive_failures(), 0U);
  // Closed again: the next opening starts from the base cooldown.
  call(b, t0 + 102s, true);
  EXPECT_EQ(b.cooldown(), 10s);
}

TEST(circuit_breaker, several_probes_must_all_succeed) {
  auto c = config(1);
  c.half_open_probes = 2;
  circuit_breaker b{c};
  call(b, t0, true);
  auto p1 = b.acquire(t0 + 10s, 0);
  auto p2 = b.acquire(t0 + 10s, 1);
  ASSERT_EQ(p1.what, verdict::allow);
  ASSERT_EQ(p2.what, verdict::allow);
  EXPECT_EQ(b.acquire(t0 + 10s, 2).what, verdict::wait);
  b.record(t0 + 10s, p1.pass, false);
  EXPECT_EQ(b.state(), breaker_state::half_open);
  b.record(t0 + 10s, p2.pass, false);
  EXPECT_EQ(b.state(), breaker_state::closed);
}

TEST(circuit_breaker, outcomes_of_calls_from_before_a_state_change_are_ignored) {
  circuit_breaker b{config(2)};
  auto early = b.acquire(t0, 0);
  call(b, t0, true);
  call(b, t0, true);
  ASSERT_EQ(b.state(), breaker_state::open);
  auto probe = b.acquire(t0 + 10s, 0);
  ASSERT_TRUE(probe.pass.probe);
  b.record(t0 + 10s, early.pass, false); // a late success from the closed era
  EXPECT_EQ(b.state(), breaker_state::half_open);
  b.record(t0 + 10s, probe.pass, true);
  EXPECT_EQ(b.state(), breaker_state::open);
}

TEST(circuit_breaker, a_released_probe_frees_its_slot) {
  circuit_breaker b{config(1)};
  call(b, t0, true);
  auto p = b.acquire(t0 + 10s, 0);
  EXPECT_EQ(b.acquire(t0 + 10s, 1).what, verdict::wait);
  b.release(p.pass);
  EXPECT_EQ(b.acquire(t0 + 10s, 0).what, verdict::allow);
}

TEST(circuit_breaker, opens_on_the_failure_rate_over_min_calls) {
  auto c = config(1000);
  c.failure_rate = 0.5;
  c.min_calls = 10;
  circuit_breaker b{c};
  for (int i = 0; i < 9; ++i)
    call(b, t0 + std::chrono::seconds{i}, i % 2 == 1); // 4 failures of 9: under min_calls
  EXPECT_EQ(b.state(), breaker_state::closed);
  call(b, t0 + 9s, true); // 5 of 10: the rate is reached
  EXPECT_EQ(b.state(), breaker_state::open);
}

TEST(circuit_breaker, tick_half_opens_on_time_without_a_call) {
  circuit_breaker b{config(1)};
  call(b, t0, true);
  EXPECT_FALSE(b.tick(t0 + 9s));
  EXPECT_TRUE(b.tick(t0 + 10s));
  EXPECT_EQ(b.state(), breaker_state::half_open);
}

TEST(token_bucket, allows_a_burst_then_paces_at_the_rate) {
  token_bucket tb;
  tb.configure({2.0, 3}, t0);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(tb.ready(t0));
    tb.take();
  }
  EXPECT_FALSE(tb.ready(t0));
  EXPECT_EQ(tb.wait_time(t0), 500ms);
  EXPECT_FALSE(tb.ready(t0 + 499ms));
  EXPECT_TRUE(tb.ready(t0 + 500ms));
}

} // namespace
} // namespace vigil::actors
