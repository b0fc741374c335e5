// The checks every YAML text goes through before a tree is built (runtime/model/yaml_limits).
// The loaders that use them are tested in config_test.cpp and tests/runbook/.

#include "runtime/model/yaml_limits.hpp"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace vigil::model {
namespace {

/// The one diagnostic `check_yaml_text` gives for `text`.
diagnostic refusal(const std::string& text, const yaml_limits& limits = {}) {
  auto ds = check_yaml_text(text, "in.yaml", limits);
  EXPECT_EQ(ds.size(), 1U) << "expected one problem in:\n" << text.substr(0, 300);
  return ds.empty() ? diagnostic{} : ds.front();
}

bool mentions(const diagnostic& d, const std::string& text) {
  return d.message.find(text) != std::string::npos;
}

// -- check_yaml_text -------------------------------------------------------------------------

TEST(yaml_limits, ordinary_yaml_passes) {
  EXPECT_TRUE(check_yaml_text("", "in.yaml").empty());
  EXPECT_TRUE(
    check_yaml_text("a: &x [1, 2]\nb: *x\nc: *x\n---\nd: caf\xc3\xa9\n", "in.yaml").empty());
  EXPECT_TRUE(check_yaml_text("\xef\xbb\xbf"
                              "a: \"tab\\there \\e[1m\"\r\n",
                              "in.yaml")
                .empty());
}

TEST(yaml_limits, aliases_are_counted_as_the_nodes_they_stand_for) {
  // The map, three keys, and the list of four nodes three times: 16 nodes.
  const std::string text = "a: &x [x, y, z]\nb: *x\nc: *x\n";
  EXPECT_TRUE(check_yaml_text(text, "in.yaml", {max_yaml_bytes, 16}).empty());
  const auto e = refusal(text, {max_yaml_bytes, 15});
  EXPECT_TRUE(mentions(e, "expands to more than 15 nodes")) << e.to_string();
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.column, 4);
}

TEST(yaml_limits, an_alias_inside_its_own_anchor_is_a_cycle) {
  auto e = refusal("x: &p {body: *p}\n");
  EXPECT_EQ(e.file, "in.yaml");
  EXPECT_EQ(e.line, 1);
  EXPECT_EQ(e.column, 14);
  EXPECT_TRUE(mentions(e, "the alias *p is inside the node its anchor names (a cycle)"))
    << e.to_string();
  e = refusal("a: &a\n  - &b [*a]\n");
  EXPECT_TRUE(mentions(e, "*a")) << e.to_string();
  // A name used again names the new anchor from where it is written, as yaml-cpp builds it:
  // inside its own node that is a cycle, after it a complete node.
  e = refusal("a: &a [1]\nb: &a [*a]\n");
  EXPECT_EQ(e.line, 2);
  EXPECT_TRUE(mentions(e, "cycle")) << e.to_string();
  EXPECT_TRUE(check_yaml_text("a: &a [1]\nb: &a [2]\nc: *a\n", "in.yaml").empty());
}

TEST(yaml_limits, nul_and_invalid_utf8_have_a_position) {
  auto e = refusal(std::string{"a: 1\nbb: x"} + '\0' + "y\n");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.column, 6);
  EXPECT_TRUE(mentions(e, "a NUL character (U+0000) is not allowed in YAML")) << e.to_string();
  e = refusal("a: \"x\\0y\"\n");
  EXPECT_EQ(e.line, 1);
  EXPECT_EQ(e.column, 4);
  EXPECT_TRUE(mentions(e, "NUL")) << e.to_string();
  e = refusal("a: 1\n\n  b: \xff\n");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.column, 6);
  EXPECT_TRUE(mentions(e, "invalid UTF-8 (byte 0xFF); YAML files must be UTF-8")) << e.to_string();
  e = refusal("a: \xf4\x90\x80\x80\n"); // past U+10FFFF
  EXPECT_TRUE(mentions(e, "invalid UTF-8")) << e.to_string();
  e = refusal("a: \xe2\x82"); // truncated at the end
  EXPECT_TRUE(mentions(e, "invalid UTF-8")) << e.to_string();
}

TEST(yaml_limits, size_is_bounded) {
  const std::string text = "a: " + std::string(100, 'x') + "\n";
  EXPECT_TRUE(check_yaml_text(text, "in.yaml", {text.size(), max_yaml_nodes}).empty());
  const auto e = refusal(text, {text.size() - 1, max_yaml_nodes});
  EXPECT_TRUE(mentions(e, "too large: 104 bytes (at most 103 bytes of YAML are read)"))
    << e.to_string();
}

TEST(yaml_limits, syntax_errors_and_deep_nesting_are_errors) {
  auto e = refusal("a: [1, 2\n");
  EXPECT_TRUE(mentions(e, "invalid YAML")) << e.to_string();
  EXPECT_GT(e.line, 0);
  e = refusal("a: *nowhere\n");
  EXPECT_TRUE(mentions(e, "invalid YAML")) << e.to_string();
  e = refusal("a: " + std::string(5000, '[') + std::string(5000, ']') + "\n");
  EXPECT_EQ(e.line, 1);
  EXPECT_EQ(e.column, 103); // the 100th list: the root map and 99 lists are 100 levels
  EXPECT_TRUE(mentions(e, "lists and maps are nested deeper than 100 levels")) << e.to_string();
  const std::string deep = "a: " + std::string(99, '[') + std::string(99, ']') + "\n";
  EXPECT_TRUE(check_yaml_text(deep, "in.yaml").empty());
}

TEST(yaml_limits, read_yaml_file_stops_past_the_limit) {
  test::temp_dir dir;
  test::write_file(dir.file("ok.yaml"), "a: 1\n");
  auto ok = read_yaml_file(dir.file("ok.yaml"), 5);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok.value(), "a: 1\n");
  auto big = read_yaml_file(dir.file("ok.yaml"), 4);
  ASSERT_FALSE(big);
  EXPECT_TRUE(mentions(big.errors()[0], "too large: more than 4 bytes"));
  auto missing = read_yaml_file(dir.file("missing.yaml"));
  ASSERT_FALSE(missing);
  EXPECT_TRUE(mentions(missing.errors()[0], "cannot read the file"));
}

} // namespace
} // namespace vigil::model
