// The metrics histogram: buckets, quantiles (Prometheus' interpolation), differences.

#include <gtest/gtest.h>
#include <thread>
#include <vector>

#include "runtime/model/histogram.hpp"

namespace vigil::model {
namespace {

TEST(histogram, counts_land_in_their_buckets_and_the_sum_adds_up) {
  atomic_histogram h{{1, 2, 5}};
  for (double v : {0.5, 1.0, 1.5, 4.0, 9.0})
    h.observe(v);
  const auto s = h.snapshot();
  EXPECT_EQ(s.counts, (std::vector<uint64_t>{2, 1, 1, 1}));
  EXPECT_EQ(s.count, 5U);
  EXPECT_DOUBLE_EQ(s.sum, 16.0);
}

TEST(histogram, quantiles_interpolate_inside_the_bucket) {
  atomic_histogram h{{1, 2, 4}};
  for (int i = 0; i < 50; ++i)
    h.observe(0.5);
  for (int i = 0; i < 50; ++i)
    h.observe(3);
  const auto s = h.snapshot();
  EXPECT_DOUBLE_EQ(s.quantile(0.5), 1.0);
  EXPECT_DOUBLE_EQ(s.quantile(0.25), 0.5);
  EXPECT_DOUBLE_EQ(s.quantile(0.75), 3.0); // halfway through (2, 4]
  EXPECT_DOUBLE_EQ(histogram_snapshot{}.quantile(0.95), 0.0);
  atomic_histogram over{{1}};
  over.observe(100);
  EXPECT_DOUBLE_EQ(over.snapshot().quantile(0.99), 1.0); // above every bound: the highest
}

TEST(histogram, minus_gives_what_happened_between_two_snapshots) {
  atomic_histogram h{{1, 2}};
  h.observe(0.5);
  const auto a = h.snapshot();
  h.observe(1.5);
  h.observe(1.5);
  const auto d = h.snapshot().minus(a);
  EXPECT_EQ(d.counts, (std::vector<uint64_t>{0, 2, 0}));
  EXPECT_EQ(d.count, 2U);
  EXPECT_DOUBLE_EQ(d.sum, 3.0);
}

TEST(histogram, concurrent_observers_lose_nothing) {
  atomic_histogram h{latency_buckets()};
  constexpr int writers = 4;
  std::vector<std::thread> threads;
  threads.reserve(writers);
  for (int t = 0; t < writers; ++t)
    threads.emplace_back([&h] {
      for (int i = 0; i < 10000; ++i)
        h.observe(0.001);
    });
  for (auto& t : threads)
    t.join();
  const auto s = h.snapshot();
  EXPECT_EQ(s.count, 40000U);
  EXPECT_NEAR(s.sum, 40.0, 1e-6);
}

} // namespace
} // namespace vigil::model
