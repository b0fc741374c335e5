// `vigil validate` as users run it: a subprocess, its exit code and what it prints.

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct result {
  int code = -1;
  std::string out;
  std::string err;
};

result vigil_validate(const temp_dir& logs, std::vector<std::string> args) {
  args.insert(args.begin(), {vigil_binary(), "validate"});
  child_process p{args, logs.file("validate")};
  auto code = p.wait(30s);
  EXPECT_TRUE(code) << "vigil validate did not finish";
  return {code.value_or(-1), p.stdout_text(), p.stderr_text()};
}

std::string shipped_runbooks() {
  return source_dir() + "/configs/runbooks";
}

std::string shipped_config() {
  return source_dir() + "/configs/vigil.yaml";
}

TEST(validate_command, shipped_runbooks_are_valid) {
  temp_dir logs;
  auto r = vigil_validate(logs, {shipped_runbooks()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "7 runbooks ok\n");
  EXPECT_NE(r.err.find("any integration name is accepted"), std::string::npos) << r.err;

  r = vigil_validate(logs, {"--config", shipped_config(), shipped_runbooks()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "7 runbooks ok\n");
  EXPECT_EQ(r.err, "");
}

TEST(validate_command, a_broken_copy_fails_naming_file_and_line) {
  temp_dir dir;
  const auto copy = dir.file("runbooks");
  fs::copy(shipped_runbooks(), copy, fs::copy_options::recursive);
  const auto broken = copy + "/remediation/high-cpu-usage.yaml";
  auto text = read_file(broken);
  const auto at = text.find("action: exec");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 12, "action: shell");
  write_file(broken, text);
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(at), '\n');
  const auto column = at - text.rfind('\n', at) + 8; // the value after "action: "

  auto r = vigil_validate(dir, {"--config", shipped_config(), copy});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  const auto expected = broken + ":" + std::to_string(line) + ":" + std::to_string(column)
                        + ": steps[1].action: unknown action \"shell\"";
  EXPECT_NE(r.err.find(expected), std::string::npos) << "expected " << expected << " in\n" << r.err;
  EXPECT_NE(r.err.find("1 error in 1 of 7 files"), std::string::npos) << r.err;
}

TEST(validate_command, unconfigured_integrations_fail_only_with_a_config) {
  temp_dir dir;
  const auto file = dir.file("notify.yaml");
  write_file(file, "name: notify\nsteps:\n  - name: tell\n    action: slack\n"
                   "    integration: chat-ops\n    params: {text: hi}\n");
  auto r = vigil_validate(dir, {"--config", shipped_config(), file});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(file + ":5:18: steps[0].integration: unknown integration \"chat-ops\""),
            std::string::npos)
    << r.err;

  r = vigil_validate(dir, {file});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "1 runbooks ok\n");
}

/// A seed of tests/fuzz/regressions/runbook, copied into `dir` under `name`.
std::string copy_seed(const temp_dir& dir, const std::string& seed) {
  auto to = dir.file(seed);
  fs::copy_file(source_dir() + "/tests/fuzz/regressions/runbook/" + seed, to);
  return to;
}

TEST(validate_command, alias_cycles_and_bombs_exit_1_naming_file_line_and_column) {
  // These killed `vigil validate` with SIGSEGV (the cycle) and std::bad_alloc (the bomb).
  temp_dir dir;
  const auto cycle = copy_seed(dir, "self-referencing-anchor--params.yaml");
  auto r = vigil_validate(dir, {cycle});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find(cycle + ":7:23: the alias *p is inside the node its anchor names (a cycle)"),
            std::string::npos)
    << r.err;

  const auto bomb = copy_seed(dir, "billion-laughs--params.yaml");
  r = vigil_validate(dir, {bomb});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find(bomb + ":"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("expands to more than 100000 nodes"), std::string::npos) << r.err;
}

TEST(validate_command, every_seed_in_a_directory_is_an_error_not_a_crash) {
  auto r = vigil_validate(temp_dir{}, {source_dir() + "/tests/fuzz/regressions/runbook"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("nul-byte--name.yaml:1:14: a NUL character (U+0000)"), std::string::npos)
    << r.err;
  EXPECT_NE(r.err.find("invalid-utf8--name.yaml:1:10: invalid UTF-8 (byte 0xC3)"),
            std::string::npos)
    << r.err;
  EXPECT_NE(r.err.find("too-many-steps.yaml:3:3: steps: too many steps: 1001"), std::string::npos)
    << r.err;
}

TEST(validate_command, a_config_with_a_nul_byte_is_not_used) {
  temp_dir dir;
  const auto config = dir.file("vigil.yaml");
  write_file(config, std::string{"runbooks:\n  repository: ./x"} + '\0' + "y\n");
  auto r = vigil_validate(dir, {"--config", config, shipped_runbooks()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("note: cannot use " + config + " (" + config + ":2:18: a NUL character"),
            std::string::npos)
    << r.err;
}

TEST(validate_command, a_missing_path_exits_2) {
  temp_dir dir;
  auto r = vigil_validate(dir, {dir.file("nothing-here")});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("nothing-here"), std::string::npos) << r.err;
}

} // namespace
} // namespace vigil::test
