// The trigger matcher: events against 1,000 loaded runbooks with distinct alertnames plus 0,
// 20 or 100 generic ones. Target: under 2 µs per event on one core (`ns_per_event`; take the
// fastest repetition on a shared machine: build/bench/bench_match --benchmark_repetitions=5).

#include <benchmark/benchmark.h>

#include "runtime/runbook/matcher.hpp"

namespace {

using namespace vigil;

runbook::runbook_ptr load(const std::string& text) {
  auto r = runbook::load_runbook_text(text, "bench.yaml", "bench.yaml", {});
  if (!r)
    throw std::runtime_error(r.errors().front().to_string());
  return std::make_shared<const runbook::runbook>(std::move(r).value());
}

/// 1,000 runbooks each for its own alertname (with a severity and an instance condition),
/// plus `generic` runbooks whose triggers name no alertname (checked against every event of
/// their type and status).
std::vector<runbook::runbook_ptr> make_runbooks(int generic) {
  std::vector<runbook::runbook_ptr> out;
  for (int i = 0; i < generic; ++i) {
    const auto n = std::to_string(i);
    std::string trigger;
    switch (i % 4) {
      case 0:
        trigger = "{type: alert, match: {severity: critical, team: {eq: team-" + n + "}}}";
        break;
      case 1:
        trigger = "{type: metric, match: {metric_name: "
                  + (i == 1 ? std::string{"cpu_usage_percent"} : "metric_" + n)
                  + ", value: {gt: 90}}}";
        break;
      case 2:
        trigger = "{type: alert, status: resolved, match: {instance: {regex: \"db-[0-9]+\"}}}";
        break;
      default:
        trigger = "{match: {source: {eq: custom-" + n + "}, env: {ne: dev}}}";
        break;
    }
    out.push_back(load("name: generic-" + n + "\ntriggers: [" + trigger
                       + "]\nsteps: [{name: s, action: noop}]\n"));
  }
  for (int i = generic; i < generic + 1000; ++i)
    out.push_back(load("name: alert-" + std::to_string(i)
                       + "\ntriggers:\n  - type: alert\n    labels: {alertname: Alert"
                       + std::to_string(i)
                       + "}\n    match: {severity: {in: [warning, critical]}, instance: {regex: "
                         "\"web-.*\"}}\nsteps: [{name: s, action: noop}]\n"));
  return out;
}

/// A mix: alerts for a known runbook (1 match, 2 with a generic one), unknown alerts (0),
/// metrics above and below the threshold.
std::vector<model::event> make_events() {
  std::vector<model::event> out;
  for (int i = 0; i < 100; ++i) {
    model::event e;
    e.type = model::event_type::alert;
    const bool known = i % 4 != 3;
    e.labels = model::label_set{
      {{"alertname", known ? "Alert" + std::to_string(300 + i * 7) : "Unknown" + std::to_string(i)},
       {"instance", "web-" + std::to_string(i)},
       {"job", "node"},
       {"severity", i % 2 == 0 ? "critical" : "warning"},
       {"team", i % 5 == 0 ? "team-0" : "web"}}};
    out.push_back(std::move(e));
  }
  for (int i = 0; i < 20; ++i) {
    model::event e;
    e.type = model::event_type::metric;
    e.metric_name = "cpu_usage_percent";
    e.value = 80 + i;
    e.labels = model::label_set{{{"instance", "web-" + std::to_string(i)}}};
    out.push_back(std::move(e));
  }
  return out;
}

void BM_match_1000_runbooks(benchmark::State& state) {
  const runbook::matcher m{make_runbooks(static_cast<int>(state.range(0)))};
  const auto events = make_events();
  std::vector<const runbook::runbook*> out;
  out.reserve(16);
  std::size_t matched = 0;
  for (auto _ : state) {
    for (const auto& e : events) {
      out.clear();
      m.match(e, out);
      matched += out.size();
    }
    benchmark::DoNotOptimize(matched);
  }
  const auto n = static_cast<double>(state.iterations() * events.size());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(events.size()));
  state.counters["ns_per_event"] = benchmark::Counter(
    n, benchmark::Counter::kIsRate | benchmark::Counter::kInvert, benchmark::Counter::kIs1000);
  state.counters["matches_per_event"] = static_cast<double>(matched) / n;
}
// Argument: how many generic runbooks come with the 1,000 alertname ones.
BENCHMARK(BM_match_1000_runbooks)->Arg(0)->Arg(20)->Arg(100);

} // namespace

BENCHMARK_MAIN();
