#include <algorithm>
#include <csignal>
#include <gtest/gtest.h>

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using test::child_process;
using test::vigil_binary;

TEST(serve, answers_health_and_stops_on_sigterm_within_5s) {
  test::temp_dir dir;
  test::vigil_server server{dir.file("data")};
  test::http_client client{server.port()};
  auto r = client.get("/api/health");
  ASSERT_EQ(r.status, 200);
  // ok, or degraded while the shipped config's Prometheus and Alertmanager do not answer.
  EXPECT_TRUE(r.body.find(R"({"status":"ok")") == 0 || r.body.find(R"({"status":"degraded")") == 0)
    << r.body;
  EXPECT_NE(r.body.find(R"("storage":{"state":"ok")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("version":")"), std::string::npos);
  EXPECT_NE(r.body.find(R"("uptime_seconds":)"), std::string::npos);
  EXPECT_EQ(client.get("/-/healthy").status, 200);
  EXPECT_EQ(client.get("/-/ready").status, 200);
  auto missing = client.get("/api/nothing-here");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find(R"("error":"not_found")"), std::string::npos);

  const auto t0 = std::chrono::steady_clock::now();
  auto code = server.stop(5s);
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(code) << "did not exit within 5 s of SIGTERM";
  EXPECT_EQ(*code, 0);
  EXPECT_LT(took, 5s);
  EXPECT_NE(server.process().stderr_text().find("SIGTERM received"), std::string::npos);
  // A first start on a new data directory is not an error (RocksDB reports the missing
  // directory it is about to create at its error level).
  EXPECT_EQ(server.process().stderr_text().find(R"("level":"error")"), std::string::npos)
    << server.process().stderr_text();
}

TEST(serve, sigint_also_stops_cleanly) {
  test::temp_dir dir;
  test::vigil_server server{dir.file("data")};
  server.process().signal(SIGINT);
  auto code = server.process().wait(5s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0);
}

TEST(serve, second_instance_on_the_same_data_dir_is_refused) {
  test::temp_dir dir;
  test::vigil_server first{dir.file("data")};
  child_process second{{vigil_binary(), "serve", "--config",
                        test::source_dir() + "/configs/vigil.yaml", "--listen", "127.0.0.1:0",
                        "--data", dir.file("data")},
                       dir.file("second")};
  auto code = second.wait(10s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1);
  const auto err = second.stderr_text();
  EXPECT_NE(err.find("in use by another Vigil process"), std::string::npos) << err;
  EXPECT_NE(err.find("pid " + std::to_string(first.process().pid())), std::string::npos) << err;
  // The first one is unaffected.
  test::http_client client{first.port()};
  EXPECT_EQ(client.get("/api/health").status, 200);
}

TEST(serve, bad_config_exits_1_naming_the_problem) {
  test::temp_dir dir;
  test::write_file(dir.file("bad.yaml"), "server:\n  listen: 127.0.0.1:0\n  colour: blue\n");
  child_process p{
    {vigil_binary(), "serve", "--config", dir.file("bad.yaml"), "--data", dir.file("data")},
    dir.file("p")};
  auto code = p.wait(10s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1);
  EXPECT_NE(p.stderr_text().find("bad.yaml:3:3: server.colour: unknown key"), std::string::npos)
    << p.stderr_text();
}

TEST(validate_config, accepts_the_shipped_config) {
  test::temp_dir dir;
  child_process p{{vigil_binary(), "validate-config", test::source_dir() + "/configs/vigil.yaml"},
                  dir.file("p")};
  EXPECT_EQ(p.wait(10s), 0) << p.stderr_text();
}

TEST(validate_config, unknown_key_exits_1_with_key_and_line) {
  test::temp_dir dir;
  auto text = test::read_file(test::source_dir() + "/configs/vigil.yaml");
  auto pos = text.find("  io_threads:");
  ASSERT_NE(pos, std::string::npos);
  text.insert(pos, "  turbo_mode: true\n");
  // Line of the inserted key, 1-based.
  const int line =
    1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(pos), '\n'));
  test::write_file(dir.file("copy.yaml"), text);
  child_process p{{vigil_binary(), "validate-config", dir.file("copy.yaml")}, dir.file("p")};
  EXPECT_EQ(p.wait(10s), 1);
  const auto err = p.stderr_text();
  EXPECT_NE(err.find("copy.yaml:" + std::to_string(line) + ":3: server.turbo_mode: unknown key"),
            std::string::npos)
    << err;
}

TEST(cli, version_names_the_libraries) {
  test::temp_dir dir;
  child_process p{{vigil_binary(), "version"}, dir.file("p")};
  EXPECT_EQ(p.wait(10s), 0);
  const auto out = p.stdout_text();
  for (auto lib : {"vigil ", "CAF      0.17", "simdjson 3.", "RocksDB  7.", "Boost    1.81"})
    EXPECT_NE(out.find(lib), std::string::npos) << lib << " missing from:\n" << out;
}

TEST(cli, help_is_available_everywhere) {
  test::temp_dir dir;
  for (auto sub : {"serve", "validate-config", "validate", "run", "backup", "restore", "loadtest",
                   "status", "version"}) {
    child_process p{{vigil_binary(), sub, "--help"}, dir.file(sub)};
    EXPECT_EQ(p.wait(10s), 0) << sub;
    EXPECT_NE(p.stdout_text().find("Usage"), std::string::npos) << sub;
  }
}

TEST(cli, unknown_flag_is_an_error) {
  test::temp_dir dir;
  child_process p{{vigil_binary(), "serve", "--no-such-flag"}, dir.file("p")};
  auto code = p.wait(10s);
  ASSERT_TRUE(code);
  EXPECT_NE(*code, 0);
}

} // namespace
} // namespace vigil
