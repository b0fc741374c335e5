#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "runtime/model/config.hpp"
#include "runtime/runbook/matcher.hpp"
#include "runtime/runbook/runbook.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::runbook {
namespace {

const integration_names configured{"prometheus", "alertmanager", "pagerduty"};

void put(const test::temp_dir& dir, const std::string& rel, const std::string& text) {
  const auto path = dir.file(rel);
  std::filesystem::create_directories(std::filesystem::path{path}.parent_path());
  test::write_file(path, text);
}

std::string simple(const std::string& name) {
  return "name: " + name + "\nsteps:\n  - name: s\n    action: noop\n";
}

TEST(runbook_repository, loads_every_yaml_file_recursively_in_path_order) {
  test::temp_dir dir;
  put(dir, "b.yaml", simple("b"));
  put(dir, "a/z.yml", simple("z"));
  put(dir, "a/deeper/c.yaml", simple("c"));
  put(dir, "notes.txt", "not a runbook");
  put(dir, ".github/workflows/ci.yml", "on: push\n");
  auto report = load_repository(dir.path(), configured);
  EXPECT_TRUE(report.errors.empty()) << report.errors.front().to_string();
  EXPECT_EQ(report.files, 3U);
  ASSERT_EQ(report.runbooks.size(), 3U);
  EXPECT_EQ(report.runbooks[0]->path, "a/deeper/c.yaml");
  EXPECT_EQ(report.runbooks[1]->path, "a/z.yml");
  EXPECT_EQ(report.runbooks[2]->path, "b.yaml");
  EXPECT_EQ(report.runbooks[2]->name, "b");
  EXPECT_EQ(report.runbooks[2]->sha256, sha256_hex(simple("b")));
}

TEST(runbook_repository, a_broken_file_is_reported_and_the_others_load) {
  test::temp_dir dir;
  put(dir, "good-1.yaml", simple("one"));
  put(dir, "remediation/broken.yaml",
      "name: broken\nsteps:\n  - name: s\n    action: exec\n    command: [ls]\n"
      "    duration: 5m\n");
  put(dir, "zz-good-2.yaml", simple("two"));
  auto report = load_repository(dir.path(), configured);
  EXPECT_EQ(report.files, 3U);
  ASSERT_EQ(report.runbooks.size(), 2U);
  EXPECT_EQ(report.runbooks[0]->name, "one");
  EXPECT_EQ(report.runbooks[1]->name, "two");
  ASSERT_EQ(report.errors.size(), 1U);
  const auto& e = report.errors.front();
  EXPECT_EQ(e.file, dir.path() + "/remediation/broken.yaml");
  EXPECT_EQ(e.line, 6);
  EXPECT_EQ(e.path, "steps[0].duration");
  EXPECT_EQ(e.to_string().rfind(dir.path() + "/remediation/broken.yaml:6:5: ", 0), 0U)
    << e.to_string();
}

TEST(runbook_repository, a_duplicate_name_is_an_error_on_the_second_file) {
  test::temp_dir dir;
  put(dir, "a.yaml", simple("same"));
  put(dir, "b.yaml", "# comment\n" + simple("same"));
  auto report = load_repository(dir.path(), configured);
  ASSERT_EQ(report.runbooks.size(), 1U);
  EXPECT_EQ(report.runbooks[0]->path, "a.yaml");
  ASSERT_EQ(report.errors.size(), 1U);
  EXPECT_EQ(report.errors[0].file, dir.path() + "/b.yaml");
  EXPECT_EQ(report.errors[0].line, 2);
  EXPECT_EQ(report.errors[0].path, "name");
  EXPECT_NE(report.errors[0].message.find("a.yaml"), std::string::npos);
}

TEST(runbook_repository, a_missing_folder_is_an_error) {
  auto report = load_repository("/nonexistent/runbooks", configured);
  EXPECT_TRUE(report.runbooks.empty());
  ASSERT_EQ(report.errors.size(), 1U);
  EXPECT_EQ(report.errors[0].file, "/nonexistent/runbooks");
}

/// The integrations the shipped config names.
integration_names shipped_integrations() {
  auto cfg = model::load_config_file(test::source_dir() + "/configs/vigil.yaml");
  EXPECT_TRUE(cfg);
  integration_names names;
  if (cfg)
    for (const auto& i : cfg.value().integrations)
      names.push_back(i.name);
  return names;
}

TEST(runbook_repository, shipped_runbooks_validate_against_the_shipped_config) {
  const auto names = shipped_integrations();
  ASSERT_EQ(names.size(), 4U);
  auto report = load_repository(test::source_dir() + "/configs/runbooks", names);
  for (const auto& e : report.errors)
    ADD_FAILURE() << e.to_string();
  std::vector<std::string> paths;
  for (const auto& r : report.runbooks)
    paths.push_back(r->path);
  EXPECT_EQ(paths, (std::vector<std::string>{
                     "remediation/custom-fix.yaml", "remediation/high-cpu-usage.yaml",
                     "remediation/high-memory-usage.yaml", "remediation/restart-service.yaml",
                     "test.yaml", "test/fire-drill.yaml", "test/noop.yaml"}));
}

TEST(runbook_repository, shipped_runbooks_match_the_operations_runbook_events) {
  auto report = load_repository(test::source_dir() + "/configs/runbooks", shipped_integrations());
  ASSERT_TRUE(report.errors.empty());
  matcher m{report.runbooks};
  // The operations runbook's test events ("Inject Test Event").
  model::event memory;
  memory.type = model::event_type::alert;
  memory.severity = "warning";
  memory.labels = model::label_set{
    {{"alertname", "HighMemoryUsage"}, {"instance", "server-01"}, {"severity", "warning"}}};
  model::event cpu;
  cpu.type = model::event_type::metric;
  cpu.metric_name = "cpu_usage_percent";
  cpu.value = 95;
  cpu.labels = model::label_set{{{"instance", "server-01"}}};
  model::event custom;
  custom.type = model::event_type::alert;
  custom.labels = model::label_set{{{"alertname", "CustomAlert"}}};
  for (const auto& [event, expected] : std::vector<std::pair<model::event, std::string>>{
         {memory, "high-memory-usage"}, {cpu, "high-cpu-usage"}, {custom, "Custom Fix"}}) {
    std::vector<const runbook*> out;
    m.match(event, out);
    ASSERT_EQ(out.size(), 1U) << expected;
    EXPECT_EQ(out[0]->name, expected);
  }
  cpu.value = 50;
  std::vector<const runbook*> out;
  m.match(cpu, out);
  EXPECT_TRUE(out.empty());
  auto restart = m.find("remediation/restart-service.yaml");
  ASSERT_NE(restart, nullptr);
  EXPECT_EQ(restart->parameters.count("service"), 1U);
  EXPECT_EQ(m.find("test/noop.yaml")->steps.front().action.kind, action_kind::noop);
}

TEST(runbook_repository, docs_show_the_shipped_runbooks_as_they_are) {
  // docs/runbooks.md quotes each example after a `<!-- example: PATH` marker; the quote must
  // be the file, and every shipped runbook must be quoted.
  const auto docs = test::read_file(test::source_dir() + "/docs/runbooks.md");
  ASSERT_FALSE(docs.empty());
  const std::string marker = "<!-- example: ";
  std::vector<std::string> quoted;
  for (auto at = docs.find(marker); at != std::string::npos; at = docs.find(marker, at + 1)) {
    const auto path_begin = at + marker.size();
    const auto path = docs.substr(path_begin, docs.find(' ', path_begin) - path_begin);
    const auto block = docs.find("```yaml\n", path_begin);
    ASSERT_NE(block, std::string::npos) << path;
    const auto body_begin = block + 8;
    const auto body_end = docs.find("```", body_begin);
    EXPECT_EQ(docs.substr(body_begin, body_end - body_begin),
              test::read_file(test::source_dir() + "/" + path))
      << path << " in docs/runbooks.md differs from the file";
    quoted.push_back(path);
  }
  std::sort(quoted.begin(), quoted.end());
  EXPECT_EQ(quoted, (std::vector<std::string>{"configs/runbooks/remediation/custom-fix.yaml",
                                              "configs/runbooks/remediation/high-cpu-usage.yaml",
                                              "configs/runbooks/remediation/high-memory-usage.yaml",
                                              "configs/runbooks/remediation/restart-service.yaml",
                                              "configs/runbooks/test.yaml",
                                              "configs/runbooks/test/fire-drill.yaml",
                                              "configs/runbooks/test/noop.yaml"}));
}

} // namespace
} // namespace vigil::runbook
