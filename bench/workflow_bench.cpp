// The workflow engine under load: how fast runs start (event handed to the manager → first step
// dispatched) and what 100,000 runs parked in a `wait` step cost in memory. The real actor
// system and RocksDB, no test coordinator. See docs/performance.md.

#include <benchmark/benchmark.h>
#ifdef VIGIL_BENCH_JEMALLOC
#include <jemalloc/jemalloc.h>
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#endif
#include <caf/actor_system.hpp>
#include <fstream>
#include <rocksdb/db.h>
#include <thread>
#include <unistd.h>

#include "actors/system_config.hpp"
#include "actors/workflow_service.hpp"
#include "storage/database.hpp"
#include "storage/event_log.hpp"

namespace {

using namespace vigil;
using namespace std::chrono_literals;

struct bench_dir {
  bench_dir() {
    char tmpl[] = "/tmp/vigil-bench-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~bench_dir() { std::system(("rm -rf " + path).c_str()); }
  std::string path;
};

std::size_t rss_bytes() {
  std::ifstream in{"/proc/self/statm"};
  std::size_t pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

runbook::runbook_ptr make_book(const std::string& yaml) {
  auto loaded = runbook::load_runbook_text(yaml, "bench.yaml", "bench.yaml", {});
  if (!loaded)
    std::abort();
  return std::make_shared<const runbook::runbook>(std::move(loaded).value());
}

/// One engine over a fresh database.
struct engine_under_test {
  explicit engine_under_test(model::sync_policy sync, uint32_t max_concurrent) {
    db = std::move(*storage::database::open({dir.path}));
    log = std::move(
      *storage::event_log::open(*db, model::clock::system(), model::sync_policy::none, 24h));
    actors::workflow_service_options opts;
    opts.sync = sync;
    opts.engine.max_concurrent = max_concurrent;
    opts.engine.default_run_timeout = 24h;
    wf = std::make_unique<actors::workflow_service>(sys, *db, *log, model::clock::system(), opts);
  }
  ~engine_under_test() {
    wf->stop();
    log->close();
  }

  /// Hands `n` alerts (distinct fingerprints) to the dispatcher path.
  void dispatch(int n, int first) {
    std::vector<model::event> batch;
    for (int i = 0; i < n; ++i) {
      auto body = std::vector<model::event>{};
      model::event e;
      e.type = model::event_type::alert;
      e.labels.set("alertname", "Bench");
      e.labels.set("instance", "host-" + std::to_string(first + i));
      e.fingerprint = model::fingerprint_of(e.labels);
      e.received_at = model::clock::system().now();
      e.seq = static_cast<uint64_t>(first) + static_cast<uint64_t>(i) + 1;
      e.id = model::derived_event_id(e.seq);
      batch.push_back(std::move(e));
      if (batch.size() == 100) {
        wf->dispatch(batch);
        batch.clear();
      }
    }
    if (!batch.empty())
      wf->dispatch(batch);
  }

  bench_dir dir;
  std::unique_ptr<storage::database> db;
  std::unique_ptr<storage::event_log> log;
  actors::system_config cfg{2};
  caf::actor_system sys{cfg};
  std::unique_ptr<actors::workflow_service> wf;
};

void BM_runs_started(benchmark::State& state) {
  const auto sync = static_cast<model::sync_policy>(state.range(0));
  const int runs = static_cast<int>(state.range(1));
  for (auto _ : state) {
    engine_under_test e{sync, 1'000'000};
    e.wf->install({make_book(R"(
name: noop
triggers: [{type: alert, labels: {alertname: Bench}}]
steps:
  - {name: only, action: noop}
)")});
    const auto t0 = std::chrono::steady_clock::now();
    e.dispatch(runs, 0);
    while (e.wf->context().stats.completed.load() < static_cast<uint64_t>(runs))
      std::this_thread::sleep_for(1ms);
    const auto elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.SetIterationTime(elapsed);
    // Per run: the trigger's receive time to its first step's start, from the timelines.
    std::vector<double> latencies;
    auto list = e.wf->store().list({std::nullopt, "", {}, static_cast<std::size_t>(runs)});
    for (const auto& rec : *list) {
      auto entries = e.wf->store().log(rec.id);
      for (const auto& entry : *entries)
        if (entry.kind == "step_started") {
          latencies.push_back(
            std::chrono::duration<double, std::micro>(entry.at - rec.trigger.received_at).count());
          break;
        }
    }
    std::sort(latencies.begin(), latencies.end());
    if (!latencies.empty()) {
      state.counters["p50_us"] = latencies[latencies.size() / 2];
      state.counters["p99_us"] = latencies[latencies.size() * 99 / 100];
    }
    state.counters["runs_per_s"] = runs / elapsed;
  }
}

/// Latency at a steady rate: one event every `1/rate` s, each run's trigger receive time to its
/// first step's start.
void BM_run_start_latency(benchmark::State& state) {
  const auto sync = static_cast<model::sync_policy>(state.range(0));
  const int rate = static_cast<int>(state.range(1));
  const int runs = rate * 3;
  for (auto _ : state) {
    engine_under_test e{sync, 1'000'000};
    e.wf->install({make_book(R"(
name: noop
triggers: [{type: alert, labels: {alertname: Bench}}]
steps:
  - {name: only, action: noop}
)")});
    const auto period = std::chrono::nanoseconds{1'000'000'000 / rate};
    auto next = std::chrono::steady_clock::now();
    const auto t0 = next;
    for (int i = 0; i < runs; ++i) {
      std::this_thread::sleep_until(next);
      e.dispatch(1, i);
      next += period;
    }
    while (e.wf->context().stats.completed.load() < static_cast<uint64_t>(runs))
      std::this_thread::sleep_for(1ms);
    state.SetIterationTime(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    std::vector<double> latencies;
    auto list = e.wf->store().list({std::nullopt, "", {}, static_cast<std::size_t>(runs)});
    for (const auto& rec : *list) {
      auto entries = e.wf->store().log(rec.id);
      for (const auto& entry : *entries)
        if (entry.kind == "step_started") {
          latencies.push_back(
            std::chrono::duration<double, std::micro>(entry.at - rec.trigger.received_at).count());
          break;
        }
    }
    std::sort(latencies.begin(), latencies.end());
    if (!latencies.empty()) {
      state.counters["p50_us"] = latencies[latencies.size() / 2];
      state.counters["p99_us"] = latencies[latencies.size() * 99 / 100];
    }
  }
}

void BM_parked_runs_memory(benchmark::State& state) {
  const int runs = static_cast<int>(state.range(0));
  for (auto _ : state) {
    engine_under_test e{model::sync_policy::none, 1'000'000};
    e.wf->install({make_book(R"(
name: parked
triggers: [{type: alert, labels: {alertname: Bench}}]
steps:
  - {name: hold, action: wait, duration: 1h}
  - {name: after, action: noop}
)")});
    const auto before = rss_bytes();
    const auto t0 = std::chrono::steady_clock::now();
    e.dispatch(runs, 0);
    while (e.wf->context().stats.started.load() < static_cast<uint64_t>(runs))
      std::this_thread::sleep_for(5ms);
    // Let the last checkpoints land and the parked runs leave memory.
    std::this_thread::sleep_for(2s);
#ifdef VIGIL_BENCH_JEMALLOC
    // Give freed pages back now rather than after jemalloc's decay time, so RSS shows what
    // is in use.
    mallctl("arena." STRINGIFY(MALLCTL_ARENAS_ALL) ".purge", nullptr, nullptr, nullptr, 0);
#endif
    state.SetIterationTime(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    state.counters["rss_mb"] = static_cast<double>(rss_bytes() - before) / (1 << 20);
    uint64_t memtables = 0;
    e.db->db().GetAggregatedIntProperty("rocksdb.cur-size-all-mem-tables", &memtables);
    state.counters["memtables_mb"] = static_cast<double>(memtables) / (1 << 20);
    state.counters["bytes_per_run"] = static_cast<double>(rss_bytes() - before) / runs;
  }
}

// sync: 1 batch, 2 none; runs
BENCHMARK(BM_runs_started)
  ->Args({1, 10'000})
  ->Args({2, 10'000})
  ->Iterations(1)
  ->UseManualTime()
  ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_run_start_latency)
  ->Args({1, 1000})
  ->Args({2, 1000})
  ->Iterations(1)
  ->UseManualTime()
  ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_parked_runs_memory)
  ->Arg(100'000)
  ->Iterations(1)
  ->UseManualTime()
  ->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
