#include <gtest/gtest.h>

#include "runtime/runbook/runbook.hpp"

namespace vigil::runbook {
namespace {

using namespace std::chrono_literals;

const integration_names configured{"prometheus", "alertmanager", "pagerduty"};

model::expected_or_diagnostics<runbook> load(const std::string& text,
                                             const integration_names& names = configured) {
  return load_runbook_text(text, "rb.yaml", "dir/rb.yaml", names);
}

/// The diagnostics of a text that must not load.
model::diagnostics errors_of(const std::string& text, const integration_names& names = configured) {
  auto r = load(text, names);
  EXPECT_FALSE(r) << "expected errors in:\n" << text;
  return r ? model::diagnostics{} : r.errors();
}

/// The only diagnostic of a text with exactly one problem.
model::diagnostic only_error(const std::string& text) {
  auto errors = errors_of(text);
  EXPECT_EQ(errors.size(), 1U);
  if (errors.size() > 1)
    for (const auto& e : errors)
      ADD_FAILURE() << "unexpected: " << e.to_string();
  return errors.empty() ? model::diagnostic{} : errors.front();
}

bool mentions(const model::diagnostic& d, const std::string& text) {
  return d.message.find(text) != std::string::npos;
}

const std::string head = "name: t\nsteps:\n"; // steps start on line 3

TEST(runbook_loader, design_example_loads_with_every_field) {
  const std::string text = R"(name: restart-service-on-high-memory
description: Restart the service when memory stays high
category: remediation
triggers:
  - type: alert
    status: any
    labels: {alertname: HighMemoryUsage}
    match: {severity: {in: [critical, warning]}, instance: {regex: "web-.*"}, value: {gt: 90, lte: 100}}
concurrency: {key: "{{ labels.instance }}", policy: replace, max: 2}
dedup_window: 5m
timeout: 10m
budget: {max_attempts: 7, max_duration: 1h}
on_failure: escalate
escalation: {action: pagerduty, integration: pagerduty, params: {summary: "{{ steps.restart.status }}"}}
parameters: {service: nginx, note:}
steps:
  - name: check
    action: exec
    command: ["systemctl", "status", "{{ params.service }}"]
    env: {MODE: "check-{{ labels.instance }}"}
    timeout: 30s
    retry: {attempts: 3, initial: 1s, max: 30s, multiplier: 2, jitter: 0.2, retry_on: [timeout]}
  - name: approve
    action: approval
    timeout: 15m
  - name: restart
    action: exec
    command: "systemctl restart {{ params.service }}"
    on_failure: rollback
    rollback: {action: exec, command: ["systemctl", "start", "x"], timeout: 1m}
  - name: page
    action: pagerduty
    integration: pagerduty
    params: {event_action: trigger, count: 3, urgent: true, none: null, quoted: "42", hex: 0x10, ratio: -1.5e2, tags: [a, "{{ labels.team }}"]}
  - name: pause
    action: wait
    duration: 2m
    until: resolved
  - name: note
    action: log
    message: "restart said {{ steps.restart.output }}"
)";
  auto r = load(text);
  ASSERT_TRUE(r) << r.errors().front().to_string();
  const auto& rb = r.value();
  EXPECT_EQ(rb.name, "restart-service-on-high-memory");
  EXPECT_EQ(rb.category, "remediation");
  EXPECT_TRUE(rb.enabled);
  EXPECT_EQ(rb.path, "dir/rb.yaml");
  EXPECT_EQ(rb.source, text);
  EXPECT_EQ(rb.sha256, sha256_hex(text));
  ASSERT_EQ(rb.triggers.size(), 1U);
  const auto& t = rb.triggers[0];
  EXPECT_EQ(t.type, model::event_type::alert);
  EXPECT_EQ(t.status, status_filter::any);
  ASSERT_EQ(t.labels.size(), 1U);
  EXPECT_EQ(t.labels[0].second, "HighMemoryUsage");
  ASSERT_EQ(t.match.size(), 4U);
  EXPECT_EQ(t.match[0].operation, condition::op::in);
  EXPECT_EQ(t.match[0].values, (std::vector<std::string>{"critical", "warning"}));
  EXPECT_EQ(t.match[1].operation, condition::op::regex);
  EXPECT_NE(t.match[1].regex, nullptr);
  EXPECT_EQ(t.match[2].operation, condition::op::gt);
  EXPECT_EQ(t.match[2].number, 90);
  EXPECT_EQ(t.match[3].operation, condition::op::lte);
  ASSERT_TRUE(rb.concurrency.key);
  EXPECT_EQ(rb.concurrency.key->source(), "{{ labels.instance }}");
  EXPECT_EQ(rb.concurrency.policy, concurrency_policy::replace);
  EXPECT_EQ(rb.concurrency.max, 2U);
  EXPECT_EQ(rb.dedup_window, 5min);
  EXPECT_EQ(rb.timeout, 10min);
  EXPECT_EQ(rb.budget.max_attempts, 7U);
  EXPECT_EQ(rb.budget.max_duration, 1h);
  EXPECT_EQ(rb.on_failure, failure_strategy::escalate);
  ASSERT_TRUE(rb.escalation);
  EXPECT_EQ(rb.escalation->kind, action_kind::pagerduty);
  EXPECT_EQ(rb.parameters,
            (std::map<std::string, std::string>{{"note", ""}, {"service", "nginx"}}));
  ASSERT_EQ(rb.steps.size(), 6U);

  const auto& check = rb.steps[0];
  EXPECT_EQ(check.line, 17);
  EXPECT_EQ(check.action.kind, action_kind::exec);
  ASSERT_EQ(check.action.command.size(), 3U);
  EXPECT_EQ(check.action.command[2].source(), "{{ params.service }}");
  EXPECT_EQ(check.action.env.at("MODE").source(), "check-{{ labels.instance }}");
  EXPECT_EQ(check.timeout, 30s);
  EXPECT_EQ(check.retry.attempts, 3U);
  EXPECT_EQ(check.retry.initial, 1s);
  EXPECT_EQ(check.retry.max, 30s);
  EXPECT_DOUBLE_EQ(check.retry.jitter, 0.2);
  EXPECT_EQ(check.retry.retry_on, retry_on_timeout);
  EXPECT_FALSE(check.on_failure);

  EXPECT_EQ(rb.steps[1].action.kind, action_kind::approval);
  EXPECT_EQ(rb.steps[1].timeout, 15min);

  const auto& restart = rb.steps[2];
  EXPECT_EQ(restart.timeout, 0ms) << "the engine applies the exec default";
  ASSERT_EQ(restart.action.command.size(), 3U);
  EXPECT_EQ(restart.action.command[1].source(), "restart");
  EXPECT_EQ(restart.action.command[2].source(), "{{ params.service }}");
  EXPECT_EQ(restart.on_failure, failure_strategy::rollback);
  ASSERT_TRUE(restart.rollback);
  EXPECT_EQ(restart.rollback->command.size(), 3U);
  EXPECT_EQ(restart.rollback->timeout, 1min);

  const auto& page = rb.steps[3].action;
  EXPECT_EQ(page.integration, "pagerduty");
  ASSERT_EQ(page.params.type, param_value::kind::map);
  EXPECT_EQ(page.params.field("count")->type, param_value::kind::number);
  EXPECT_EQ(page.params.field("urgent")->type, param_value::kind::boolean);
  EXPECT_EQ(page.params.field("none")->type, param_value::kind::null);
  EXPECT_EQ(page.params.field("quoted")->type, param_value::kind::string);
  EXPECT_EQ(page.params.field("hex")->type, param_value::kind::string) << "not a JSON number";
  EXPECT_EQ(page.params.field("ratio")->type, param_value::kind::number);
  EXPECT_EQ(page.params.field("ratio")->text.source(), "-1.5e2");
  ASSERT_EQ(page.params.field("tags")->items.size(), 2U);
  EXPECT_FALSE(page.params.field("tags")->items[1].text.is_literal());
  EXPECT_EQ(page.params.field("missing"), nullptr);

  EXPECT_EQ(rb.steps[4].action.duration, 2min);
  EXPECT_TRUE(rb.steps[4].action.until_resolved);
  EXPECT_EQ(rb.steps[5].action.message.source(), "restart said {{ steps.restart.output }}");
  EXPECT_EQ(rb.step_index("restart"), 2);
  EXPECT_EQ(rb.step_index("nope"), -1);
}

TEST(runbook_loader, defaults_apply) {
  auto r =
    load("name: n\ntriggers: [{labels: {alertname: A}}]\nsteps: [{name: s, action: noop}]\n");
  ASSERT_TRUE(r);
  const auto& rb = r.value();
  EXPECT_TRUE(rb.enabled);
  EXPECT_EQ(rb.on_failure, failure_strategy::fail);
  EXPECT_FALSE(rb.triggers[0].type);
  EXPECT_EQ(rb.triggers[0].status, status_filter::firing);
  EXPECT_EQ(rb.steps[0].retry.attempts, 1U);
  EXPECT_EQ(rb.steps[0].timeout, 0ms);
  EXPECT_TRUE(rb.parameters.empty());
}

TEST(runbook_loader, unknown_keys_are_reported_where_they_are) {
  auto e = only_error("name: t\ndescripton: x\nsteps: [{name: s, action: noop}]\n");
  EXPECT_EQ(e.path, "descripton");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.column, 1);
  EXPECT_TRUE(mentions(e, "unknown key"));

  e = only_error(head + "  - name: s\n    action: noop\n    timout: 5s\n");
  EXPECT_EQ(e.path, "steps[0].timout");
  EXPECT_EQ(e.line, 5);
  EXPECT_EQ(e.column, 5);

  e = only_error("name: t\ntriggers:\n  - type: alert\n    lables: {a: b}\n"
                 + std::string{"steps: [{name: s, action: noop}]\n"});
  EXPECT_EQ(e.path, "triggers[0].lables");
  EXPECT_EQ(e.line, 4);
}

TEST(runbook_loader, unknown_action_is_reported) {
  auto e = only_error(head + "  - name: s\n    action: shell\n");
  EXPECT_EQ(e.path, "steps[0].action");
  EXPECT_EQ(e.line, 4);
  EXPECT_EQ(e.column, 13);
  EXPECT_TRUE(mentions(e, "unknown action \"shell\""));
}

TEST(runbook_loader, keys_of_another_action_are_errors) {
  auto e =
    only_error(head + "  - name: s\n    action: exec\n    command: [true]\n    duration: 5m\n");
  EXPECT_EQ(e.path, "steps[0].duration");
  EXPECT_EQ(e.line, 6);
  EXPECT_TRUE(mentions(e, "does not apply to action exec"));
}

TEST(runbook_loader, integrations_must_be_configured) {
  const std::string text =
    head + "  - name: p\n    action: slack\n    integration: slack\n    params: {text: hi}\n";
  auto e = only_error(text);
  EXPECT_EQ(e.path, "steps[0].integration");
  EXPECT_EQ(e.line, 5);
  EXPECT_TRUE(mentions(e, "unknown integration \"slack\""));
  EXPECT_TRUE(mentions(e, "prometheus, alertmanager, pagerduty"));
  // No integrations configured: still an error. The wildcard (`vigil validate` without a
  // config) accepts any name.
  EXPECT_EQ(errors_of(text, {}).size(), 1U);
  EXPECT_TRUE(load(text, {std::string{any_integration}}));

  e = only_error(head + "  - name: p\n    action: http\n");
  EXPECT_EQ(e.path, "steps[0].integration");
  EXPECT_TRUE(mentions(e, "missing"));
}

TEST(runbook_loader, bad_durations_are_reported) {
  auto errors = errors_of("name: t\ntimeout: 10 minutes\ndedup_window: -1s\nsteps:\n  - name: w\n"
                          "    action: wait\n    duration: soon\n");
  ASSERT_EQ(errors.size(), 3U);
  EXPECT_EQ(errors[0].path, "timeout");
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_EQ(errors[1].path, "dedup_window");
  EXPECT_EQ(errors[1].line, 3);
  EXPECT_EQ(errors[2].path, "steps[0].duration");
  EXPECT_EQ(errors[2].line, 7);
  EXPECT_TRUE(mentions(errors[2], "expected a duration"));
  // A bare number is seconds.
  auto r = load("name: t\ntimeout: 90\nsteps: [{name: s, action: noop}]\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value().timeout, 90s);
}

TEST(runbook_loader, template_variables_that_cannot_exist_are_reported) {
  struct bad_case {
    std::string message_template;
    std::string why;
  };
  const std::vector<bad_case> cases{
    {"{{ label.x }}", "unknown template variable"},
    {"{{ labels }}", "needs a key"},
    {"{{ event.colour }}", "unknown event field"},
    {"{{ steps.later.output }}", "runs later"},
    {"{{ steps.me.output }}", "its own result"},
    {"{{ steps.ghost.status }}", "no step named \"ghost\""},
    {"{{ steps.first.exit }}", "steps.STEP.output"},
    {"{{ workflow.name }}", "workflow.id"},
    {"{{ params.other }}", "not declared"},
    {"before {{ labels.x", "unclosed {{"},
    {"{{ }}", "empty placeholder"},
  };
  for (const auto& c : cases) {
    const std::string text = "name: t\nparameters: {service: x}\nsteps:\n"
                             "  - name: first\n    action: noop\n"
                             "  - name: me\n    action: log\n    message: \""
                             + c.message_template + "\"\n  - name: later\n    action: noop\n";
    auto errors = errors_of(text);
    ASSERT_EQ(errors.size(), 1U) << c.message_template;
    EXPECT_EQ(errors[0].path, "steps[1].message") << c.message_template;
    EXPECT_EQ(errors[0].line, 8) << c.message_template;
    EXPECT_TRUE(mentions(errors[0], c.why)) << c.message_template << ": " << errors[0].message;
  }
}

TEST(runbook_loader, undeclared_params_are_fine_without_parameters) {
  EXPECT_TRUE(
    load(head + "  - name: s\n    action: log\n    message: \"{{ params.anything }}\"\n"));
}

TEST(runbook_loader, rollback_may_read_its_own_step_and_escalation_any_step) {
  EXPECT_TRUE(load("name: t\nescalation: {action: log, message: \"{{ steps.b.output }}\"}\n"
                   "steps:\n  - name: a\n    action: exec\n    command: [x]\n"
                   "    rollback: {action: log, message: \"{{ steps.a.output }}\"}\n"
                   "  - name: b\n    action: noop\n"));
}

TEST(runbook_loader, concurrency_key_cannot_read_steps) {
  auto e = only_error("name: t\nconcurrency: {key: \"{{ steps.s.output }}\"}\n"
                      "steps: [{name: s, action: noop}]\n");
  EXPECT_EQ(e.path, "concurrency.key");
  EXPECT_EQ(e.line, 2);
}

TEST(runbook_loader, duplicate_step_names_are_reported_on_the_second) {
  auto e = only_error(head + "  - name: s\n    action: noop\n  - name: s\n    action: noop\n");
  EXPECT_EQ(e.path, "steps[1].name");
  EXPECT_EQ(e.line, 5);
  EXPECT_TRUE(mentions(e, "duplicate step name"));
}

TEST(runbook_loader, invalid_regex_is_a_load_error) {
  auto e = only_error("name: t\ntriggers:\n  - match:\n      instance: {regex: \"web-(\"}\n"
                      "steps: [{name: s, action: noop}]\n");
  EXPECT_EQ(e.path, "triggers[0].match.instance.regex");
  EXPECT_EQ(e.line, 4);
  EXPECT_TRUE(mentions(e, "invalid regular expression"));
}

TEST(runbook_loader, wrong_types_are_reported) {
  auto errors = errors_of("name: [a]\nenabled: maybe\ntriggers: {type: alert}\n"
                          "steps:\n  - name: s\n    action: exec\n    command: [\"ls\", [\"-l\"]]\n"
                          "    retry: {attempts: many}\n");
  ASSERT_EQ(errors.size(), 5U);
  EXPECT_EQ(errors[0].path, "name");
  EXPECT_EQ(errors[0].line, 1);
  EXPECT_EQ(errors[1].path, "enabled");
  EXPECT_EQ(errors[1].line, 2);
  EXPECT_EQ(errors[2].path, "triggers");
  EXPECT_EQ(errors[2].line, 3);
  EXPECT_EQ(errors[3].path, "steps[0].command[1]");
  EXPECT_EQ(errors[3].line, 7);
  EXPECT_EQ(errors[3].column, 21);
  EXPECT_EQ(errors[4].path, "steps[0].retry.attempts");
  EXPECT_EQ(errors[4].line, 8);
}

TEST(runbook_loader, missing_required_keys_are_reported) {
  auto errors = errors_of("description: d\nsteps:\n  - action: exec\n  - name: l\n    action: log\n"
                          "  - name: w\n    action: wait\n  - name: x\n");
  ASSERT_EQ(errors.size(), 6U);
  EXPECT_EQ(errors[0].path, "name");
  EXPECT_EQ(errors[0].line, 1);
  EXPECT_EQ(errors[1].path, "steps[0].name");
  EXPECT_EQ(errors[1].line, 3);
  EXPECT_EQ(errors[2].path, "steps[0].command");
  EXPECT_EQ(errors[3].path, "steps[1].message");
  EXPECT_EQ(errors[3].line, 4);
  EXPECT_EQ(errors[4].path, "steps[2].duration");
  EXPECT_EQ(errors[4].line, 6);
  EXPECT_EQ(errors[5].path, "steps[3].action");
  EXPECT_EQ(errors[5].line, 8);

  auto e = only_error("name: t\n");
  EXPECT_EQ(e.path, "steps");
  e = only_error("name: t\nsteps: []\n");
  EXPECT_EQ(e.path, "steps");
  EXPECT_EQ(e.line, 2);
}

TEST(runbook_loader, one_string_command_is_split_but_never_shell) {
  auto r = load(head
                + "  - name: s\n    action: exec\n"
                  "    command: \"echo  pre-{{ labels.a }}-post {{ labels.b }}\"\n");
  ASSERT_TRUE(r);
  const auto& argv = r.value().steps[0].action.command;
  ASSERT_EQ(argv.size(), 3U);
  EXPECT_EQ(argv[0].source(), "echo");
  EXPECT_EQ(argv[1].source(), "pre-{{ labels.a }}-post");
  EXPECT_EQ(argv[2].source(), "{{ labels.b }}");

  for (const std::string bad :
       {"ls | grep x", "a; b", "a && b", "echo $(id)", "echo `id`", "cat > f", "cat < f", "rm *"}) {
    auto e = only_error(head + "  - name: s\n    action: exec\n    command: \"" + bad + "\"\n");
    EXPECT_EQ(e.path, "steps[0].command") << bad;
    EXPECT_EQ(e.line, 5) << bad;
    EXPECT_TRUE(mentions(e, "as a list")) << bad << ": " << e.message;
  }
}

TEST(runbook_loader, every_problem_in_one_pass_sorted_by_position) {
  auto errors = errors_of("name: t\nsteps:\n  - name: a\n    action: nope\n  - name: b\n"
                          "    action: wait\n    duration: x\ntimeout: y\ncolour: red\n");
  ASSERT_EQ(errors.size(), 4U);
  for (std::size_t i = 1; i < errors.size(); ++i)
    EXPECT_LT(errors[i - 1].line, errors[i].line);
  EXPECT_EQ(errors[0].line, 4);
  EXPECT_EQ(errors[3].path, "colour");
  EXPECT_EQ(errors[3].to_string(),
            "rb.yaml:9:1: colour: unknown key (expected one of: name, description, category, "
            "enabled, triggers, concurrency, dedup_window, timeout, budget, on_failure, "
            "escalation, parameters, steps)");
}

TEST(runbook_loader, yaml_syntax_errors_have_a_position) {
  auto e = only_error("name: t\nsteps:\n  - name: [unclosed\n");
  EXPECT_EQ(e.file, "rb.yaml");
  EXPECT_GT(e.line, 2);
  EXPECT_TRUE(mentions(e, "invalid YAML"));
  e = only_error("name: a\nsteps: [{name: s, action: noop}]\n---\nname: b\n");
  EXPECT_TRUE(mentions(e, "one runbook per file"));
  e = only_error("");
  EXPECT_TRUE(mentions(e, "no runbook"));
}

TEST(runbook_loader, runbook_env_references_are_not_expanded) {
  auto r = load(head + "  - name: s\n    action: log\n    message: \"home is ${HOME}\"\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value().steps[0].action.message.source(), "home is ${HOME}");
}

TEST(runbook_loader, missing_file_is_reported) {
  auto r = load_runbook_file("/nonexistent/rb.yaml", "rb.yaml", configured);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.errors().front().file, "/nonexistent/rb.yaml");
}

TEST(runbook_loader, names_round_trip) {
  for (auto k : {action_kind::exec, action_kind::wait, action_kind::approval, action_kind::log,
                 action_kind::noop, action_kind::http, action_kind::pagerduty, action_kind::slack,
                 action_kind::alertmanager_silence, action_kind::prometheus_query})
    EXPECT_EQ(parse_action_kind(to_string(k)), k);
  EXPECT_TRUE(calls_integration(action_kind::slack));
  EXPECT_FALSE(calls_integration(action_kind::exec));
  EXPECT_EQ(parse_failure_strategy("escalate"), failure_strategy::escalate);
  EXPECT_FALSE(parse_failure_strategy("panic"));
  EXPECT_EQ(to_string(concurrency_policy::queue), "queue");
}

TEST(runbook_loader, sha256_matches_known_digests) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

} // namespace
} // namespace vigil::runbook
