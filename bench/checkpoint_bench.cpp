// Workflow checkpoint writes through the store's group-committing writer: how many run state
// changes per second the disk allows, alone and with many runs sharing each fsync.

#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <string>

#include "runtime/model/clock.hpp"
#include "storage/database.hpp"
#include "storage/workflow_store.hpp"

namespace {

using namespace vigil;
using namespace std::chrono_literals;

/// A fresh data directory per benchmark run.
struct bench_dir {
  bench_dir() {
    char tmpl[] = "/tmp/vigil-bench-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~bench_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

/// One database and store shared by the benchmark's threads.
struct fixture {
  explicit fixture(model::sync_policy sync) {
    auto opened = storage::database::open({dir.path});
    if (opened)
      db = std::move(*opened);
    if (db)
      store = std::make_unique<storage::workflow_store>(*db, sync);
  }
  ~fixture() {
    store.reset();
    db.reset();
  }
  bench_dir dir;
  std::unique_ptr<storage::database> db;
  std::unique_ptr<storage::workflow_store> store;
};

fixture* shared = nullptr;

/// A run in the middle of its third step: three steps, one with 1 KiB of captured output.
model::workflow_record realistic_record(uint32_t n) {
  const auto now = model::clock::system().now();
  model::workflow_record r;
  r.id = model::make_workflow_id(now, n);
  r.runbook = "restart-service-on-high-memory";
  r.runbook_path = "remediation/restart-service-on-high-memory.yaml";
  r.runbook_sha256 = std::string(64, 'e');
  r.state = model::workflow_state::running;
  r.current_step = 2;
  r.total_attempts = 3;
  r.created_at = now;
  r.started_at = now;
  r.updated_at = now;
  r.params = {{"service", "nginx"}, {"threshold", "90"}};
  r.event_seq = 1000 + n;
  auto& e = r.trigger;
  e.seq = r.event_seq;
  e.id = model::derived_event_id(e.seq);
  e.type = model::event_type::alert;
  e.severity = "critical";
  e.source = "alertmanager";
  e.labels.set("alertname", "HighMemoryUsage");
  e.labels.set("instance", "web-" + std::to_string(n) + ":9100");
  e.labels.set("job", "node");
  e.labels.set("service", "nginx");
  e.annotations.set("summary", "Memory usage above 90% for 5 minutes");
  e.starts_at = now - 5min;
  e.received_at = now;
  e.fingerprint = model::fingerprint_of(e.labels);
  r.concurrency_key = "web-" + std::to_string(n);
  r.steps.push_back({"check", model::step_status::succeeded, 1, 0,
                     "nginx.service - A high performance web server\n   Active: active (running)",
                     "", now, now + 200ms});
  r.steps.push_back(
    {"restart", model::step_status::succeeded, 1, 0, std::string(1024, 'o'), "", now, now + 2s});
  r.steps.push_back({"verify", model::step_status::running, 1, 0, "", "", now + 2s, {}});
  return r;
}

/// Each iteration is one checkpoint: the run's record plus one timeline line, written and
/// waited for as a workflow actor does before its next side effect. Threads are concurrent
/// runs sharing the store.
void BM_checkpoint_write(benchmark::State& state) {
  const auto sync = static_cast<model::sync_policy>(state.range(0));
  if (state.thread_index() == 0)
    shared = new fixture(sync);
  auto r = realistic_record(static_cast<uint32_t>(state.thread_index()));
  // The loop's start is a barrier: `shared` is set by now.
  for (auto _ : state) {
    if (!shared->store) {
      state.SkipWithError("cannot open the database");
      break;
    }
    ++r.log_seq;
    storage::workflow_write w;
    w.log.emplace_back(r.id, model::workflow_log_entry{r.log_seq, r.updated_at, "step_started",
                                                       "verify", 1, "attempt 1"});
    w.records.push_back(r);
    if (auto err = shared->store->write_sync(std::move(w))) {
      state.SkipWithError("checkpoint write failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  // ... and so is its end: every thread is done with the store.
  if (state.thread_index() == 0) {
    state.counters["groups"] = static_cast<double>(shared->store->stats().groups.load());
    delete shared;
    shared = nullptr;
  }
}

// sync policy: 1 batch, 2 none (0 always: one fsync per checkpoint); threads: concurrent runs
BENCHMARK(BM_checkpoint_write)
  ->ArgName("sync")
  ->Arg(1)
  ->Arg(2)
  ->Threads(1)
  ->Threads(16)
  ->UseRealTime();

} // namespace

BENCHMARK_MAIN();
