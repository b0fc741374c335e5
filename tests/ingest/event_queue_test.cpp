#include "runtime/ingest/event_queue.hpp"

#include <gtest/gtest.h>

namespace vigil::ingest {
namespace {

model::event with_priority(model::priority p, uint64_t seq) {
  model::event e;
  e.priority = p;
  e.seq = seq;
  return e;
}

TEST(event_queue, reserves_up_to_capacity) {
  event_queue q{5};
  EXPECT_TRUE(q.try_reserve(3));
  EXPECT_FALSE(q.try_reserve(3)) << "3 + 3 > 5: refused whole";
  EXPECT_TRUE(q.try_reserve(2));
  EXPECT_FALSE(q.try_reserve(1));
  q.release(2);
  EXPECT_TRUE(q.try_reserve(2));
}

TEST(event_queue, pulls_critical_first_and_frees_room) {
  event_queue q{10};
  ASSERT_TRUE(q.try_reserve(4));
  q.push(with_priority(model::priority::low, 1));
  q.push(with_priority(model::priority::normal, 2));
  q.push(with_priority(model::priority::critical, 3));
  q.push(with_priority(model::priority::normal, 4));
  EXPECT_EQ(q.depth(), 4U);
  EXPECT_EQ(q.depth(model::priority::normal), 2U);
  std::vector<model::event> out;
  EXPECT_EQ(q.pull(out, 2), 2U);
  EXPECT_EQ(out[0].seq, 3U);
  EXPECT_EQ(out[1].seq, 2U);
  EXPECT_TRUE(q.try_reserve(8)) << "pulled events free their room";
  out.clear();
  EXPECT_EQ(q.pull(out, 10), 2U);
  EXPECT_EQ(out[0].seq, 4U);
  EXPECT_EQ(out[1].seq, 1U);
  EXPECT_EQ(q.depth(), 0U);
}

TEST(event_queue, unreserved_backlog_may_exceed_capacity) {
  event_queue q{2};
  for (uint64_t i = 0; i < 3; ++i)
    q.push_unreserved(with_priority(model::priority::normal, i));
  EXPECT_EQ(q.depth(), 3U);
  EXPECT_FALSE(q.try_reserve(1)) << "new requests wait until the backlog drains";
  std::vector<model::event> out;
  q.pull(out, 3);
  EXPECT_EQ(out[0].seq, 0U) << "one producer: FIFO";
  EXPECT_EQ(out[2].seq, 2U);
  EXPECT_TRUE(q.try_reserve(2));
}

} // namespace
} // namespace vigil::ingest
