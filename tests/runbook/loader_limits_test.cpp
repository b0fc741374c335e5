// Hostile runbook YAML (issue 12's adversarial run): self-referencing anchors, alias bombs,
// huge step lists, invalid UTF-8 and NUL bytes are refused with file:line:column, quickly, and
// never crash. The ctest TIMEOUT of this suite is the bound on "quickly".

#include <filesystem>
#include <gtest/gtest.h>

#include "runtime/runbook/runbook.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::runbook {
namespace {

namespace fs = std::filesystem;

const integration_names configured{"healthcheck"};

model::expected_or_diagnostics<runbook> load(const std::string& text) {
  return load_runbook_text(text, "rb.yaml", "rb.yaml", configured);
}

/// The only diagnostic of a text that must not load.
model::diagnostic only_error(const std::string& text) {
  auto r = load(text);
  EXPECT_FALSE(r) << "expected an error in:\n" << text.substr(0, 400);
  if (r)
    return {};
  EXPECT_EQ(r.errors().size(), 1U);
  for (std::size_t i = 1; i < r.errors().size(); ++i)
    ADD_FAILURE() << "unexpected: " << r.errors()[i].to_string();
  return r.errors().front();
}

bool mentions(const model::diagnostic& d, const std::string& text) {
  return d.message.find(text) != std::string::npos;
}

const std::string head = "name: t\nsteps:\n  - name: call\n    action: http\n"
                         "    integration: healthcheck\n"; // params: on line 6

/// Ten levels of nine aliases (9^10 leaves) in a step's params: under 1 KB of text.
std::string billion_laughs() {
  std::string out =
    head + "    params:\n      l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 10; ++i) {
    out += "      l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 9; ++k)
      out += (k ? ", *l" : "*l") + std::to_string(i - 1);
    out += "]\n";
  }
  return out;
}

/// `n` noop steps, one per line.
std::string noop_steps(std::size_t n) {
  std::string out = "name: many\nsteps:\n";
  for (std::size_t i = 0; i < n; ++i)
    out += "  - {name: s" + std::to_string(i) + ", action: noop}\n";
  return out;
}

// -- aliases ---------------------------------------------------------------------------------

TEST(runbook_limits, a_self_referencing_anchor_in_params_is_a_cycle_at_the_alias) {
  const auto e = only_error(head + "    params: &p {body: *p}\n");
  EXPECT_EQ(e.file, "rb.yaml");
  EXPECT_EQ(e.line, 6);
  EXPECT_EQ(e.column, 23); // the *p
  EXPECT_TRUE(mentions(e, "*p")) << e.to_string();
  EXPECT_TRUE(mentions(e, "cycle")) << e.to_string();
}

TEST(runbook_limits, cycles_through_nesting_sequences_and_rollbacks_are_refused) {
  for (const std::string& text :
       {head + "    params:\n      outer: &a\n        inner: {again: *a}\n",
        head + "    params: {list: &l [1, *l]}\n",
        std::string{"name: t\nsteps:\n  - name: a\n    action: log\n    message: hi\n"
                    "    rollback: {action: http, integration: healthcheck, params: &r [*r]}\n"},
        std::string{"name: t\nsteps: &s\n  - {name: a, action: noop}\n  - *s\n"}}) {
    const auto e = only_error(text);
    EXPECT_TRUE(mentions(e, "cycle")) << e.to_string();
    EXPECT_GT(e.line, 0) << e.to_string();
  }
}

TEST(runbook_limits, billion_laughs_in_params_is_refused_without_expanding) {
  const auto text = billion_laughs();
  ASSERT_LT(text.size(), 1024U);
  const auto e = only_error(text);
  EXPECT_TRUE(mentions(e, "expands to more than 100000 nodes")) << e.to_string();
  EXPECT_GE(e.line, 6) << e.to_string();
}

TEST(runbook_limits, aliases_within_the_budget_still_load) {
  auto r = load(head
                + "    params: &shared {url: http://x/, headers: {a: b}}\n"
                  "    retry: &retry {attempts: 3, initial: 1s}\n"
                  "  - {name: again, action: http, integration: healthcheck, params: *shared, "
                  "retry: *retry}\n");
  ASSERT_TRUE(r) << r.errors().front().to_string();
  ASSERT_EQ(r.value().steps.size(), 2U);
  EXPECT_EQ(r.value().steps[1].retry.attempts, 3U);
  EXPECT_EQ(r.value().steps[1].action.params.fields.size(), 2U);
}

// -- size ------------------------------------------------------------------------------------

TEST(runbook_limits, a_thousand_steps_load_and_one_more_is_refused) {
  // Each step reads the one before it: the lookups that used to scan every step.
  std::string text = "name: chain\nsteps:\n  - {name: s0, action: noop}\n";
  for (int i = 1; i < 1000; ++i)
    text += "  - {name: s" + std::to_string(i) + ", action: log, message: \"{{ steps.s"
            + std::to_string(i - 1) + ".output }}\"}\n";
  auto r = load(text);
  ASSERT_TRUE(r) << r.errors().front().to_string();
  EXPECT_EQ(r.value().steps.size(), 1000U);

  const auto e = only_error(noop_steps(1001));
  EXPECT_EQ(e.path, "steps");
  EXPECT_EQ(e.line, 3);
  EXPECT_TRUE(mentions(e, "too many steps: 1001 (a runbook may have at most 1000)"))
    << e.to_string();
}

TEST(runbook_limits, huge_step_lists_fail_fast) {
  // The adversarial run's 100,000 noop steps (3 MB) took 31 s to validate.
  const auto huge = noop_steps(100'000);
  ASSERT_GT(huge.size(), 3'000'000U);
  auto e = only_error(huge);
  EXPECT_TRUE(mentions(e, "too large: " + std::to_string(huge.size()) + " bytes (at most 1048576"))
    << e.to_string();
  // Under 1 MiB of text but far more steps than allowed.
  e = only_error(noop_steps(15'000));
  EXPECT_TRUE(mentions(e, "too many steps: 15000")) << e.to_string();
}

TEST(runbook_limits, a_file_over_1_mib_is_refused_unread) {
  test::temp_dir dir;
  test::write_file(dir.file("big.yaml"), noop_steps(5) + "# " + std::string(2 << 20, 'x') + "\n");
  auto r = load_runbook_file(dir.file("big.yaml"), "big.yaml", configured);
  ASSERT_FALSE(r);
  ASSERT_EQ(r.errors().size(), 1U);
  EXPECT_EQ(r.errors()[0].file, dir.file("big.yaml"));
  EXPECT_TRUE(mentions(r.errors()[0], "too large: more than 1048576 bytes"))
    << r.errors()[0].to_string();
}

// -- characters ------------------------------------------------------------------------------

TEST(runbook_limits, a_nul_byte_is_refused_at_its_position) {
  const auto e =
    only_error(std::string{"name: t\nsteps:\n  - {name: ab"} + '\0' + "c, action: noop}\n");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.column, 14);
  EXPECT_TRUE(mentions(e, "NUL")) << e.to_string();
}

TEST(runbook_limits, a_nul_escape_in_a_command_argument_is_refused) {
  const auto e = only_error("name: t\nsteps:\n  - name: s\n    action: exec\n"
                            "    command: [\"rm\", \"x\\0 -rf /\"]\n");
  EXPECT_EQ(e.line, 5);
  EXPECT_EQ(e.column, 21); // the quoted scalar
  EXPECT_TRUE(mentions(e, "NUL")) << e.to_string();
}

TEST(runbook_limits, invalid_utf8_and_control_characters_are_refused_at_their_position) {
  struct sample {
    std::string text;
    int column;
    std::string says;
  };
  for (const auto& s :
       std::vector<sample>{{"name: caf\xc3\x28\n", 10, "invalid UTF-8 (byte 0xC3)"},
                           {"name: x\xc0\xaf\n", 8, "invalid UTF-8 (byte 0xC0)"}, // overlong '/'
                           {"name: x\xed\xa0\x80\n", 8, "invalid UTF-8 (byte 0xED)"}, // a surrogate
                           {"name: caf\xe9\n", 10, "invalid UTF-8 (byte 0xE9)"},      // Latin-1
                           {"name: a\x01z\n", 8, "control character U+0001"},
                           {"name: a\x7fz\n", 8, "control character U+007F"},
                           {"name: a\xc2\x9bz\n", 8, "control character U+009B"}}) {
    const auto e =
      only_error("description: fine\n" + s.text + "steps: [{name: s, action: noop}]\n");
    EXPECT_EQ(e.line, 2) << e.to_string();
    EXPECT_EQ(e.column, s.column) << e.to_string();
    EXPECT_TRUE(mentions(e, s.says)) << e.to_string();
  }
}

TEST(runbook_limits, utf8_text_and_a_bom_still_load) {
  auto r = load("\xef\xbb\xbfname: caf\xc3\xa9\ndescription: \"\xf0\x9f\x94\xa5 tab\\there\"\n"
                "steps: [{name: s, action: noop}]\n");
  ASSERT_TRUE(r) << r.errors().front().to_string();
  EXPECT_EQ(r.value().name, "caf\xc3\xa9");
}

// -- the seeds -------------------------------------------------------------------------------

TEST(runbook_limits, every_regression_seed_is_refused_cleanly) {
  const fs::path dir = fs::path{test::source_dir()} / "tests/fuzz/regressions/runbook";
  std::size_t seeds = 0;
  for (const auto& entry : fs::directory_iterator{dir}) {
    if (entry.path().extension() != ".yaml")
      continue;
    ++seeds;
    const auto file = entry.path().string();
    auto r = load_runbook_file(file, entry.path().filename().string(), configured);
    ASSERT_FALSE(r) << file << " loaded";
    for (const auto& e : r.errors()) {
      EXPECT_EQ(e.file, file);
      EXPECT_GT(e.line, 0) << e.to_string();
      EXPECT_FALSE(e.message.empty());
    }
  }
  EXPECT_GE(seeds, 20U);
  // The directory loader (start-up, reload, `vigil validate DIR`) refuses every one too.
  auto report = load_repository(dir.string(), configured);
  EXPECT_TRUE(report.runbooks.empty());
  EXPECT_GE(report.errors.size(), seeds);
}

} // namespace
} // namespace vigil::runbook
