#include "runtime/runbook/matcher.hpp"

#include <gtest/gtest.h>

namespace vigil::runbook {
namespace {

/// A runbook named `name` with the triggers written in `triggers` (YAML, a flow list).
runbook_ptr book(const std::string& name, const std::string& triggers, bool enabled = true) {
  const std::string text = "name: " + name + "\nenabled: " + (enabled ? "true" : "false")
                           + "\ntriggers: " + triggers + "\nsteps: [{name: s, action: noop}]\n";
  auto r = load_runbook_text(text, name + ".yaml", name + ".yaml", {});
  EXPECT_TRUE(r) << text << (r ? "" : r.errors().front().to_string());
  return r ? std::make_shared<const runbook>(std::move(r).value()) : nullptr;
}

/// The single trigger of a runbook with that one trigger.
trigger one_trigger(const std::string& yaml) {
  auto b = book("t", "[" + yaml + "]");
  return b && b->triggers.size() == 1 ? b->triggers.front() : trigger{};
}

model::event alert(const std::vector<std::pair<std::string, std::string>>& labels,
                   model::event_status status = model::event_status::firing) {
  model::event e;
  e.type = model::event_type::alert;
  e.status = status;
  e.labels = model::label_set{labels};
  return e;
}

model::event metric(const std::string& name, double value,
                    const std::vector<std::pair<std::string, std::string>>& labels = {}) {
  model::event e;
  e.type = model::event_type::metric;
  e.metric_name = name;
  e.value = value;
  e.labels = model::label_set{labels};
  return e;
}

std::vector<std::string> names(const matcher& m, const model::event& e) {
  std::vector<const runbook*> out;
  m.match(e, out);
  std::vector<std::string> result;
  result.reserve(out.size());
  for (const auto* r : out)
    result.push_back(r->name);
  return result;
}

TEST(runbook_conditions, eq_and_ne) {
  auto eq = one_trigger("{match: {env: prod}}");
  ASSERT_EQ(eq.match.size(), 1U);
  EXPECT_EQ(eq.match[0].operation, condition::op::eq) << "a plain value means eq";
  EXPECT_TRUE(eq.matches(alert({{"env", "prod"}})));
  EXPECT_FALSE(eq.matches(alert({{"env", "production"}})));
  EXPECT_FALSE(eq.matches(alert({})));
  auto ne = one_trigger("{match: {env: {ne: prod}}}");
  EXPECT_FALSE(ne.matches(alert({{"env", "prod"}})));
  EXPECT_TRUE(ne.matches(alert({{"env", "dev"}})));
  EXPECT_TRUE(ne.matches(alert({}))) << "an absent label is not equal to anything";
}

TEST(runbook_conditions, in_and_not_in) {
  auto in = one_trigger("{match: {severity: {in: [critical, warning]}}}");
  EXPECT_TRUE(in.matches(alert({{"severity", "warning"}})));
  EXPECT_FALSE(in.matches(alert({{"severity", "info"}})));
  EXPECT_FALSE(in.matches(alert({})));
  auto not_in = one_trigger("{match: {severity: {not_in: [info, debug]}}}");
  EXPECT_TRUE(not_in.matches(alert({{"severity", "critical"}})));
  EXPECT_FALSE(not_in.matches(alert({{"severity", "debug"}})));
  EXPECT_TRUE(not_in.matches(alert({})));
}

TEST(runbook_conditions, regex_must_match_the_whole_value) {
  auto t = one_trigger("{match: {instance: {regex: \"web-[0-9]+\"}}}");
  EXPECT_TRUE(t.matches(alert({{"instance", "web-12"}})));
  EXPECT_FALSE(t.matches(alert({{"instance", "web-12.example.com"}})));
  EXPECT_FALSE(t.matches(alert({{"instance", "old-web-12"}})));
  EXPECT_FALSE(t.matches(alert({})));
}

TEST(runbook_conditions, exists) {
  auto yes = one_trigger("{match: {team: {exists: true}}}");
  EXPECT_TRUE(yes.matches(alert({{"team", ""}})));
  EXPECT_FALSE(yes.matches(alert({})));
  auto no = one_trigger("{match: {team: {exists: false}}}");
  EXPECT_FALSE(no.matches(alert({{"team", "db"}})));
  EXPECT_TRUE(no.matches(alert({})));
}

TEST(runbook_conditions, numeric_operators_compare_the_metric_value) {
  auto gt = one_trigger("{type: metric, match: {metric_name: cpu_usage_percent, value: {gt: 90}}}");
  EXPECT_TRUE(gt.matches(metric("cpu_usage_percent", 95)));
  EXPECT_FALSE(gt.matches(metric("cpu_usage_percent", 90)));
  EXPECT_FALSE(gt.matches(metric("memory_usage_percent", 95)));
  EXPECT_FALSE(gt.matches(alert({{"metric_name", "cpu_usage_percent"}})));
  auto gte = one_trigger("{match: {value: {gte: 90}}}");
  EXPECT_TRUE(gte.matches(metric("m", 90)));
  EXPECT_FALSE(gte.matches(metric("m", 89.99)));
  auto lt = one_trigger("{match: {value: {lt: 10}}}");
  EXPECT_TRUE(lt.matches(metric("m", -3)));
  EXPECT_FALSE(lt.matches(metric("m", 10)));
  auto lte = one_trigger("{match: {value: {lte: 10}}}");
  EXPECT_TRUE(lte.matches(metric("m", 10)));
  EXPECT_FALSE(lte.matches(metric("m", 10.5)));
  auto range = one_trigger("{match: {value: {gt: 10, lt: 20}}}");
  ASSERT_EQ(range.match.size(), 2U);
  EXPECT_TRUE(range.matches(metric("m", 15)));
  EXPECT_FALSE(range.matches(metric("m", 25)));
  // A metric event without a value satisfies no comparison.
  auto no_value = metric("m", 0);
  no_value.value.reset();
  EXPECT_FALSE(gte.matches(no_value));
  // On other keys, a label holding a number is compared as one.
  auto label = one_trigger("{match: {replicas: {lt: 2}}}");
  EXPECT_TRUE(label.matches(alert({{"replicas", "1"}})));
  EXPECT_FALSE(label.matches(alert({{"replicas", "3"}})));
  EXPECT_FALSE(label.matches(alert({{"replicas", "one"}})));
}

TEST(runbook_conditions, status_filters) {
  auto firing = one_trigger("{labels: {alertname: A}}");
  EXPECT_EQ(firing.status, status_filter::firing);
  EXPECT_TRUE(firing.matches(alert({{"alertname", "A"}})));
  EXPECT_FALSE(firing.matches(alert({{"alertname", "A"}}, model::event_status::resolved)));
  auto resolved = one_trigger("{status: resolved, labels: {alertname: A}}");
  EXPECT_FALSE(resolved.matches(alert({{"alertname", "A"}})));
  EXPECT_TRUE(resolved.matches(alert({{"alertname", "A"}}, model::event_status::resolved)));
  auto any = one_trigger("{status: any, labels: {alertname: A}}");
  EXPECT_TRUE(any.matches(alert({{"alertname", "A"}})));
  EXPECT_TRUE(any.matches(alert({{"alertname", "A"}}, model::event_status::resolved)));
}

TEST(runbook_conditions, type_filter_and_exact_labels) {
  auto typed = one_trigger("{type: alert, labels: {alertname: A, team: db}}");
  EXPECT_TRUE(typed.matches(alert({{"alertname", "A"}, {"team", "db"}, {"x", "y"}})));
  EXPECT_FALSE(typed.matches(alert({{"alertname", "A"}})));
  EXPECT_FALSE(typed.matches(alert({{"alertname", "A"}, {"team", "DB"}})));
  auto ev = alert({{"alertname", "A"}, {"team", "db"}});
  ev.type = model::event_type::event;
  EXPECT_FALSE(typed.matches(ev));
  auto untyped = one_trigger("{labels: {alertname: A, team: db}}");
  EXPECT_TRUE(untyped.matches(ev)) << "no type: every type";
}

TEST(runbook_matcher, finds_by_alertname_and_generic_triggers_in_load_order) {
  matcher m{{
    book("generic-critical", "[{type: alert, match: {severity: {eq: critical}}}]"),
    book("memory", "[{type: alert, labels: {alertname: HighMemoryUsage}}]"),
    book("cpu-metric",
         "[{type: metric, match: {metric_name: cpu_usage_percent, value: {gt: 90}}}]"),
    book("memory-via-match",
         "[{match: {alertname: HighMemoryUsage, instance: {regex: \"web-.*\"}}}]"),
    book("disk-or-memory", "[{match: {alertname: {in: [DiskFull, HighMemoryUsage]}}}]"),
  }};
  EXPECT_EQ(names(m, alert({{"alertname", "HighMemoryUsage"}, {"instance", "web-1"}})),
            (std::vector<std::string>{"memory", "memory-via-match", "disk-or-memory"}));
  EXPECT_EQ(names(m, alert({{"alertname", "HighMemoryUsage"}, {"severity", "critical"}})),
            (std::vector<std::string>{"generic-critical", "memory", "disk-or-memory"}));
  EXPECT_EQ(names(m, alert({{"alertname", "DiskFull"}})),
            (std::vector<std::string>{"disk-or-memory"}));
  EXPECT_TRUE(names(m, alert({{"alertname", "Unknown"}})).empty());
  EXPECT_TRUE(names(m, alert({})).empty());
  EXPECT_EQ(names(m, metric("cpu_usage_percent", 95)), (std::vector<std::string>{"cpu-metric"}));
  EXPECT_TRUE(names(m, metric("cpu_usage_percent", 50)).empty());
  // A metric event carrying an alertname label is still only a metric event.
  EXPECT_EQ(names(m, metric("x", 1, {{"alertname", "DiskFull"}})),
            (std::vector<std::string>{"disk-or-memory"}));
}

TEST(runbook_matcher, a_runbook_with_two_matching_triggers_runs_once) {
  matcher m{{book("twice", "[{labels: {alertname: A}}, {match: {team: {exists: true}}}, "
                           "{labels: {alertname: A}, status: any}]")}};
  EXPECT_EQ(names(m, alert({{"alertname", "A"}, {"team", "db"}})),
            (std::vector<std::string>{"twice"}));
  EXPECT_EQ(names(m, alert({{"alertname", "A"}}, model::event_status::resolved)),
            (std::vector<std::string>{"twice"}));
}

TEST(runbook_matcher, disabled_runbooks_never_match) {
  matcher m{{book("off", "[{labels: {alertname: A}}]", false), book("off-generic", "[{}]", false),
             book("on", "[{labels: {alertname: A}}]")}};
  EXPECT_EQ(names(m, alert({{"alertname", "A"}})), (std::vector<std::string>{"on"}));
  EXPECT_EQ(m.runbooks().size(), 3U) << "disabled runbooks are still listed";
  ASSERT_NE(m.find("off"), nullptr);
  EXPECT_EQ(m.find("off.yaml"), m.find("off")) << "found by path too";
  EXPECT_EQ(m.find("missing"), nullptr);
}

TEST(runbook_matcher, appends_to_what_the_caller_has) {
  matcher m{{book("a", "[{labels: {alertname: A}}]")}};
  std::vector<const runbook*> out{nullptr};
  m.match(alert({{"alertname", "A"}}), out);
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0], nullptr);
  EXPECT_EQ(out[1]->name, "a");
}

TEST(runbook_matcher, runbooks_without_triggers_only_run_by_hand) {
  matcher m{{book("manual", "[]")}};
  EXPECT_TRUE(names(m, alert({{"alertname", "A"}})).empty());
  EXPECT_NE(m.find("manual"), nullptr);
}

} // namespace
} // namespace vigil::runbook
