#include "runtime/model/config.hpp"

#include <filesystem>
#include <gtest/gtest.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::model {
namespace {

using namespace std::chrono_literals;

std::optional<std::string> fake_env(const std::string& name) {
  if (name == "VIGIL_TEST_TOKEN")
    return std::string{"0123456789abcdef0123"};
  if (name == "EMPTY")
    return std::string{};
  return std::nullopt;
}

expected_or_diagnostics<config> load(const std::string& text) {
  return load_config_text(text, "test.yaml", &fake_env);
}

TEST(config, shipped_default_is_valid) {
  auto cfg = load_config_file(test::source_dir() + "/configs/vigil.yaml", &fake_env);
  ASSERT_TRUE(cfg) << cfg.errors().front().to_string();
  const auto& c = cfg.value();
  EXPECT_EQ(c.server.listen.host, "127.0.0.1");
  EXPECT_EQ(c.server.listen.port, 9000);
  EXPECT_EQ(c.storage.path, "./data");
  EXPECT_EQ(c.storage.sync, sync_policy::batch);
  EXPECT_EQ(c.engine.event_processing.queue_size, 10000U);
  EXPECT_EQ(c.engine.workflow_execution.timeout, 600s);
  EXPECT_EQ(c.runbooks.repository, "./configs/runbooks");
  ASSERT_EQ(c.integrations.size(), 4U);
}

TEST(config, empty_file_gives_defaults) {
  auto cfg = load("");
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg.value().server.listen.port, 9000);
}

TEST(config, unknown_key_is_named_with_its_line) {
  auto cfg = load("server:\n  listen: 127.0.0.1:9000\n  io_threds: 2\n");
  ASSERT_FALSE(cfg);
  ASSERT_EQ(cfg.errors().size(), 1U);
  const auto& e = cfg.errors().front();
  EXPECT_EQ(e.path, "server.io_threds");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.column, 3);
  EXPECT_NE(e.message.find("unknown key"), std::string::npos);
  EXPECT_EQ(e.to_string().rfind("test.yaml:3:3: server.io_threds: unknown key", 0), 0U);
}

TEST(config, wrong_type_is_named_with_its_line) {
  auto cfg = load("engine:\n  event_processing:\n    workers: four\n");
  ASSERT_FALSE(cfg);
  const auto& e = cfg.errors().front();
  EXPECT_EQ(e.path, "engine.event_processing.workers");
  EXPECT_EQ(e.line, 3);
  EXPECT_NE(e.message.find("whole number"), std::string::npos);
}

TEST(config, out_of_range_value_is_reported) {
  auto cfg = load("engine:\n  event_processing:\n    workers: 0\nserver:\n  io_threads: 1000\n");
  ASSERT_FALSE(cfg);
  ASSERT_EQ(cfg.errors().size(), 2U);
  EXPECT_EQ(cfg.errors()[0].path, "engine.event_processing.workers");
  EXPECT_EQ(cfg.errors()[1].path, "server.io_threads");
  EXPECT_EQ(cfg.errors()[1].line, 5);
}

TEST(config, missing_env_var_is_named) {
  auto cfg = load("auth:\n  tokens:\n    - name: ops\n      token: \"${NOT_SET_ANYWHERE}\"\n      "
                  "scopes: [admin]\n");
  ASSERT_FALSE(cfg);
  const auto& e = cfg.errors().front();
  EXPECT_EQ(e.path, "auth.tokens[0].token");
  EXPECT_EQ(e.line, 4);
  EXPECT_NE(e.message.find("NOT_SET_ANYWHERE"), std::string::npos);
}

TEST(config, env_vars_expand_with_defaults) {
  auto cfg =
    load("auth:\n  tokens:\n    - {name: ops, token: \"${VIGIL_TEST_TOKEN}\", scopes: [read]}\n"
         "storage:\n  path: \"${DATA_DIR:-/var/lib/vigil}\"\n"
         "integrations:\n  pagerduty: {routing_key: \"${EMPTY:-none}\"}\n");
  ASSERT_TRUE(cfg) << cfg.errors().front().to_string();
  EXPECT_EQ(cfg.value().auth.tokens.at(0).token, "0123456789abcdef0123");
  EXPECT_EQ(cfg.value().storage.path, "/var/lib/vigil");
  EXPECT_EQ(cfg.value().integrations.at(0).routing_key, "none");
  EXPECT_EQ(cfg.value().integrations.at(0).type, "pagerduty");
}

TEST(config, storage_memory_bounds_are_read_and_checked) {
  auto cfg = load("storage: {cache_bytes: 268435456, memtable_bytes: 33554432}\n");
  ASSERT_TRUE(cfg) << cfg.errors().front().to_string();
  EXPECT_EQ(cfg.value().storage.cache_bytes, 256ULL << 20);
  EXPECT_EQ(cfg.value().storage.memtable_bytes, 32ULL << 20);
  EXPECT_EQ(load("").value().storage.cache_bytes, 64ULL << 20);
  EXPECT_EQ(load("").value().storage.memtable_bytes, 128ULL << 20);
  auto small = load("storage: {cache_bytes: 1000, memtable_bytes: -1}\n");
  ASSERT_FALSE(small);
  ASSERT_EQ(small.errors().size(), 2U);
  EXPECT_EQ(small.errors()[0].path, "storage.cache_bytes");
  EXPECT_EQ(small.errors()[1].path, "storage.memtable_bytes");
}

TEST(config, every_problem_is_reported_at_once) {
  auto cfg = load("server: {listen: nowhere}\nstorage: {sync: sometimes}\nbogus: 1\n");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.errors().size(), 3U);
}

TEST(config, invalid_yaml_reports_position) {
  auto cfg = load("server:\n  listen: [unclosed\n");
  ASSERT_FALSE(cfg);
  EXPECT_GT(cfg.errors().front().line, 0);
  EXPECT_NE(cfg.errors().front().message.find("invalid YAML"), std::string::npos);
}

TEST(config, duplicate_keys_are_rejected) {
  auto cfg = load("server:\n  io_threads: 2\n  io_threads: 3\n");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.errors().front().path, "server.io_threads");
  EXPECT_NE(cfg.errors().front().message.find("duplicate"), std::string::npos);
}

// -- hostile config files (issue 12): refused with file:line:column, never loaded --------

bool mentions(const diagnostic& d, const std::string& text) {
  return d.message.find(text) != std::string::npos;
}

TEST(config_limits, a_nul_byte_in_the_config_is_refused_not_loaded) {
  auto cfg =
    load_config_text(std::string{"server:\n  listen: 127.0.0.1:9000"} + '\0' + "x\n", "vigil.yaml");
  ASSERT_FALSE(cfg) << "loaded as " << cfg.value().server.listen.host;
  EXPECT_EQ(cfg.errors().front().to_string(),
            "vigil.yaml:2:25: a NUL character (U+0000) is not allowed in YAML");
}

TEST(config_limits, invalid_utf8_in_the_config_is_refused_not_loaded) {
  auto cfg = load_config_text("storage:\n  path: ./data\xff\n", "vigil.yaml");
  ASSERT_FALSE(cfg) << "loaded with path " << cfg.value().storage.path;
  EXPECT_EQ(cfg.errors().front().line, 2);
  EXPECT_EQ(cfg.errors().front().column, 15);
}

TEST(config_limits, alias_cycles_and_bombs_are_refused) {
  auto cfg = load_config_text("integrations: &i\n  loop: *i\n", "vigil.yaml");
  ASSERT_FALSE(cfg);
  EXPECT_TRUE(mentions(cfg.errors().front(), "cycle")) << cfg.errors().front().to_string();
  std::string bomb = "integrations:\n  x0: &x0 [a, a, a, a, a, a, a, a, a]\n";
  for (int i = 1; i < 10; ++i) {
    bomb += "  x" + std::to_string(i) + ": &x" + std::to_string(i) + " [";
    for (int k = 0; k < 9; ++k)
      bomb += (k ? ", *x" : "*x") + std::to_string(i - 1);
    bomb += "]\n";
  }
  cfg = load_config_text(bomb, "vigil.yaml");
  ASSERT_FALSE(cfg);
  EXPECT_TRUE(mentions(cfg.errors().front(), "expands to more than 100000 nodes"))
    << cfg.errors().front().to_string();
  // PUT /api/integrations/NAME bodies go through the same checks.
  auto one =
    load_integration_text("type: webhook\nurl: http://x/\nheaders: &h {X: *h}\n", "hook", "<body>");
  ASSERT_FALSE(one);
  EXPECT_TRUE(mentions(one.errors().front(), "cycle")) << one.errors().front().to_string();
}

TEST(config_limits, a_config_file_over_1_mib_is_refused) {
  test::temp_dir dir;
  test::write_file(dir.file("big.yaml"), "# " + std::string(std::size_t{1} << 20, 'x') + "\n");
  auto cfg = load_config_file(dir.file("big.yaml"));
  ASSERT_FALSE(cfg);
  EXPECT_TRUE(mentions(cfg.errors().front(), "too large: more than 1048576 bytes"))
    << cfg.errors().front().to_string();
}

TEST(config_limits, every_regression_seed_is_refused_cleanly) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path{test::source_dir()} / "tests/fuzz/regressions/config";
  std::size_t seeds = 0;
  for (const auto& entry : fs::directory_iterator{dir}) {
    if (entry.path().extension() != ".yaml")
      continue;
    ++seeds;
    const auto file = entry.path().string();
    auto cfg = load_config_file(file);
    ASSERT_FALSE(cfg) << file << " loaded";
    for (const auto& e : cfg.errors()) {
      EXPECT_EQ(e.file, file);
      EXPECT_GT(e.line, 0) << e.to_string();
    }
  }
  EXPECT_GE(seeds, 10U);
}

TEST(endpoint, parses_host_and_port) {
  auto ep = parse_endpoint("0.0.0.0:8080");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->host, "0.0.0.0");
  EXPECT_EQ(ep->port, 8080);
  EXPECT_FALSE(parse_endpoint("localhost"));
  EXPECT_FALSE(parse_endpoint("host:99999"));
  EXPECT_FALSE(parse_endpoint(":80"));
  EXPECT_FALSE(parse_endpoint("a b:80"));
}

} // namespace
} // namespace vigil::model
