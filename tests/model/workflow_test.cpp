#include "runtime/model/workflow.hpp"

#include <gtest/gtest.h>

namespace vigil::model {
namespace {

using namespace std::chrono_literals;

TEST(workflow_id, has_the_documented_form) {
  // 1 ms after the epoch, counter 2: (1 << 16) | 2.
  EXPECT_EQ(make_workflow_id(from_unix_nanos(1'000'000), 2), "wf-0000000000010002");
  const auto id = make_workflow_id(from_unix_nanos(1'700'000'000'123'456'789), 0xabcd);
  ASSERT_EQ(id.size(), 19U);
  EXPECT_EQ(id.substr(0, 3), "wf-");
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef", 3), std::string::npos) << id;
  EXPECT_EQ(id.substr(15), "abcd");
}

TEST(workflow_id, sorts_by_time_then_counter) {
  const auto t = from_unix_nanos(1'700'000'000'000'000'000);
  EXPECT_LT(make_workflow_id(t, 0), make_workflow_id(t, 1));
  EXPECT_LT(make_workflow_id(t, 1), make_workflow_id(t, 0xfffe));
  // A later millisecond sorts after every counter of an earlier one.
  EXPECT_LT(make_workflow_id(t, 0xffff), make_workflow_id(t + 1ms, 0));
  EXPECT_LT(make_workflow_id(t, 5), make_workflow_id(t + 24h, 0));
  // Sub-millisecond differences are the counter's job.
  EXPECT_EQ(make_workflow_id(t, 7), make_workflow_id(t + 999us, 7));
  // Only the counter's low 16 bits are used.
  EXPECT_EQ(make_workflow_id(t, 0x10003), make_workflow_id(t, 3));
}

TEST(workflow_state_names, round_trip) {
  const workflow_state all[] = {
    workflow_state::pending,       workflow_state::running, workflow_state::waiting,
    workflow_state::awaiting_gate, workflow_state::paused,  workflow_state::needs_human,
    workflow_state::completed,     workflow_state::failed,  workflow_state::cancelled,
  };
  for (auto s : all) {
    auto back = parse_workflow_state(to_string(s));
    ASSERT_TRUE(back) << to_string(s);
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(to_string(workflow_state::awaiting_gate), "awaiting_gate");
  EXPECT_EQ(to_string(workflow_state::needs_human), "needs_human");
  EXPECT_FALSE(parse_workflow_state("Running"));
  EXPECT_FALSE(parse_workflow_state(""));
  EXPECT_FALSE(parse_workflow_state("active"));
}

TEST(step_status_names, round_trip) {
  const step_status all[] = {
    step_status::pending, step_status::running,     step_status::succeeded, step_status::failed,
    step_status::skipped, step_status::rolled_back, step_status::cancelled,
  };
  for (auto s : all) {
    auto back = parse_step_status(to_string(s));
    ASSERT_TRUE(back) << to_string(s);
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(to_string(step_status::rolled_back), "rolled_back");
  EXPECT_FALSE(parse_step_status("done"));
}

TEST(workflow_state, terminal_states) {
  EXPECT_TRUE(is_terminal(workflow_state::completed));
  EXPECT_TRUE(is_terminal(workflow_state::failed));
  EXPECT_TRUE(is_terminal(workflow_state::cancelled));
  EXPECT_FALSE(is_terminal(workflow_state::pending));
  EXPECT_FALSE(is_terminal(workflow_state::running));
  EXPECT_FALSE(is_terminal(workflow_state::waiting));
  EXPECT_FALSE(is_terminal(workflow_state::awaiting_gate));
  EXPECT_FALSE(is_terminal(workflow_state::paused));
  EXPECT_FALSE(is_terminal(workflow_state::needs_human));
  static_assert(is_terminal(workflow_state::completed), "usable at compile time");
}

TEST(workflow_record, equality_compares_every_field) {
  workflow_record a;
  a.id = "wf-1";
  a.steps.push_back({"check", step_status::succeeded, 1, 0, "ok", "", {}, {}});
  auto b = a;
  EXPECT_EQ(a, b);
  b.steps[0].output = "changed";
  EXPECT_FALSE(a == b);
  b = a;
  b.rollback_next = 3;
  EXPECT_FALSE(a == b);
  b = a;
  b.trigger.labels.set("instance", "web-1");
  EXPECT_FALSE(a == b);
  b = a;
  b.params["k"] = "v";
  EXPECT_FALSE(a == b);

  workflow_log_entry x{1, from_unix_nanos(5), "state", "", 0, "running"};
  auto y = x;
  EXPECT_EQ(x, y);
  y.attempt = 2;
  EXPECT_FALSE(x == y);
}

} // namespace
} // namespace vigil::model
