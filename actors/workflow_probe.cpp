#include "actors/workflow_probe.hpp"

namespace vigil::actors {

namespace {
double seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}
} // namespace

workflow_probe::workflow_probe()
  : trigger_(model::latency_buckets()), duration_(model::duration_buckets()) {}

workflow_probe::per_runbook& workflow_probe::entry(const std::string& runbook) {
  auto& e = by_runbook_[runbook];
  if (!e.duration)
    e.duration = std::make_unique<model::atomic_histogram>(model::duration_buckets());
  return e;
}

void workflow_probe::on_started(const std::string& runbook, std::chrono::nanoseconds since_ingest) {
  if (since_ingest.count() >= 0)
    trigger_.observe(seconds(since_ingest));
  std::lock_guard<std::mutex> guard{mtx_};
  ++entry(runbook).started;
}

void workflow_probe::on_finished(const std::string& runbook, std::string_view status,
                                 std::chrono::nanoseconds duration) {
  const auto s = seconds(std::max(duration, std::chrono::nanoseconds{0}));
  duration_.observe(s);
  std::lock_guard<std::mutex> guard{mtx_};
  auto& e = entry(runbook);
  ++e.finished[std::string{status}];
  e.duration->observe(s);
}

void workflow_probe::on_retry(const std::string& runbook, const std::string& step) {
  std::lock_guard<std::mutex> guard{mtx_};
  ++entry(runbook).step_retries[step];
}

void workflow_probe::on_recovery(std::string_view strategy, std::string_view outcome) {
  std::lock_guard<std::mutex> guard{mtx_};
  ++recoveries_[{std::string{strategy}, std::string{outcome}}];
}

std::vector<runbook_figures> workflow_probe::runbooks() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<runbook_figures> out;
  out.reserve(by_runbook_.size());
  for (const auto& [name, e] : by_runbook_)
    out.push_back({name, e.started, e.finished, e.step_retries, e.duration->snapshot()});
  return out;
}

std::vector<recovery_figure> workflow_probe::recoveries() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<recovery_figure> out;
  for (const auto& [key, n] : recoveries_)
    out.push_back({key.first, key.second, n});
  return out;
}

model::histogram_snapshot workflow_probe::ingest_to_trigger() const {
  return trigger_.snapshot();
}

model::histogram_snapshot workflow_probe::durations() const {
  return duration_.snapshot();
}

} // namespace vigil::actors
