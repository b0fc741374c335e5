// `vigil loadtest` as a process against a real `vigil serve` whose runbook repository holds the
// end-to-end runbook: exit codes, the summary, report.json and the charts.

#include <filesystem>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/loadtest/sink.hpp"
#include "tests/loadtest/report_schema.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::loadtest {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

/// A port nobody listens on right now.
uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0
      || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("cannot find a free port");
  ::close(fd);
  return ntohs(addr.sin_port);
}

class loadtest_run : public ::testing::Test {
protected:
  /// One server for the suite: the shipped config, with the runbook repository moved to a
  /// folder that also holds the end-to-end runbook.
  static void SetUpTestSuite() {
    dir_ = new vigil::test::temp_dir;
    sink_port_ = free_port();
    fs::create_directories(dir_->file("runbooks"));
    fs::copy(vigil::test::source_dir() + "/configs/runbooks", dir_->file("runbooks"),
             fs::copy_options::recursive);
    vigil::test::write_file(dir_->file("runbooks/loadtest-e2e.yaml"),
                            e2e_runbook_yaml("127.0.0.1", sink_port_));
    auto config = vigil::test::read_file(vigil::test::source_dir() + "/configs/vigil.yaml");
    const std::string shipped = "repository: ./configs/runbooks";
    config.replace(config.find(shipped), shipped.size(), "repository: " + dir_->file("runbooks"));
    vigil::test::write_file(dir_->file("vigil.yaml"), config);
    server_ = new vigil::test::vigil_server{dir_->file("data"), dir_->file("vigil.yaml")};
  }

  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  /// Runs the generator; its exit code (or -1 on timeout).
  static int loadtest(const std::vector<std::string>& args, vigil::test::child_process** out) {
    std::vector<std::string> argv{vigil::test::vigil_binary(), "loadtest"};
    argv.insert(argv.end(), args.begin(), args.end());
    static int n = 0;
    auto* p = new vigil::test::child_process{argv, dir_->file("loadtest-" + std::to_string(++n))};
    *out = p;
    return p->wait(60s).value_or(-1);
  }

  static std::vector<std::string> short_run(const std::string& report) {
    return {"--url",      "http://127.0.0.1:" + std::to_string(server_->port()),
            "--rate",     "200",
            "--duration", "2s",
            "--warmup",   "500ms",
            "--report",   report,
            "--sink",     "127.0.0.1:" + std::to_string(sink_port_),
            "--e2e",      "--e2e-rate",
            "20",         "--drain",
            "5s"};
  }

  static vigil::test::temp_dir* dir_;
  static vigil::test::vigil_server* server_;
  static uint16_t sink_port_;
};

vigil::test::temp_dir* loadtest_run::dir_ = nullptr;
vigil::test::vigil_server* loadtest_run::server_ = nullptr;
uint16_t loadtest_run::sink_port_ = 0;

TEST_F(loadtest_run, a_short_run_meets_the_default_slos_and_writes_the_report) {
  const auto report = dir_->file("report-ok");
  vigil::test::child_process* p = nullptr;
  const int code = loadtest(short_run(report), &p);
  std::unique_ptr<vigil::test::child_process> owner{p};
  const auto out = p->stdout_text();
  ASSERT_EQ(code, 0) << out << p->stderr_text();
  for (const char* needle : {"p50", "p95", "p99", "accept (HTTP 2xx)", "end to end (run started)",
                             "tagged events reached the sink", "met     p95<5s",
                             "met     errors<0.1%", "result: SLOs met", "report: "})
    EXPECT_NE(out.find(needle), std::string::npos) << needle << " in\n" << out;
  EXPECT_EQ(out.find("not measured"), std::string::npos) << out;

  ASSERT_TRUE(fs::exists(report + "/report.json"));
  ASSERT_TRUE(fs::exists(report + "/latency.svg"));
  ASSERT_TRUE(fs::exists(report + "/histogram.svg"));
  EXPECT_EQ(vigil::test::read_file(report + "/latency.svg").rfind("<svg", 0), 0U);
  const auto json = vigil::test::read_file(report + "/report.json");
  test::expect_report_schema(json);
  simdjson::dom::parser parser;
  auto doc = parser.parse(json).value();
  EXPECT_EQ(doc["counts"]["requests"].get_uint64().value(), 400U) << "200/s for 2 s";
  EXPECT_EQ(doc["counts"]["failed_requests"].get_uint64().value(), 0U);
  EXPECT_TRUE(doc["end_to_end"]["measured"].get_bool().value());
  EXPECT_GT(doc["end_to_end"]["seen"].get_uint64().value(), 20U);
  EXPECT_EQ(doc["end_to_end"]["missing"].get_uint64().value(), 0U);
  EXPECT_TRUE(doc["latency"]["end_to_end"].is_object());
  EXPECT_TRUE(doc["slo"]["met"].get_bool().value());
}

TEST_F(loadtest_run, a_missed_slo_exits_1_and_names_it) {
  auto args = short_run(dir_->file("report-missed"));
  args.insert(args.end(), {"--slo", "p95<1us"});
  vigil::test::child_process* p = nullptr;
  const int code = loadtest(args, &p);
  std::unique_ptr<vigil::test::child_process> owner{p};
  const auto out = p->stdout_text();
  EXPECT_EQ(code, 1) << out << p->stderr_text();
  EXPECT_NE(out.find("MISSED  p95<1us"), std::string::npos) << out;
  EXPECT_NE(out.find("result: SLO missed: p95<1us (accept p95 = "), std::string::npos) << out;
}

TEST_F(loadtest_run, bad_flags_exit_2_with_a_clear_message) {
  const std::string url = "http://127.0.0.1:" + std::to_string(server_->port());
  struct bad {
    std::vector<std::string> args;
    const char* says;
  };
  for (const auto& b :
       {bad{{"--url", url, "--slo", "p95<soon"}, "--slo: \"p95<soon\": bad duration"},
        bad{{"--url", url, "--rate", "fast"}, "--rate"},
        bad{{"--url", url, "--payload", "xml"}, "--payload"},
        bad{{"--url", url, "--no-such-flag"}, "no-such-flag"},
        bad{{"--url", "http://127.0.0.1:1", "--duration", "1s"}, "cannot connect"}}) {
    vigil::test::child_process* p = nullptr;
    const int code = loadtest(b.args, &p);
    std::unique_ptr<vigil::test::child_process> owner{p};
    EXPECT_EQ(code, 2) << b.says;
    EXPECT_NE((p->stderr_text() + p->stdout_text()).find(b.says), std::string::npos)
      << b.says << " in: " << p->stderr_text();
  }
}

TEST_F(loadtest_run, the_printed_runbooks_validate) {
  for (const char* action : {"exec", "http"}) {
    vigil::test::child_process* p = nullptr;
    const int code =
      loadtest({"--print-runbook", "--sink", "127.0.0.1:9099", "--runbook-action", action}, &p);
    std::unique_ptr<vigil::test::child_process> owner{p};
    ASSERT_EQ(code, 0) << p->stderr_text();
    const auto file = dir_->file(std::string{"printed-"} + action + ".yaml");
    vigil::test::write_file(file, p->stdout_text());
    vigil::test::child_process validate{{vigil::test::vigil_binary(), "validate", file},
                                        dir_->file(std::string{"validate-"} + action)};
    EXPECT_EQ(validate.wait(30s), 0) << validate.stdout_text() << validate.stderr_text();
  }
}

} // namespace
} // namespace vigil::loadtest
