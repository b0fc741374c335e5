#include <gtest/gtest.h>

#include "runtime/runbook/runbook.hpp"

namespace vigil::runbook {
namespace {

template_string parse(const std::string& text) {
  std::string error;
  auto t = template_string::parse(text, error);
  EXPECT_TRUE(t) << text << ": " << error;
  return t ? *t : template_string{};
}

std::string parse_error(const std::string& text) {
  std::string error;
  auto t = template_string::parse(text, error);
  EXPECT_FALSE(t) << text;
  return error;
}

model::event sample_event() {
  model::event e;
  e.id = "ev-1";
  e.type = model::event_type::metric;
  e.status = model::event_status::resolved;
  e.severity = "warning";
  e.source = "prometheus";
  e.metric_name = "cpu_usage_percent";
  e.value = 95;
  e.labels = model::label_set{{{"instance", "web-1"}, {"alertname", "HighCpu"}}};
  e.annotations = model::label_set{{{"summary", "CPU is high"}}};
  e.fingerprint = model::fingerprint_of(e.labels);
  return e;
}

TEST(runbook_template, splits_literals_and_placeholders) {
  auto t = parse("host {{labels.instance}} is {{   annotations.summary   }}!");
  ASSERT_EQ(t.segments().size(), 5U);
  EXPECT_FALSE(t.segments()[0].placeholder);
  EXPECT_EQ(t.segments()[0].text, "host ");
  EXPECT_TRUE(t.segments()[1].placeholder);
  EXPECT_EQ(t.segments()[1].text, "labels.instance");
  EXPECT_EQ(t.segments()[3].text, "annotations.summary");
  EXPECT_EQ(t.segments()[4].text, "!");
  EXPECT_FALSE(t.is_literal());
  EXPECT_EQ(t.source(), "host {{labels.instance}} is {{   annotations.summary   }}!");
  EXPECT_TRUE(parse("no placeholders } { here").is_literal());
  EXPECT_TRUE(template_string::literal("{{ not parsed }}").is_literal());
}

TEST(runbook_template, renders_every_variable) {
  const auto e = sample_event();
  const std::map<std::string, std::string> params{{"service", "nginx"}};
  const std::map<std::string, step_view> steps{{"check", {"all good\n", "succeeded"}},
                                               {"Check system", {"spaced", "failed"}}};
  const render_context ctx{&e, &params, &steps, "wf-0000000000000001"};
  const std::vector<std::pair<std::string, std::string>> cases{
    {"{{ labels.instance }}", "web-1"},
    {"{{ annotations.summary }}", "CPU is high"},
    {"{{ event.id }}", "ev-1"},
    {"{{ event.severity }}", "warning"},
    {"{{ event.source }}", "prometheus"},
    {"{{ event.type }}", "metric"},
    {"{{ event.status }}", "resolved"},
    {"{{ event.fingerprint }}", model::fingerprint_hex(e.fingerprint)},
    {"{{ fingerprint }}", model::fingerprint_hex(e.fingerprint)},
    {"{{ event.metric_name }}", "cpu_usage_percent"},
    {"{{ event.value }}", "95"},
    {"{{ params.service }}", "nginx"},
    {"{{ steps.check.output }}", "all good\n"},
    {"{{ steps.check.status }}", "succeeded"},
    {"{{ steps.Check system.status }}", "failed"},
    {"{{ workflow.id }}", "wf-0000000000000001"},
    {"{{labels.instance}}:{{labels.alertname}}", "web-1:HighCpu"},
  };
  for (const auto& [source, expected] : cases)
    EXPECT_EQ(parse(source).render(ctx), expected) << source;
}

TEST(runbook_template, fractional_values_render_exactly) {
  auto e = sample_event();
  e.value = 0.25;
  EXPECT_EQ(parse("{{ event.value }}").render(render_context{&e}), "0.25");
  e.value.reset();
  EXPECT_EQ(parse("[{{ event.value }}]").render(render_context{&e}), "[]");
}

TEST(runbook_template, missing_values_render_empty) {
  const auto e = sample_event();
  EXPECT_EQ(parse("<{{ labels.service }}>").render(render_context{&e}), "<>");
  EXPECT_EQ(parse("<{{ params.service }}>").render(render_context{&e}), "<>");
  EXPECT_EQ(parse("<{{ steps.x.output }}>").render(render_context{&e}), "<>");
  EXPECT_EQ(parse("<{{ labels.instance }}|{{ workflow.id }}>").render(render_context{}), "<|>");
}

TEST(runbook_template, values_are_data_never_reparsed) {
  auto e = sample_event();
  e.labels = model::label_set{{{"service", "x; touch /tmp/pwned"},
                               {"nested", "{{ labels.service }}"},
                               {"quote", "a\" && rm -rf / \"$(id)`id`"}}};
  EXPECT_EQ(parse("{{ labels.service }}").render(render_context{&e}), "x; touch /tmp/pwned");
  EXPECT_EQ(parse("{{ labels.nested }}").render(render_context{&e}), "{{ labels.service }}");
  EXPECT_EQ(parse("{{ labels.quote }}").render(render_context{&e}), "a\" && rm -rf / \"$(id)`id`");

  // Through a loaded exec step: each template is one argv element, rendered as it came.
  auto r = load_runbook_text("name: t\nsteps:\n  - name: s\n    action: exec\n"
                             "    command: \"systemctl status {{ labels.service }}\"\n",
                             "t.yaml", "t.yaml", {});
  ASSERT_TRUE(r) << r.errors().front().to_string();
  std::vector<std::string> argv;
  for (const auto& arg : r.value().steps[0].action.command)
    argv.push_back(arg.render(render_context{&e}));
  EXPECT_EQ(argv, (std::vector<std::string>{"systemctl", "status", "x; touch /tmp/pwned"}));
}

TEST(runbook_template, syntax_errors_are_explained) {
  EXPECT_NE(parse_error("a {{ labels.x").find("unclosed {{"), std::string::npos);
  EXPECT_NE(parse_error("{{ label.x }}").find("unknown template variable"), std::string::npos);
  EXPECT_NE(parse_error("{{ annotations }}").find("needs a key"), std::string::npos);
  EXPECT_NE(parse_error("{{ event }}").find("unknown event field"), std::string::npos);
  EXPECT_NE(parse_error("{{ steps.x }}").find("steps.STEP.output"), std::string::npos);
  EXPECT_NE(parse_error("{{}}").find("empty placeholder"), std::string::npos);
  EXPECT_NE(parse_error("{{ labels.a b }}").find("invalid key"), std::string::npos);
}

} // namespace
} // namespace vigil::runbook
