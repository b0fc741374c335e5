#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace vigil::model {

/// Bucket bounds (seconds) for request and trigger latencies: 100 µs to 60 s.
[[nodiscard]] const std::vector<double>& latency_buckets();
/// Bucket bounds (seconds) for workflow durations: 10 ms to 2 h.
[[nodiscard]] const std::vector<double>& duration_buckets();

/// What a histogram held at one moment: per-bucket counts (not cumulative; the last one is
/// above every bound), their total and the sum of the observed values.
struct histogram_snapshot {
  std::vector<double> bounds;
  std::vector<uint64_t> counts; ///< bounds.size() + 1 entries
  uint64_t count = 0;
  double sum = 0;

  /// The `q` quantile (0..1), interpolated inside its bucket as Prometheus'
  /// `histogram_quantile` does; 0 when empty; the highest bound when it falls above them.
  [[nodiscard]] double quantile(double q) const noexcept;

  /// Counts of `*this` minus those of an `earlier` snapshot of the same histogram.
  [[nodiscard]] histogram_snapshot minus(const histogram_snapshot& earlier) const;
};

/// A fixed-bucket histogram that any number of threads observe into without locks (relaxed
/// atomic increments), read by `snapshot` (not an atomic cut across buckets: good enough for
/// metrics).
class atomic_histogram {
public:
  /// `bounds` ascending upper bounds.
  explicit atomic_histogram(const std::vector<double>& bounds);

  void observe(double value) noexcept;

  [[nodiscard]] histogram_snapshot snapshot() const;

private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

} // namespace vigil::model
