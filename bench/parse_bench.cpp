// Parse + validate + normalize of Alertmanager alerts against simdjson's bare iterate and full
// walk of the same bytes (the floor any On-Demand parser pays). See docs/performance.md.

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include "bench/payloads.hpp"
#include "runtime/ingest/parse.hpp"
#include "runtime/model/clock.hpp"

namespace {

using namespace vigil;
namespace od = simdjson::ondemand;

/// Touches every value of a document: strings unescaped, numbers parsed.
simdjson::error_code walk(od::value v, std::size_t& sink) {
  od::json_type type;
  SIMDJSON_TRY(v.type().get(type));
  switch (type) {
    case od::json_type::object: {
      od::object obj;
      SIMDJSON_TRY(v.get_object().get(obj));
      for (auto item : obj) {
        od::field f;
        SIMDJSON_TRY(std::move(item).get(f));
        std::string_view key;
        SIMDJSON_TRY(f.unescaped_key().get(key));
        sink += key.size();
        SIMDJSON_TRY(walk(f.value(), sink));
      }
      break;
    }
    case od::json_type::array: {
      od::array arr;
      SIMDJSON_TRY(v.get_array().get(arr));
      for (auto item : arr) {
        od::value el;
        SIMDJSON_TRY(item.get(el));
        SIMDJSON_TRY(walk(el, sink));
      }
      break;
    }
    case od::json_type::string: {
      std::string_view s;
      SIMDJSON_TRY(v.get_string().get(s));
      sink += s.size();
      break;
    }
    case od::json_type::number: {
      double d;
      SIMDJSON_TRY(v.get_double().get(d));
      sink += static_cast<std::size_t>(d);
      break;
    }
    case od::json_type::boolean: {
      bool b;
      SIMDJSON_TRY(v.get_bool().get(b));
      sink += b ? 1 : 0;
      break;
    }
    case od::json_type::null:
      break;
  }
  return simdjson::SUCCESS;
}

void BM_vigil_parse_alertmanager(benchmark::State& state) {
  const int alerts = static_cast<int>(state.range(0));
  const std::string body = bench::alertmanager_webhook(alerts);
  const auto now = model::clock::system().now();
  std::string copy;
  copy.reserve(body.size() + 64);
  for (auto _ : state) {
    copy.assign(body);
    auto r = ingest::parse_payload(ingest::payload_format::alertmanager, copy, now);
    if (r.events.size() != static_cast<std::size_t>(alerts))
      state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * alerts);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
  state.counters["bytes_per_alert"] = static_cast<double>(bench::alertmanager_alert(0).size());
}

void BM_simdjson_iterate_and_walk(benchmark::State& state) {
  const int alerts = static_cast<int>(state.range(0));
  const simdjson::padded_string body{bench::alertmanager_webhook(alerts)};
  od::parser parser;
  for (auto _ : state) {
    std::size_t sink = 0;
    auto doc = parser.iterate(body);
    od::value root;
    if (doc.get_value().get(root) || walk(root, sink))
      state.SkipWithError("walk failed");
    benchmark::DoNotOptimize(sink);
  }
  state.SetItemsProcessed(state.iterations() * alerts);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}

void BM_vigil_parse_single_event(benchmark::State& state) {
  const std::string body = bench::single_event(1);
  const auto now = model::clock::system().now();
  std::string copy;
  copy.reserve(body.size() + 64);
  for (auto _ : state) {
    copy.assign(body);
    auto r = ingest::parse_payload(ingest::payload_format::events, copy, now);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_vigil_parse_alertmanager)->Arg(1)->Arg(50);
BENCHMARK(BM_simdjson_iterate_and_walk)->Arg(1)->Arg(50);
BENCHMARK(BM_vigil_parse_single_event);

} // namespace

BENCHMARK_MAIN();
