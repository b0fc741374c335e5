// The circuit breaker's decision (load-test issue: "breaker decision"): what letting one call
// out and recording its outcome costs, in each state. Pure logic, no actors; see
// actors/integrations/circuit_breaker.hpp.

#include <benchmark/benchmark.h>

#include "actors/integrations/circuit_breaker.hpp"

namespace {

using namespace vigil;
using namespace std::chrono_literals;

model::circuit_breaker_config config() {
  model::circuit_breaker_config c;
  c.failure_threshold = 5;
  c.window = 60s;
  c.failure_rate = 0.5;
  c.min_calls = 20;
  c.cooldown = 60s;
  c.max_cooldown = 600s;
  return c;
}

const model::timestamp t0 = model::from_unix_nanos(1'700'000'000'000'000'000);

/// Closed and healthy: acquire, then record a success (the common path of every call).
void breaker_closed_success(benchmark::State& state) {
  actors::circuit_breaker b{config()};
  auto now = t0;
  for (auto _ : state) {
    now += 1ms;
    auto d = b.acquire(now, 3);
    b.record(now, d.pass, false);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(breaker_closed_success);

/// Closed with a failure every 10th call (below the rate, under the threshold per window).
void breaker_closed_mixed(benchmark::State& state) {
  auto c = config();
  c.failure_threshold = 1'000'000;
  c.failure_rate = 1.0;
  actors::circuit_breaker b{c};
  auto now = t0;
  uint64_t i = 0;
  for (auto _ : state) {
    now += 1ms;
    auto d = b.acquire(now, 0);
    b.record(now, d.pass, ++i % 10 == 0);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(breaker_closed_mixed);

/// Open: the fail-fast rejection every caller gets while the cooldown runs.
void breaker_open_reject(benchmark::State& state) {
  actors::circuit_breaker b{config()};
  for (int i = 0; i < 5; ++i) {
    auto d = b.acquire(t0, 0);
    b.record(t0, d.pass, true);
  }
  auto now = t0;
  for (auto _ : state) {
    now += 1ns;
    auto d = b.acquire(now, 0);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(breaker_open_reject);

/// The token bucket's check and take for a rate-limited integration.
void token_bucket_take(benchmark::State& state) {
  actors::token_bucket tb;
  tb.configure({1e9, 1000}, t0);
  auto now = t0;
  for (auto _ : state) {
    now += 1ns;
    const bool ok = tb.ready(now);
    if (ok)
      tb.take();
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(token_bucket_take);

} // namespace

BENCHMARK_MAIN();
