// `vigil run`: a dry run renders every step and runs nothing; a local run runs for real.

#include <filesystem>
#include <gtest/gtest.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil {
namespace {

using namespace std::chrono_literals;

std::string runbook_writing(const std::string& file) {
  return R"(name: writer
parameters: {service: none}
steps:
  - name: write
    action: exec
    command: ["sh", "-c", "printf '%s %s\n' \"$1\" \"$2\" >> )"
         + file + R"(", "sh", "{{ params.service }}", "{{ labels.instance }}"]
  - name: say
    action: log
    message: "wrote {{ params.service }}"
)";
}

TEST(run_command, dry_run_renders_every_step_and_runs_nothing) {
  test::temp_dir dir;
  const auto out = dir.file("out");
  test::write_file(dir.file("writer.yaml"), runbook_writing(out));
  test::child_process p{{test::vigil_binary(), "run", dir.file("writer.yaml"), "--param",
                         "service=nginx; rm -rf /", "--label", "instance=web-1", "--dry-run"},
                        dir.file("p")};
  ASSERT_EQ(p.wait(20s), 0) << p.stderr_text();
  const auto text = p.stdout_text();
  EXPECT_NE(text.find(R"(1. write: exec "sh" "-c")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("nginx; rm -rf /" "web-1")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(2. say: log "wrote nginx; rm -rf /")"), std::string::npos) << text;
  EXPECT_FALSE(std::filesystem::exists(out)) << "a dry run ran something";

  test::child_process json{
    {test::vigil_binary(), "run", dir.file("writer.yaml"), "--dry-run", "--json"}, dir.file("j")};
  ASSERT_EQ(json.wait(20s), 0);
  EXPECT_NE(json.stdout_text().find(R"("dry_run":true,"runbook":"writer")"), std::string::npos);
  EXPECT_NE(json.stdout_text().find(R"("parameters":{"service":"none"})"), std::string::npos);
}

TEST(run_command, local_run_runs_each_step_and_prints_its_result) {
  test::temp_dir dir;
  const auto out = dir.file("out");
  test::write_file(dir.file("writer.yaml"), runbook_writing(out));
  test::child_process p{{test::vigil_binary(), "run", dir.file("writer.yaml"), "-p", "service=api",
                         "-l", "instance=db-2"},
                        dir.file("p")};
  ASSERT_EQ(p.wait(30s), 0) << p.stderr_text() << p.stdout_text();
  EXPECT_EQ(test::read_file(out), "api db-2\n");
  const auto text = p.stdout_text();
  EXPECT_NE(text.find(": completed"), std::string::npos) << text;
  EXPECT_NE(text.find("  say: succeeded\n    | wrote api"), std::string::npos) << text;
}

TEST(run_command, failing_run_exits_1_and_bad_input_exits_2) {
  test::temp_dir dir;
  test::write_file(dir.file("fails.yaml"),
                   "name: fails\nsteps:\n  - {name: no, action: exec, command: [\"false\"]}\n");
  test::child_process failing{{test::vigil_binary(), "run", dir.file("fails.yaml")}, dir.file("f")};
  EXPECT_EQ(failing.wait(30s), 1);
  EXPECT_NE(failing.stdout_text().find("no: failed (exit code 1)"), std::string::npos)
    << failing.stdout_text();

  test::write_file(dir.file("broken.yaml"), "name: broken\nsteps:\n  - {name: x, action: shell}\n");
  test::child_process broken{{test::vigil_binary(), "run", dir.file("broken.yaml"), "--dry-run"},
                             dir.file("b")};
  EXPECT_EQ(broken.wait(20s), 2);
  EXPECT_NE(broken.stderr_text().find("broken.yaml:3:"), std::string::npos) << broken.stderr_text();

  test::child_process bad_param{
    {test::vigil_binary(), "run", dir.file("fails.yaml"), "--param", "novalue", "--dry-run"},
    dir.file("bp")};
  EXPECT_EQ(bad_param.wait(20s), 2);
}

} // namespace
} // namespace vigil
