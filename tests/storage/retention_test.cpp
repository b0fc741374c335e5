#include "storage/retention.hpp"

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/model/errc.hpp"
#include "runtime/model/workflow.hpp"
#include "storage/database.hpp"
#include "storage/workflow_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::storage {
namespace {

using namespace std::chrono_literals;

const model::timestamp t0 = model::from_unix_nanos(1'700'000'000'000'000'000);

model::workflow_record run(uint32_t n, model::workflow_state state, model::timestamp created) {
  model::workflow_record r;
  r.id = model::make_workflow_id(created, n);
  r.runbook = "restart-service";
  r.runbook_path = "restart-service.yaml";
  r.runbook_sha256 = std::string(64, 'a');
  r.state = state;
  r.created_at = created;
  return r;
}

class retention_test : public ::testing::Test {
protected:
  void SetUp() override {
    auto db = database::open({dir_.file("data")});
    ASSERT_TRUE(db) << describe(db.error());
    db_ = std::move(*db);
    store_ = std::make_unique<workflow_store>(*db_, model::sync_policy::none);
  }

  /// `count` runs in `state`, created a millisecond apart from `from`, written 5,000 at a time.
  void put(uint32_t first, uint32_t count, model::workflow_state state, model::timestamp from) {
    for (uint32_t done = 0; done < count;) {
      workflow_write w;
      for (; done < count && w.records.size() < 5000; ++done)
        w.records.push_back(run(first + done, state, from + std::chrono::milliseconds{done}));
      ASSERT_FALSE(store_->write_sync(std::move(w)));
    }
  }

  /// Finished runs in the store, of any age.
  std::size_t finished() {
    auto ids = store_->finished_before(t0 + 24h * 365);
    EXPECT_TRUE(ids);
    return ids ? ids->size() : 0;
  }

  std::size_t running() {
    workflow_query q;
    q.state = model::workflow_state::running;
    q.limit = 1'000'000;
    auto rs = store_->list(q);
    EXPECT_TRUE(rs);
    return rs ? rs->size() : 0;
  }

  test::temp_dir dir_;
  std::unique_ptr<database> db_;
  std::unique_ptr<workflow_store> store_;
};

// Listing stops after the newest 100,000 runs (the API's bound); retention used that list and
// so never saw the oldest runs of a busy week, which were the ones to remove.
TEST_F(retention_test, sweep_removes_every_expired_run_however_many_the_store_holds) {
  const auto cutoff = t0 + 1h;
  put(0, 120'000, model::workflow_state::completed, t0);        // expired
  put(200'000, 50, model::workflow_state::running, t0);         // old but not finished: kept
  put(300'000, 30, model::workflow_state::failed, cutoff + 1s); // finished, recent: kept
  auto rep = sweep(*db_, *store_, cutoff, t0, t0);
  ASSERT_TRUE(rep) << describe(rep.error());
  EXPECT_EQ(rep->runs, 120'000U);
  EXPECT_EQ(finished(), 30U) << "only the recent failed runs";
  EXPECT_EQ(running(), 50U);
  auto again = sweep(*db_, *store_, cutoff, t0, t0);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->runs, 0U);
}

TEST_F(retention_test, finished_before_lists_ids_oldest_first_and_skips_unfinished_runs) {
  put(0, 3, model::workflow_state::cancelled, t0);
  put(10, 2, model::workflow_state::awaiting_gate, t0);
  put(20, 2, model::workflow_state::completed, t0 + 2h);
  auto ids = store_->finished_before(t0 + 1h);
  ASSERT_TRUE(ids);
  ASSERT_EQ(ids->size(), 3U);
  EXPECT_EQ((*ids)[0], run(0, model::workflow_state::cancelled, t0).id);
  EXPECT_EQ((*ids)[2], run(2, model::workflow_state::cancelled, t0 + 2ms).id);
  for (const auto& id : *ids)
    EXPECT_TRUE(store_->get(id)) << id << " is a stored run";
}

TEST_F(retention_test, archive_writes_every_expired_run_before_removing_it) {
  put(0, 120'000, model::workflow_state::completed, t0);
  put(200'000, 5, model::workflow_state::running, t0);
  const auto path = dir_.file("archive.ndjson");
  auto n = archive_runs(*store_, t0 + 1h, path);
  ASSERT_TRUE(n) << describe(n.error());
  EXPECT_EQ(*n, 120'000U);
  std::ifstream in{path};
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);)
    lines += line.rfind("{\"run\":{", 0) == 0 ? 1 : 0;
  EXPECT_EQ(lines, 120'000U);
  EXPECT_EQ(finished(), 0U);
  EXPECT_EQ(running(), 5U);
}

} // namespace
} // namespace vigil::storage
