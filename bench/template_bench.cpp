// Template rendering: the `{{ ... }}` texts of a step (an exec argument, a Slack message) with an
// alert's labels and annotations, as a run renders them before each step.
// build/bench/bench_template --benchmark_repetitions=5

#include <benchmark/benchmark.h>
#include <stdexcept>

#include "runtime/model/event.hpp"
#include "runtime/runbook/runbook.hpp"

namespace {

using namespace vigil;

runbook::template_string parse(std::string_view text) {
  std::string error;
  auto t = runbook::template_string::parse(text, error);
  if (!t)
    throw std::runtime_error(error);
  return std::move(*t);
}

model::event alert() {
  model::event e;
  e.type = model::event_type::alert;
  e.severity = "critical";
  e.id = "evt-0123456789";
  e.labels = model::label_set{{{"alertname", "HighMemoryUsage"},
                               {"instance", "web-17.prod.example.com:9100"},
                               {"job", "node"},
                               {"service", "checkout"},
                               {"team", "payments"}}};
  e.annotations = model::label_set{{{"summary", "Memory above 90% for 10 minutes"},
                                    {"runbook_url", "https://runbooks.example.com/high-memory"}}};
  return e;
}

void BM_render_message(benchmark::State& state) {
  const auto t = parse("{{ labels.alertname }} on {{ labels.instance }} ({{ event.severity }}): "
                       "{{ annotations.summary }}; see {{ annotations.runbook_url }}");
  const auto e = alert();
  const std::map<std::string, std::string> params{{"threshold", "90"}};
  runbook::render_context ctx{&e, &params, nullptr, "wf-0123456789abcdef"};
  for (auto _ : state)
    benchmark::DoNotOptimize(t.render(ctx));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_render_message);

void BM_render_argument(benchmark::State& state) {
  const auto t = parse("{{ labels.instance }}");
  const auto e = alert();
  runbook::render_context ctx{&e, nullptr, nullptr, "wf-0123456789abcdef"};
  for (auto _ : state)
    benchmark::DoNotOptimize(t.render(ctx));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_render_argument);

void BM_parse_template(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(parse("restart {{ params.service }} on {{ labels.instance }}"));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_parse_template);

} // namespace

BENCHMARK_MAIN();
