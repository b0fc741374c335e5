#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vigil::loadtest {

/// A log-linear (HDR-style) histogram of non-negative integers, here latencies in nanoseconds.
/// Values below 128 are counted exactly; above, each power of two [2^m, 2^(m+1)) is split into
/// 128 equal buckets, so a bucket is at most 1/128 of its values wide and a percentile, reported
/// as the middle of its bucket, is within 0.4% of the exact value (at most 1% is promised).
/// Buckets are allocated as larger values arrive. Not thread-safe: one per thread, then merge.
class log_linear_histogram {
public:
  /// Buckets per power of two: 2^sub_bucket_bits.
  static constexpr unsigned sub_bucket_bits = 7;

  /// Counts `v` (`n` times).
  void record(uint64_t v, uint64_t n = 1);

  /// Adds every count of `other`.
  void merge(const log_linear_histogram& other);

  /// Forgets every value.
  void clear();

  [[nodiscard]] uint64_t count() const noexcept { return count_; }
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  /// Smallest and largest value recorded, exact (0 when empty).
  [[nodiscard]] uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  [[nodiscard]] uint64_t max() const noexcept { return max_; }
  /// Arithmetic mean of the values, exact up to double rounding (0 when empty).
  [[nodiscard]] double mean() const noexcept;

  /// The value at percentile `p` (0..100): the `ceil(p/100 * count)`-th smallest value, to
  /// within the bucket error; p = 100 gives max(). 0 when empty.
  [[nodiscard]] uint64_t percentile(double p) const noexcept;

  /// Number of values that fall into bucket `index` (0 past the last allocated bucket).
  [[nodiscard]] uint64_t bucket_count(std::size_t index) const noexcept {
    return index < counts_.size() ? counts_[index] : 0;
  }
  /// One past the highest bucket that may be non-zero.
  [[nodiscard]] std::size_t bucket_limit() const noexcept { return counts_.size(); }

  // -- bucket geometry -------------------------------------------------------------------------

  /// The bucket that counts `v`.
  [[nodiscard]] static std::size_t index_of(uint64_t v) noexcept;
  /// The smallest value of bucket `index`.
  [[nodiscard]] static uint64_t lowest_in(std::size_t index) noexcept;
  /// The largest value of bucket `index`.
  [[nodiscard]] static uint64_t highest_in(std::size_t index) noexcept;

private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  long double sum_ = 0;
};

} // namespace vigil::loadtest
