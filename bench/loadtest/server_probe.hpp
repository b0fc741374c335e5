#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace vigil::loadtest {

/// What the server said about itself at one moment.
struct server_snapshot {
  std::optional<std::string> metrics_json; ///< `GET /api/metrics` when it answered 200 with JSON
  /// `vigil_ingest_to_trigger_seconds` from `GET /metrics` (Prometheus text): cumulative count by
  /// upper bound (`le`, +inf included), summed over label sets; empty when absent.
  std::map<double, double> ingest_to_trigger_buckets;
  double ingest_to_trigger_count = 0;
};

/// Fetches the server's metrics over a fresh connection (bounded by `timeout`). Missing
/// endpoints and errors leave the fields empty: any compatible endpoint may be measured.
[[nodiscard]] server_snapshot probe_server(const std::string& host, const std::string& port,
                                           const std::string& authorization,
                                           std::chrono::milliseconds timeout);

/// Quantiles of what a Prometheus histogram counted between two snapshots.
struct server_latency {
  double count = 0;
  double p50_s = 0;
  double p95_s = 0;
  double p99_s = 0;
};

/// `vigil_ingest_to_trigger_seconds` between `before` and `after` (histogram_quantile's linear
/// interpolation); nullopt when the server does not export it or counted nothing.
[[nodiscard]] std::optional<server_latency> ingest_to_trigger_between(const server_snapshot& before,
                                                                      const server_snapshot& after);

/// Parses the buckets of histogram `name` out of Prometheus text (exposed for tests).
void parse_prometheus_histogram(const std::string& text, const std::string& name,
                                std::map<double, double>& buckets, double& count);

} // namespace vigil::loadtest
