#include "runtime/model/histogram.hpp"

#include <algorithm>

namespace vigil::model {

const std::vector<double>& latency_buckets() {
  static const std::vector<double> b{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                     0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                     1,      2.5,     5,      10,    30,     60};
  return b;
}

const std::vector<double>& duration_buckets() {
  static const std::vector<double> b{0.01, 0.05, 0.1, 0.25, 0.5, 1,    2.5,  5,    10,
                                     30,   60,   120, 300,  600, 1200, 1800, 3600, 7200};
  return b;
}

double histogram_snapshot::quantile(double q) const noexcept {
  if (count == 0 || bounds.empty())
    return 0;
  q = std::clamp(q, 0.0, 1.0);
  const double rank = q * static_cast<double>(count);
  uint64_t below = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0 || static_cast<double>(below + counts[i]) < rank) {
      below += counts[i];
      continue;
    }
    if (i == bounds.size())
      return bounds.back();
    const double lower = i == 0 ? 0 : bounds[i - 1];
    const double share = (rank - static_cast<double>(below)) / static_cast<double>(counts[i]);
    return lower + (bounds[i] - lower) * std::clamp(share, 0.0, 1.0);
  }
  return bounds.back();
}

histogram_snapshot histogram_snapshot::minus(const histogram_snapshot& earlier) const {
  histogram_snapshot d = *this;
  if (earlier.counts.size() != counts.size())
    return d;
  d.count = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    d.counts[i] = counts[i] >= earlier.counts[i] ? counts[i] - earlier.counts[i] : 0;
    d.count += d.counts[i];
  }
  d.sum = std::max(0.0, sum - earlier.sum);
  return d;
}

atomic_histogram::atomic_histogram(const std::vector<double>& bounds)
  : bounds_(bounds), counts_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i)
    counts_[i].store(0, std::memory_order_relaxed);
}

void atomic_histogram::observe(double value) noexcept {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  counts_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double old = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(old, old + value, std::memory_order_relaxed)) {
  }
}

histogram_snapshot atomic_histogram::snapshot() const {
  histogram_snapshot s;
  s.bounds = bounds_;
  s.counts.resize(bounds_.size() + 1);
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    s.count += s.counts[i];
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

} // namespace vigil::model
