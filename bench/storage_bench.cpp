// Event-log append (group commit, dedup index) and the raw RocksDB floor under it: a plain
// WriteBatch of the same bytes with the same fsync. See docs/performance.md.

#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "bench/payloads.hpp"
#include "runtime/ingest/parse.hpp"
#include "runtime/model/clock.hpp"
#include "storage/codec.hpp"
#include "storage/database.hpp"
#include "storage/event_codec.hpp"
#include "storage/event_log.hpp"

namespace {

using namespace vigil;

/// A fresh data directory per benchmark run.
struct bench_dir {
  bench_dir() {
    char tmpl[] = "/tmp/vigil-bench-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~bench_dir() { std::system(("rm -rf " + path).c_str()); }
  std::string path;
};

/// `n` distinct Alertmanager alerts as parsed events.
std::vector<model::event> make_events(int n, int first) {
  auto body = bench::alertmanager_webhook(n, first);
  auto r =
    ingest::parse_payload(ingest::payload_format::alertmanager, body, model::clock::system().now());
  return std::move(r.events);
}

void BM_event_log_append(benchmark::State& state) {
  const auto sync = static_cast<model::sync_policy>(state.range(0));
  const int batch = static_cast<int>(state.range(1));
  bench_dir dir;
  auto db = storage::database::open({dir.path});
  auto log = storage::event_log::open(**db, model::clock::system(), sync, std::chrono::hours{24});
  int next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto events = make_events(batch, next);
    next += batch;
    state.ResumeTiming();
    auto r = (*log)->append_sync(std::move(events));
    if (r.accepted.size() != static_cast<std::size_t>(batch))
      state.SkipWithError("append failed");
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

void BM_rocksdb_raw_writebatch(benchmark::State& state) {
  const bool fsync = state.range(0) != 0;
  const int batch = static_cast<int>(state.range(1));
  bench_dir dir;
  auto db = storage::database::open({dir.path});
  auto& rdb = (*db)->db();
  uint64_t seq = 0;
  rocksdb::WriteOptions wo;
  wo.sync = fsync;
  for (auto _ : state) {
    state.PauseTiming();
    auto events = make_events(batch, static_cast<int>(seq));
    std::vector<std::string> values(events.size());
    for (std::size_t i = 0; i < events.size(); ++i)
      storage::encode_event(events[i], values[i]);
    state.ResumeTiming();
    rocksdb::WriteBatch wb;
    for (auto& v : values)
      wb.Put((*db)->handle(storage::column::events), storage::seq_key(++seq), v);
    auto st = rdb.Write(wo, &wb);
    if (!st.ok())
      state.SkipWithError("write failed");
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

// sync policy: 0 always, 1 batch, 2 none; events per append
BENCHMARK(BM_event_log_append)->Args({1, 50})->Args({2, 50})->Args({1, 800})->UseRealTime();
BENCHMARK(BM_rocksdb_raw_writebatch)->Args({1, 50})->Args({0, 50})->Args({1, 800})->UseRealTime();

} // namespace

BENCHMARK_MAIN();
