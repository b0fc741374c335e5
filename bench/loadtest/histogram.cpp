#include "bench/loadtest/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace vigil::loadtest {

namespace {

constexpr uint64_t sub_buckets = uint64_t{1} << log_linear_histogram::sub_bucket_bits;

/// Position of the highest set bit (v > 0).
unsigned msb(uint64_t v) noexcept {
  return 63U - static_cast<unsigned>(__builtin_clzll(v));
}

} // namespace

std::size_t log_linear_histogram::index_of(uint64_t v) noexcept {
  if (v < sub_buckets)
    return static_cast<std::size_t>(v);
  // v in [2^m, 2^(m+1)), m >= 7: bucket width 2^(m-7); the first such range starts at 128.
  const unsigned shift = msb(v) - sub_bucket_bits;
  return static_cast<std::size_t>(shift * sub_buckets + (v >> shift));
}

uint64_t log_linear_histogram::lowest_in(std::size_t index) noexcept {
  if (index < 2 * sub_buckets)
    return index;
  const uint64_t shift = index / sub_buckets - 1;
  const uint64_t mantissa = index - shift * sub_buckets; // in [128, 256)
  return mantissa << shift;
}

uint64_t log_linear_histogram::highest_in(std::size_t index) noexcept {
  if (index < 2 * sub_buckets)
    return index;
  const uint64_t shift = index / sub_buckets - 1;
  const uint64_t lowest = lowest_in(index);
  return lowest + ((uint64_t{1} << shift) - 1);
}

void log_linear_histogram::record(uint64_t v, uint64_t n) {
  if (n == 0)
    return;
  const auto i = index_of(v);
  if (i >= counts_.size())
    counts_.resize(std::max<std::size_t>(i + 1, counts_.size() + sub_buckets), 0);
  counts_[i] += n;
  count_ += n;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
  sum_ += static_cast<long double>(v) * static_cast<long double>(n);
}

void log_linear_histogram::merge(const log_linear_histogram& other) {
  if (other.count_ == 0)
    return;
  if (other.counts_.size() > counts_.size())
    counts_.resize(other.counts_.size(), 0);
  for (std::size_t i = 0; i < other.counts_.size(); ++i)
    counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void log_linear_histogram::clear() {
  counts_.clear();
  count_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
  sum_ = 0;
}

double log_linear_histogram::mean() const noexcept {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

uint64_t log_linear_histogram::percentile(double p) const noexcept {
  if (count_ == 0)
    return 0;
  if (!(p < 100))
    return max_;
  const double wanted = std::ceil(std::max(p, 0.0) / 100.0 * static_cast<double>(count_));
  const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(wanted));
  uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      // The middle of the bucket, but never outside what was actually recorded.
      const uint64_t lo = lowest_in(i);
      const uint64_t mid = lo + (highest_in(i) - lo) / 2;
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

} // namespace vigil::loadtest
