// The ingest queues: push/pull throughput, and the memory a full default queue (10,000
// Alertmanager alerts) adds. See docs/performance.md.

#include <benchmark/benchmark.h>
#include <fstream>
#include <unistd.h>

#include "bench/payloads.hpp"
#include "runtime/ingest/event_queue.hpp"
#include "runtime/ingest/parse.hpp"
#include "runtime/model/clock.hpp"

namespace {

using namespace vigil;

std::vector<model::event> make_events(int n) {
  std::vector<model::event> out;
  for (int first = 0; first < n; first += 100) {
    auto body = bench::alertmanager_webhook(std::min(100, n - first), first);
    auto r = ingest::parse_payload(ingest::payload_format::alertmanager, body,
                                   model::clock::system().now());
    for (auto& e : r.events)
      out.push_back(std::move(e));
  }
  return out;
}

/// Resident set size in bytes.
std::size_t rss_bytes() {
  std::ifstream in{"/proc/self/statm"};
  std::size_t pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

void BM_queue_push_pull(benchmark::State& state) {
  ingest::event_queue q{10'000};
  auto events = make_events(100);
  std::vector<model::event> out;
  out.reserve(100);
  for (auto _ : state) {
    if (!q.try_reserve(events.size()))
      state.SkipWithError("reserve failed");
    for (auto& e : events)
      q.push(model::event{e});
    out.clear();
    q.pull(out, 100);
  }
  state.SetItemsProcessed(state.iterations() * 100);
}

void BM_full_default_queue_memory(benchmark::State& state) {
  for (auto _ : state) {
    // Everything a full queue holds: the queue's blocks and the 10,000 events' own heap.
    const auto before = rss_bytes();
    ingest::event_queue q{10'000};
    {
      auto events = make_events(10'000);
      if (!q.try_reserve(events.size()))
        state.SkipWithError("reserve failed");
      for (auto& e : events)
        q.push(std::move(e));
    }
    state.counters["queue_mb"] = static_cast<double>(rss_bytes() - before) / (1 << 20);
    state.counters["bytes_per_event"] = static_cast<double>(rss_bytes() - before) / 10'000;
    std::vector<model::event> drain;
    q.pull(drain, 10'000);
  }
}

BENCHMARK(BM_queue_push_pull);
BENCHMARK(BM_full_default_queue_memory)->Iterations(1);

} // namespace

BENCHMARK_MAIN();
