// The log-linear histogram against exact percentiles of random data.

#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <random>
#include <vector>

#include "bench/loadtest/histogram.hpp"

namespace vigil::loadtest {
namespace {

/// The `ceil(p/100 * n)`-th smallest value: the definition the histogram promises.
uint64_t exact_percentile(const std::vector<uint64_t>& sorted, double p) {
  if (p >= 100)
    return sorted.back();
  const auto rank = std::max<std::size_t>(
    1, static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size()))));
  return sorted[rank - 1];
}

void expect_within_one_percent(std::vector<uint64_t> values, const char* name) {
  log_linear_histogram h;
  for (auto v : values)
    h.record(v);
  std::sort(values.begin(), values.end());
  ASSERT_EQ(h.count(), values.size());
  EXPECT_EQ(h.min(), values.front()) << name;
  EXPECT_EQ(h.max(), values.back()) << name;
  for (double p : {0.1, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0}) {
    const auto exact = static_cast<double>(exact_percentile(values, p));
    const auto got = static_cast<double>(h.percentile(p));
    EXPECT_LE(std::abs(got - exact), 0.01 * exact)
      << name << " p" << p << ": histogram " << got << ", exact " << exact;
  }
}

template <class Dist>
std::vector<uint64_t> draw(Dist dist, std::size_t n, uint64_t seed) {
  std::mt19937_64 rng{seed};
  std::vector<uint64_t> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(static_cast<uint64_t>(std::max(0.0, static_cast<double>(dist(rng)))));
  return out;
}

TEST(histogram, percentiles_within_one_percent_of_exact_for_several_distributions) {
  constexpr std::size_t n = 200'000;
  // Latencies in ns: 10 us .. 50 ms uniformly.
  expect_within_one_percent(draw(std::uniform_real_distribution<double>{1e4, 5e7}, n, 1),
                            "uniform");
  // Exponential with a 1 ms mean.
  expect_within_one_percent(draw(std::exponential_distribution<double>{1e-6}, n, 2), "exponential");
  // Log-normal around 300 us with a long right tail.
  expect_within_one_percent(draw(std::lognormal_distribution<double>{std::log(3e5), 1.2}, n, 3),
                            "lognormal");
  // Pareto (alpha 1.1, from 50 us): a very heavy tail.
  {
    std::mt19937_64 rng{4};
    std::uniform_real_distribution<double> u{0, 1};
    std::vector<uint64_t> v;
    v.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      v.push_back(static_cast<uint64_t>(5e4 / std::pow(1 - u(rng), 1 / 1.1)));
    expect_within_one_percent(std::move(v), "pareto");
  }
  // Bimodal: fast answers and a slow path (a stall) 1% of the time.
  {
    auto fast = draw(std::normal_distribution<double>{2e5, 2e4}, n, 5);
    auto slow = draw(std::normal_distribution<double>{1e9, 1e8}, n / 100, 6);
    fast.insert(fast.end(), slow.begin(), slow.end());
    expect_within_one_percent(std::move(fast), "bimodal");
  }
  // Small integers are exact; a constant is exact.
  expect_within_one_percent(draw(std::uniform_int_distribution<uint64_t>{0, 300}, n, 7),
                            "small integers");
  expect_within_one_percent(std::vector<uint64_t>(1000, 123'456'789), "constant");
  // Values across the whole 64-bit range.
  expect_within_one_percent(draw(std::uniform_int_distribution<uint64_t>{0, UINT64_MAX / 2}, n, 8),
                            "huge");
}

TEST(histogram, merged_thread_histograms_equal_one_histogram_of_everything) {
  auto values = draw(std::lognormal_distribution<double>{std::log(1e6), 1.0}, 100'000, 9);
  log_linear_histogram all;
  std::vector<log_linear_histogram> parts(4);
  for (std::size_t i = 0; i < values.size(); ++i) {
    all.record(values[i]);
    parts[i % parts.size()].record(values[i]);
  }
  log_linear_histogram merged;
  for (const auto& p : parts)
    merged.merge(p);
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  EXPECT_DOUBLE_EQ(merged.mean(), all.mean());
  for (double p : {50.0, 90.0, 99.0, 99.9})
    EXPECT_EQ(merged.percentile(p), all.percentile(p)) << p;
  for (std::size_t i = 0; i < all.bucket_limit(); ++i)
    ASSERT_EQ(merged.bucket_count(i), all.bucket_count(i)) << i;
}

TEST(histogram, buckets_hold_their_values_and_are_at_most_one_128th_wide) {
  std::mt19937_64 rng{10};
  for (int i = 0; i < 100'000; ++i) {
    const uint64_t v = rng() >> (rng() % 64);
    const auto index = log_linear_histogram::index_of(v);
    const auto lo = log_linear_histogram::lowest_in(index);
    const auto hi = log_linear_histogram::highest_in(index);
    ASSERT_LE(lo, v);
    ASSERT_GE(hi, v);
    ASSERT_LE(static_cast<double>(hi - lo), static_cast<double>(lo) / 128.0) << v;
    if (index > 0) {
      ASSERT_EQ(log_linear_histogram::highest_in(index - 1) + 1, lo) << "buckets must tile";
    }
  }
  for (uint64_t v = 0; v < 256; ++v)
    EXPECT_EQ(log_linear_histogram::index_of(v), v) << "below 256, every value has its bucket";
}

TEST(histogram, empty_and_single_values) {
  log_linear_histogram h;
  EXPECT_EQ(h.percentile(99), 0U);
  EXPECT_EQ(h.count(), 0U);
  h.record(1'000'000);
  EXPECT_EQ(h.percentile(0), 1'000'000U);
  EXPECT_EQ(h.percentile(50), 1'000'000U);
  EXPECT_EQ(h.percentile(100), 1'000'000U);
  h.clear();
  EXPECT_TRUE(h.empty());
}

} // namespace
} // namespace vigil::loadtest
