// Poison events: an event the engine itself fails on is tried max_attempts times, then set
// aside in the dead letters with the reason, never blocking the others; operators can requeue
// or purge it.

#include <caf/actor_system.hpp>
#include <gtest/gtest.h>

#include "actors/system_config.hpp"
#include "actors/workflow_service.hpp"
#include "runtime/model/errc.hpp"
#include "storage/database.hpp"
#include "storage/event_log.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil {
namespace {

using namespace std::chrono_literals;

model::event make_event(const std::string& name) {
  model::event e;
  e.type = model::event_type::event;
  e.labels.set("name", name);
  e.fingerprint = model::fingerprint_of(e.labels);
  return e;
}

TEST(poison, failing_event_is_retried_then_set_aside_and_others_go_on) {
  test::temp_dir dir;
  auto db = storage::database::open({dir.file("data")});
  ASSERT_TRUE(db);
  auto log = storage::event_log::open(**db, model::clock::system(), model::sync_policy::none, 24h);
  ASSERT_TRUE(log);
  auto r = (*log)->append_sync({make_event("poison"), make_event("fine")});
  ASSERT_EQ(r.accepted.size(), 2U);
  const auto poison = r.accepted[0];
  const auto fine = r.accepted[1];

  actors::system_config cfg{2};
  caf::actor_system sys{cfg};
  std::vector<model::event> requeued;
  actors::workflow_service_options opts;
  opts.sync = model::sync_policy::none;
  opts.max_attempts = 3;
  opts.requeue = [&](model::event e) { requeued.push_back(std::move(e)); };
  opts.test_fail_dispatch = [](const model::event& e) {
    return e.labels.find("name") == std::string_view{"poison"};
  };
  actors::workflow_service wf{sys, **db, **log, model::clock::system(), opts};

  std::vector<model::event> batch{poison, fine};
  wf.dispatch(batch);
  // The good one went on (no runbook matches it: dispatched); the bad one came back.
  EXPECT_EQ((*log)->get(fine.seq)->state, storage::event_state::dispatched);
  ASSERT_EQ(requeued.size(), 1U);
  EXPECT_EQ((*log)->get(poison.seq)->state, storage::event_state::accepted);
  for (int attempt = 2; attempt <= 3; ++attempt) {
    std::vector<model::event> again{requeued.back()};
    wf.dispatch(again);
  }
  EXPECT_EQ(requeued.size(), 2U) << "the third failure sets it aside instead of requeueing";
  EXPECT_EQ((*log)->get(poison.seq)->state, storage::event_state::quarantined);
  auto letters = (*log)->dead_letters();
  ASSERT_TRUE(letters);
  ASSERT_EQ(letters->size(), 1U);
  EXPECT_EQ(letters->front().event.seq, poison.seq);
  EXPECT_EQ(letters->front().attempts, 3U);
  EXPECT_EQ(letters->front().reason, "test_fail_dispatch");
  // A restart does not bring it back.
  auto backlog = (*log)->undispatched();
  ASSERT_TRUE(backlog);
  EXPECT_TRUE(backlog->empty());

  // Requeue puts it back as accepted, with its attempts forgotten.
  auto back = (*log)->requeue_dead_letters({});
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), 1U);
  EXPECT_EQ((*log)->get(poison.seq)->state, storage::event_state::accepted);
  EXPECT_TRUE((*log)->dead_letters()->empty());
  EXPECT_EQ(*(*log)->record_failure(poison.seq), 1U);
  // Purge is the explicit way to throw one away; the event stays in the log.
  ASSERT_FALSE((*log)->quarantine(poison.seq, "again", 3));
  EXPECT_EQ(*(*log)->purge_dead_letters({}), 1U);
  EXPECT_TRUE((*log)->dead_letters()->empty());
  EXPECT_TRUE((*log)->get(poison.seq));
  wf.stop();
  (*log)->close();
}

} // namespace
} // namespace vigil
