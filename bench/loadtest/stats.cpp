#include "bench/loadtest/stats.hpp"

namespace vigil::loadtest {

void window_stats::merge(const window_stats& other) {
  accept.merge(other.accept);
  end_to_end.merge(other.end_to_end);
  requests += other.requests;
  failed += other.failed;
}

window_stats& phase_stats::window_at(std::chrono::nanoseconds since_start) {
  const auto i =
    since_start.count() <= 0 ? std::size_t{0} : static_cast<std::size_t>(since_start / window);
  if (i >= windows.size())
    windows.resize(i + 1);
  return windows[i];
}

void phase_stats::merge(const phase_stats& other) {
  accept.merge(other.accept);
  end_to_end.merge(other.end_to_end);
  dispatch_lag.merge(other.dispatch_lag);
  if (other.windows.size() > windows.size())
    windows.resize(other.windows.size());
  for (std::size_t i = 0; i < other.windows.size(); ++i)
    windows[i].merge(other.windows[i]);
  requests += other.requests;
  ok += other.ok;
  failed += other.failed;
  events += other.events;
  ok_events += other.ok_events;
  server_duplicates += other.server_duplicates;
  waited_for_connection += other.waited_for_connection;
  for (const auto& [key, n] : other.errors)
    errors[key] += n;
  e2e_expected += other.e2e_expected;
  e2e_seen += other.e2e_seen;
  e2e_missing += other.e2e_missing;
}

} // namespace vigil::loadtest
