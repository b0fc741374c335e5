#include "storage/event_log.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <set>
#include <thread>

#include "runtime/model/errc.hpp"
#include "storage/database.hpp"
#include "storage/event_codec.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::storage {
namespace {

using namespace std::chrono_literals;

model::event alert(const std::string& instance,
                   model::event_status status = model::event_status::firing) {
  model::event e;
  e.type = model::event_type::alert;
  e.source = "test";
  e.labels.set("alertname", "HighMemoryUsage");
  e.labels.set("instance", instance);
  e.status = status;
  e.fingerprint = model::fingerprint_of(e.labels);
  return e;
}

class event_log_test : public ::testing::Test {
protected:
  void SetUp() override { open(); }

  void open(model::sync_policy sync = model::sync_policy::batch) {
    log_.reset();
    db_.reset();
    auto db = database::open({dir_.file("data")});
    ASSERT_TRUE(db) << describe(db.error());
    db_ = std::move(*db);
    auto log = event_log::open(*db_, clock_, sync, 24h);
    ASSERT_TRUE(log);
    log_ = std::move(*log);
  }

  std::vector<model::event> batch(std::initializer_list<model::event> es) { return es; }

  test::temp_dir dir_;
  model::manual_clock clock_;
  std::unique_ptr<database> db_;
  std::unique_ptr<event_log> log_;
};

TEST_F(event_log_test, assigns_dense_sequences_and_derived_ids) {
  auto r = log_->append_sync(batch({alert("a"), alert("b")}));
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.accepted.size(), 2U);
  EXPECT_EQ(r.accepted[0].seq, 1U);
  EXPECT_EQ(r.accepted[1].seq, 2U);
  EXPECT_EQ(r.ids[0], "ev-0000000000000001");
  EXPECT_EQ(r.duplicates, 0U);
  auto r2 = log_->append_sync(batch({alert("c")}));
  EXPECT_EQ(r2.accepted.at(0).seq, 3U);
  EXPECT_EQ(log_->last_seq(), 3U);
}

TEST_F(event_log_test, repeats_are_duplicates_within_and_across_requests) {
  auto r = log_->append_sync(batch({alert("a"), alert("a")}));
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.accepted.size(), 1U);
  EXPECT_EQ(r.duplicates, 1U);
  EXPECT_EQ(r.ids[0], r.ids[1]);
  EXPECT_TRUE(r.duplicate[1]);
  auto again = log_->append_sync(batch({alert("a")}));
  EXPECT_EQ(again.accepted.size(), 0U);
  EXPECT_EQ(again.ids[0], r.ids[0]);
  // A resolve of the same alert is not a repeat of its firing.
  auto resolved = log_->append_sync(batch({alert("a", model::event_status::resolved)}));
  EXPECT_EQ(resolved.accepted.size(), 1U);
  EXPECT_EQ(log_->last_seq(), 2U);
}

TEST_F(event_log_test, client_ids_are_idempotency_keys) {
  auto e1 = alert("a");
  e1.id = "client-1";
  e1.client_id = true;
  auto e2 = alert("b"); // different content, same id: still a repeat
  e2.id = "client-1";
  e2.client_id = true;
  auto r = log_->append_sync(batch({e1}));
  auto r2 = log_->append_sync(batch({e2}));
  EXPECT_EQ(r.ids[0], "client-1");
  EXPECT_EQ(r2.duplicates, 1U);
}

TEST_F(event_log_test, duplicates_expire_after_the_window) {
  ASSERT_EQ(log_->append_sync(batch({alert("a")})).accepted.size(), 1U);
  clock_.advance(23h);
  EXPECT_EQ(log_->append_sync(batch({alert("a")})).duplicates, 1U);
  clock_.advance(2h);
  EXPECT_EQ(log_->append_sync(batch({alert("a")})).accepted.size(), 1U);
}

TEST_F(event_log_test, survives_reopen_and_lists_undispatched) {
  auto r = log_->append_sync(batch({alert("a"), alert("b"), alert("c")}));
  ASSERT_FALSE(log_->set_state({r.accepted[1].seq}, event_state::dispatched));
  open();
  EXPECT_EQ(log_->last_seq(), 3U);
  auto backlog = log_->undispatched();
  ASSERT_TRUE(backlog);
  ASSERT_EQ(backlog->size(), 2U);
  EXPECT_EQ((*backlog)[0].seq, 1U);
  EXPECT_EQ((*backlog)[1].seq, 3U);
  EXPECT_EQ(*(*backlog)[0].labels.find("instance"), "a");
  // Dedup state survives too.
  EXPECT_EQ(log_->append_sync(batch({alert("b")})).duplicates, 1U);
  EXPECT_EQ(log_->append_sync(batch({alert("d")})).accepted.at(0).seq, 4U);
}

TEST_F(event_log_test, query_filters_newest_first) {
  auto m = alert("m");
  m.type = model::event_type::metric;
  m.metric_name = "cpu";
  m.value = 95;
  m.received_at = clock_.now();
  auto a = alert("a");
  a.received_at = clock_.now() - 2h;
  auto b = alert("b", model::event_status::resolved);
  b.received_at = clock_.now();
  ASSERT_FALSE(log_->append_sync(batch({a, m, b})).error);
  event_query q;
  auto all = log_->query(q);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3U);
  EXPECT_EQ((*all)[0].event.seq, 3U);
  q.type = model::event_type::alert;
  EXPECT_EQ(log_->query(q)->size(), 2U);
  q.status = model::event_status::resolved;
  EXPECT_EQ(log_->query(q)->size(), 1U);
  event_query recent;
  recent.since = clock_.now() - 1h;
  EXPECT_EQ(log_->query(recent)->size(), 2U);
  event_query limited;
  limited.limit = 1;
  EXPECT_EQ(log_->query(limited)->size(), 1U);
  auto one = log_->get(2);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->event.metric_name, "cpu");
  EXPECT_EQ(one->event.value, 95.0);
  EXPECT_FALSE(log_->get(99));
}

TEST_F(event_log_test, concurrent_appends_get_unique_dense_sequences) {
  constexpr int threads = 4;
  constexpr int per_thread = 200;
  std::vector<std::thread> workers;
  workers.reserve(threads);
  std::mutex mtx;
  std::set<uint64_t> seqs;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto r = log_->append_sync(batch({alert(std::to_string(t) + "-" + std::to_string(i))}));
        std::lock_guard<std::mutex> guard{mtx};
        for (const auto& e : r.accepted)
          seqs.insert(e.seq);
      }
    });
  }
  for (auto& w : workers)
    w.join();
  ASSERT_EQ(seqs.size(), static_cast<std::size_t>(threads * per_thread));
  EXPECT_EQ(*seqs.begin(), 1U);
  EXPECT_EQ(*seqs.rbegin(), static_cast<uint64_t>(threads * per_thread));
  EXPECT_LT(log_->stats().groups.load(), static_cast<uint64_t>(threads * per_thread))
    << "concurrent appends should share groups";
}

TEST_F(event_log_test, closed_log_refuses_appends) {
  log_->close();
  auto r = log_->append_sync(batch({alert("a")}));
  EXPECT_EQ(code_of(r.error), errc::unavailable);
}

TEST(event_codec, round_trips_every_field) {
  model::event e = alert("x");
  e.seq = 42;
  e.id = "my-id";
  e.client_id = true;
  e.severity = "critical";
  e.annotations.set("summary", "s");
  e.starts_at = model::from_unix_nanos(1'000);
  e.ends_at = model::from_unix_nanos(2'000);
  e.received_at = model::from_unix_nanos(3'000);
  e.generator_url = "http://g";
  e.metric_name = "m";
  e.value = -1.5;
  e.priority = model::priority::critical;
  std::string bytes;
  encode_event(e, bytes);
  auto back = decode_event(42, bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, e);
  EXPECT_FALSE(decode_event(42, bytes.substr(0, bytes.size() - 1)));
  bytes[0] = 99;
  EXPECT_FALSE(decode_event(42, bytes)) << "a newer format is refused";
}

} // namespace
} // namespace vigil::storage
