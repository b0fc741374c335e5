#include "storage/workflow_store.hpp"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <set>
#include <thread>

#include "runtime/model/clock.hpp"
#include "runtime/model/errc.hpp"
#include "storage/database.hpp"
#include "storage/event_log.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::storage {
namespace {

using namespace std::chrono_literals;

const model::timestamp t0 = model::from_unix_nanos(1'700'000'000'000'000'000);

model::workflow_record run(uint32_t n, std::string runbook = "restart-service",
                           model::workflow_state state = model::workflow_state::running,
                           model::timestamp created = t0) {
  model::workflow_record r;
  created += std::chrono::milliseconds{n}; // ids and creation times increase with n
  r.id = model::make_workflow_id(created, n);
  r.runbook = std::move(runbook);
  r.runbook_path = r.runbook + ".yaml";
  r.runbook_sha256 = std::string(64, 'a');
  r.state = state;
  r.created_at = created;
  return r;
}

/// A record with every field set to something other than its default.
model::workflow_record full_record() {
  auto r = run(1, "restart-service-on-high-memory", model::workflow_state::awaiting_gate);
  r.runbook_path = "remediation/restart.yaml";
  r.reason = "retries_exhausted";
  r.error = "exit code 3";
  r.current_step = 2;
  r.total_attempts = 7;
  r.started_at = t0 + 1s;
  r.updated_at = t0 + 2s;
  r.finished_at = t0 + 3s;
  r.wake_at = t0 + 15min;
  r.params = {{"service", "nginx"}, {"dry", "no"}, {"empty", ""}};
  r.event_seq = 42;
  auto& e = r.trigger;
  e.seq = 42;
  e.id = "am-7";
  e.client_id = true;
  e.type = model::event_type::alert;
  e.severity = "critical";
  e.source = "alertmanager";
  e.labels.set("alertname", "HighMemoryUsage");
  e.labels.set("instance", "web-1");
  e.annotations.set("summary", "memory > 90%");
  e.status = model::event_status::resolved;
  e.starts_at = t0 - 1h;
  e.ends_at = t0 - 1min;
  e.received_at = t0 - 59s;
  e.generator_url = "http://prometheus/graph";
  e.metric_name = "mem_used";
  e.value = 93.5;
  e.fingerprint = model::fingerprint_of(e.labels);
  e.priority = model::priority::critical;
  r.resolved = true;
  r.concurrency_key = "web-1";
  r.dry_run = true;
  r.steps.push_back(
    {"check", model::step_status::succeeded, 1, 0, "active (running)", "", t0 + 1s, t0 + 1500ms});
  r.steps.push_back({"restart", model::step_status::failed, 3, -1, std::string(1024, 'x'),
                     "killed after 30s", t0 + 2s, t0 + 32s});
  r.steps.push_back({"approve", model::step_status::running, 1, 0, "", "", t0 + 33s, {}});
  r.last_failure_hash = 0xdeadbeefcafef00dULL;
  r.same_failures = 2;
  r.gate_step = "approve";
  r.decided_by = "alice";
  r.decision_reason = "looks safe";
  r.paused_from = model::workflow_state::waiting;
  r.cancel_requested = true;
  r.rolling_back = true;
  r.rollback_next = 1;
  r.log_seq = 9;
  return r;
}

model::workflow_log_entry entry(uint64_t seq, std::string kind, std::string message = "") {
  return {seq, t0 + std::chrono::seconds{seq}, std::move(kind), "check", 1, std::move(message)};
}

// -- codec ------------------------------------------------------------------------------

TEST(workflow_codec, round_trips_every_field) {
  const auto r = full_record();
  std::string bytes;
  encode_workflow(r, bytes);
  auto back = decode_workflow(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r);
  EXPECT_EQ(back->trigger, r.trigger);
  EXPECT_EQ(back->steps, r.steps);
  auto summary = peek_workflow(bytes);
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->state, r.state);
  EXPECT_EQ(summary->created_at, r.created_at);
}

TEST(workflow_codec, round_trips_defaults_and_derived_trigger_ids) {
  model::workflow_record empty;
  std::string bytes;
  encode_workflow(empty, bytes);
  auto back = decode_workflow(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, empty) << "a run started by hand has no trigger";

  auto r = run(3);
  r.trigger.seq = 12;
  r.trigger.id = model::derived_event_id(12);
  r.trigger.labels.set("alertname", "DiskFull");
  bytes.clear();
  encode_workflow(r, bytes);
  back = decode_workflow(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r);
}

TEST(workflow_codec, refuses_damaged_and_newer_values) {
  std::string bytes;
  encode_workflow(full_record(), bytes);
  EXPECT_FALSE(decode_workflow(""));
  EXPECT_FALSE(decode_workflow(bytes.substr(0, bytes.size() - 1))) << "truncated";
  EXPECT_FALSE(decode_workflow(bytes + '\0')) << "trailing bytes";
  auto bad_state = bytes;
  bad_state[1] = 42;
  EXPECT_FALSE(decode_workflow(bad_state));
  EXPECT_FALSE(peek_workflow(bad_state));
  auto newer = bytes;
  newer[0] = static_cast<char>(workflow_format_version + 1);
  EXPECT_FALSE(decode_workflow(newer)) << "a newer format is refused";
  EXPECT_FALSE(peek_workflow(newer));
}

TEST(workflow_codec, survives_any_truncation_or_flipped_byte) {
  std::string bytes;
  encode_workflow(full_record(), bytes);
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(decode_workflow(std::string_view{bytes}.substr(0, n))) << n;
  // A flipped byte may still decode (inside a string, say); it must never crash or overrun.
  // Without a trigger: the embedded event's own robustness is event_codec's to prove.
  auto r = full_record();
  r.trigger = {};
  bytes.clear();
  encode_workflow(r, bytes);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      auto damaged = bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ mask);
      (void)decode_workflow(damaged);
    }
  }
}

TEST(workflow_codec, round_trips_log_entries) {
  model::workflow_log_entry e{7, t0, "step_finished", "restart", 3, "exit code 0"};
  std::string bytes;
  encode_workflow_log_entry(e, bytes);
  auto back = decode_workflow_log_entry(7, bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, e);
  EXPECT_FALSE(decode_workflow_log_entry(7, bytes.substr(0, bytes.size() - 1)));
  bytes[0] = static_cast<char>(workflow_format_version + 1);
  EXPECT_FALSE(decode_workflow_log_entry(7, bytes));
  // Keys of one run sort by seq and stay apart from a run whose id extends it.
  EXPECT_LT(workflow_log_key("wf-1", 2), workflow_log_key("wf-1", 10));
  EXPECT_LT(workflow_log_key("wf-1", ~0ULL), workflow_log_key("wf-10", 0));
}

// -- the store --------------------------------------------------------------------------

class workflow_store_test : public ::testing::Test {
protected:
  void SetUp() override { open(); }

  void open(model::sync_policy sync = model::sync_policy::batch) {
    store_.reset();
    db_.reset();
    auto db = database::open({dir_.file("data")});
    ASSERT_TRUE(db) << describe(db.error());
    db_ = std::move(*db);
    store_ = std::make_unique<workflow_store>(*db_, sync);
  }

  void put(std::vector<model::workflow_record> records) {
    workflow_write w;
    w.records = std::move(records);
    ASSERT_FALSE(store_->write_sync(std::move(w)));
  }

  static std::vector<std::string> ids(const std::vector<model::workflow_record>& rs) {
    std::vector<std::string> out;
    out.reserve(rs.size());
    for (const auto& r : rs)
      out.push_back(r.id);
    return out;
  }

  test::temp_dir dir_;
  std::unique_ptr<database> db_;
  std::unique_ptr<workflow_store> store_;
};

TEST_F(workflow_store_test, writes_then_reads_checkpoints_and_timelines) {
  const auto r = full_record();
  workflow_write w;
  w.records.push_back(r);
  w.log.emplace_back(r.id, entry(2, "step_started"));
  w.log.emplace_back(r.id, entry(1, "created"));
  w.log.emplace_back(r.id, entry(10, "state", "awaiting_gate"));
  ASSERT_FALSE(store_->write_sync(std::move(w)));

  auto got = store_->get(r.id);
  ASSERT_TRUE(got) << describe(got.error());
  EXPECT_EQ(*got, r);
  auto all = store_->list({});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1U);
  EXPECT_EQ(all->front(), r);
  auto timeline = store_->log(r.id);
  ASSERT_TRUE(timeline);
  ASSERT_EQ(timeline->size(), 3U);
  EXPECT_EQ((*timeline)[0], entry(1, "created"));
  EXPECT_EQ((*timeline)[1].seq, 2U);
  EXPECT_EQ((*timeline)[2], entry(10, "state", "awaiting_gate"));

  // A later checkpoint replaces the earlier one.
  auto done = r;
  done.state = model::workflow_state::completed;
  put({done});
  EXPECT_EQ(store_->get(r.id)->state, model::workflow_state::completed);
}

TEST_F(workflow_store_test, unknown_ids_are_not_found) {
  const std::string id = model::make_workflow_id(t0, 99);
  auto got = store_->get(id);
  ASSERT_FALSE(got);
  EXPECT_EQ(code_of(got.error()), errc::not_found);
  EXPECT_NE(message_of(got.error()).find(id), std::string::npos) << message_of(got.error());
  EXPECT_EQ(code_of(store_->get("rb:" + std::string(64, 'a')).error()), errc::not_found);
  auto timeline = store_->log(id);
  ASSERT_FALSE(timeline);
  EXPECT_EQ(code_of(timeline.error()), errc::not_found);
  // A known run without entries has an empty timeline.
  put({run(1)});
  auto empty = store_->log(run(1).id);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST_F(workflow_store_test, list_filters_newest_first_with_a_limit) {
  using model::workflow_state;
  put({run(1, "restart", workflow_state::completed), run(2, "restart", workflow_state::running),
       run(3, "disk", workflow_state::running), run(4, "restart", workflow_state::failed),
       run(5, "disk", workflow_state::needs_human)});
  // A runbook text in the same family must not show up as a run.
  workflow_write w;
  w.runbook_sources.emplace_back(std::string(64, 'f'), "name: disk\n");
  ASSERT_FALSE(store_->write_sync(std::move(w)));

  auto all = store_->list({});
  ASSERT_TRUE(all);
  EXPECT_EQ(ids(*all),
            (std::vector<std::string>{run(5).id, run(4).id, run(3).id, run(2).id, run(1).id}));
  workflow_query by_state;
  by_state.state = workflow_state::running;
  EXPECT_EQ(ids(*store_->list(by_state)), (std::vector<std::string>{run(3).id, run(2).id}));
  workflow_query by_name;
  by_name.runbook = "disk";
  EXPECT_EQ(ids(*store_->list(by_name)), (std::vector<std::string>{run(5).id, run(3).id}));
  workflow_query by_path;
  by_path.runbook = "restart.yaml";
  EXPECT_EQ(store_->list(by_path)->size(), 3U);
  workflow_query since;
  since.since = t0 + 3ms;
  EXPECT_EQ(ids(*store_->list(since)), (std::vector<std::string>{run(5).id, run(4).id, run(3).id}));
  workflow_query limited;
  limited.limit = 2;
  EXPECT_EQ(ids(*store_->list(limited)), (std::vector<std::string>{run(5).id, run(4).id}));
  workflow_query combined;
  combined.runbook = "restart";
  combined.state = workflow_state::failed;
  combined.since = t0;
  EXPECT_EQ(ids(*store_->list(combined)), (std::vector<std::string>{run(4).id}));
}

TEST_F(workflow_store_test, unfinished_lists_non_terminal_runs_oldest_first) {
  using model::workflow_state;
  put({run(6, "a", workflow_state::paused), run(1, "a", workflow_state::completed),
       run(2, "a", workflow_state::pending), run(3, "a", workflow_state::cancelled),
       run(4, "a", workflow_state::awaiting_gate), run(5, "a", workflow_state::failed),
       run(7, "a", workflow_state::waiting), run(8, "a", workflow_state::needs_human)});
  workflow_write w;
  w.runbook_sources.emplace_back(std::string(64, '0'), "text");
  ASSERT_FALSE(store_->write_sync(std::move(w)));
  auto due = store_->unfinished();
  ASSERT_TRUE(due);
  EXPECT_EQ(ids(*due),
            (std::vector<std::string>{run(2).id, run(4).id, run(6).id, run(7).id, run(8).id}));
}

TEST_F(workflow_store_test, creating_a_run_and_marking_its_event_dispatched_is_one_write) {
  model::manual_clock clock;
  auto log = event_log::open(*db_, clock, model::sync_policy::batch, 24h);
  ASSERT_TRUE(log);
  model::event e;
  e.type = model::event_type::alert;
  e.labels.set("alertname", "HighMemoryUsage");
  e.fingerprint = model::fingerprint_of(e.labels);
  auto appended = (*log)->append_sync({e});
  ASSERT_EQ(appended.accepted.size(), 1U);
  const auto seq = appended.accepted[0].seq;
  EXPECT_EQ((*log)->get(seq)->state, event_state::accepted);

  auto r = run(1);
  r.event_seq = seq;
  r.trigger = appended.accepted[0];

  // All or nothing: a write with one bad part stores none of its parts.
  workflow_write bad;
  bad.records.push_back(r);
  bad.dispatched.push_back(seq);
  bad.log.emplace_back("not-a-workflow-id", entry(1, "created"));
  EXPECT_EQ(code_of(store_->write_sync(std::move(bad))), errc::invalid_argument);
  EXPECT_EQ(code_of(store_->get(r.id).error()), errc::not_found);
  EXPECT_EQ((*log)->get(seq)->state, event_state::accepted);

  workflow_write w;
  w.records.push_back(r);
  w.log.emplace_back(r.id, entry(1, "created"));
  w.dispatched.push_back(seq);
  w.runbook_sources.emplace_back(r.runbook_sha256, "name: restart-service\n");
  ASSERT_FALSE(store_->write_sync(std::move(w)));
  EXPECT_EQ((*log)->get(seq)->state, event_state::dispatched);
  EXPECT_EQ(store_->get(r.id)->trigger, appended.accepted[0]);
  auto backlog = (*log)->undispatched();
  ASSERT_TRUE(backlog);
  EXPECT_TRUE(backlog->empty());

  // And so it stays after a restart.
  log->reset();
  open();
  auto reopened = event_log::open(*db_, clock, model::sync_policy::batch, 24h);
  ASSERT_TRUE(reopened);
  EXPECT_EQ((*reopened)->get(seq)->state, event_state::dispatched);
  EXPECT_EQ(store_->get(r.id)->event_seq, seq);
}

TEST_F(workflow_store_test, concurrent_writers_share_groups) {
  constexpr uint32_t threads = 8;
  constexpr uint32_t per_thread = 50;
  std::vector<std::thread> workers;
  std::atomic<int> failures{0};
  for (uint32_t t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (uint32_t i = 0; i < per_thread; ++i) {
        auto r = run(t * per_thread + i);
        workflow_write w;
        w.log.emplace_back(r.id, entry(1, "created"));
        w.records.push_back(std::move(r));
        if (store_->write_sync(std::move(w)))
          ++failures;
      }
    });
  }
  for (auto& w : workers)
    w.join();
  EXPECT_EQ(failures.load(), 0);
  constexpr uint64_t total = threads * per_thread;
  EXPECT_EQ(store_->stats().writes.load(), total);
  EXPECT_LT(store_->stats().groups.load(), total) << "concurrent writes should share groups";
  workflow_query q;
  q.limit = 1000;
  auto all = store_->list(q);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), total);
  const auto listed = ids(*all);
  std::set<std::string> distinct(listed.begin(), listed.end());
  EXPECT_EQ(distinct.size(), total);
  EXPECT_EQ(store_->log(run(total - 1).id)->size(), 1U);
}

TEST_F(workflow_store_test, sync_always_commits_each_write_alone) {
  open(model::sync_policy::always);
  std::vector<std::thread> workers;
  for (uint32_t t = 0; t < 4; ++t)
    workers.emplace_back([&, t] {
      for (uint32_t i = 0; i < 5; ++i)
        put({run(t * 5 + i)});
    });
  for (auto& w : workers)
    w.join();
  EXPECT_EQ(store_->stats().writes.load(), 20U);
  EXPECT_EQ(store_->stats().groups.load(), 20U);
  EXPECT_EQ(store_->list({})->size(), 20U);
}

TEST_F(workflow_store_test, survives_closing_and_reopening) {
  const auto r = full_record();
  workflow_write w;
  w.records.push_back(r);
  w.records.push_back(run(2, "other", model::workflow_state::completed));
  w.log.emplace_back(r.id, entry(1, "created"));
  w.runbook_sources.emplace_back(r.runbook_sha256, "name: restart-service-on-high-memory\n");
  ASSERT_FALSE(store_->write_sync(std::move(w)));
  store_->close();
  open();
  EXPECT_EQ(*store_->get(r.id), r);
  EXPECT_EQ(store_->list({})->size(), 2U);
  EXPECT_EQ(ids(*store_->unfinished()), std::vector<std::string>{r.id});
  EXPECT_EQ(store_->log(r.id)->size(), 1U);
  EXPECT_EQ(*store_->runbook_source(r.runbook_sha256), "name: restart-service-on-high-memory\n");
}

TEST_F(workflow_store_test, keeps_runbook_texts_by_digest) {
  const std::string sha(64, 'b');
  const std::string text = "name: x\nsteps:\n  - name: check\n    action: exec\n";
  workflow_write w;
  w.runbook_sources.emplace_back(sha, text);
  ASSERT_FALSE(store_->write_sync(std::move(w)));
  auto got = store_->runbook_source(sha);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, text);
  auto missing = store_->runbook_source(std::string(64, 'c'));
  ASSERT_FALSE(missing);
  EXPECT_EQ(code_of(missing.error()), errc::not_found);
  EXPECT_TRUE(store_->list({})->empty());
  EXPECT_TRUE(store_->unfinished()->empty());
}

TEST_F(workflow_store_test, refuses_ids_outside_the_key_layout) {
  auto r = run(1);
  r.id = "rb:" + std::string(64, 'a');
  workflow_write w;
  w.records.push_back(r);
  EXPECT_EQ(code_of(store_->write_sync(std::move(w))), errc::invalid_argument);
  EXPECT_EQ(store_->stats().writes.load(), 0U);
}

TEST_F(workflow_store_test, unreadable_checkpoints_are_reported_by_get_and_skipped_by_lists) {
  put({run(1), run(3)});
  std::string newer;
  encode_workflow(run(2), newer);
  newer[0] = static_cast<char>(workflow_format_version + 1);
  auto* runs = db_->handle(column::workflows);
  ASSERT_TRUE(db_->db().Put(rocksdb::WriteOptions{}, runs, run(2).id, newer).ok());
  ASSERT_TRUE(db_->db().Put(rocksdb::WriteOptions{}, runs, run(4).id, "\x01garbage").ok());
  EXPECT_EQ(code_of(store_->get(run(2).id).error()), errc::format_too_new);
  EXPECT_EQ(code_of(store_->get(run(4).id).error()), errc::storage_error);
  EXPECT_EQ(ids(*store_->list({})), (std::vector<std::string>{run(3).id, run(1).id}));
  EXPECT_EQ(ids(*store_->unfinished()), (std::vector<std::string>{run(1).id, run(3).id}));
}

TEST_F(workflow_store_test, closed_store_refuses_writes) {
  store_->close();
  store_->close(); // idempotent
  bool called = false;
  caf::error result;
  workflow_write w;
  w.records.push_back(run(1));
  store_->write(std::move(w), [&](caf::error err) {
    called = true;
    result = std::move(err);
  });
  EXPECT_TRUE(called);
  EXPECT_EQ(code_of(result), errc::unavailable);
  EXPECT_EQ(code_of(store_->get(run(1).id).error()), errc::not_found);
}

} // namespace
} // namespace vigil::storage
