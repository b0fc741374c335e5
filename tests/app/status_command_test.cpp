// `vigil status`: the summary and the exit codes (0 healthy, 1 unhealthy, 2 unreachable or bad
// flags), against the real engine in-process, scripted servers, and the binary.

#include <algorithm>
#include <arpa/inet.h>
#include <filesystem>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "runtime/app/application.hpp"
#include "runtime/app/blocking_http_client.hpp"
#include "runtime/app/status_command.hpp"
#include "runtime/app/version.hpp"
#include "runtime/model/errc.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/scripted_http_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using test::scripted_response;

/// What one `run_status` call printed and returned.
struct status_run {
  int code = -1;
  std::string out;
  std::string err;
};

status_run run(const std::string& url, const std::string& timeout = "5s",
               const std::string& token = {}) {
  app::status_options opts;
  opts.url = url;
  opts.timeout = timeout;
  opts.token = token;
  std::ostringstream out, err;
  status_run r;
  r.code = app::run_status(opts, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

/// A loopback port nothing listens on (bound once by the kernel's choice, then released).
uint16_t unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0
      || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string path_of(const std::string& target) {
  return target.substr(0, target.find('?'));
}

/// Answers as a Vigil whose every endpoint exists, with `pagerduty_state` for its breaker.
void script_full_api(test::scripted_http_server& server, std::string pagerduty_state) {
  server.set_handler([state = std::move(pagerduty_state)](
                       const test::recorded_request& r) -> std::optional<scripted_response> {
    const auto path = path_of(r.target);
    if (path == "/api/health")
      return scripted_response::json(200,
                                     R"({"status":"ok","version":"9.8.7","uptime_seconds":7384})");
    if (path == "/api/metrics")
      return scripted_response::json(
        200, R"({"event_queue_depth":12,"events_per_minute":180,"ingestion_rate":3,)"
             R"("events_processed_per_second":2.9,"processing_rate":2.9,)"
             R"("processing_errors_last_hour":4,"workflow_success_rate_1h":0.985,)"
             R"("active_workflows":6})");
    if (path == "/api/integrations/health")
      return scripted_response::json(
        200,
        R"({"pagerduty":{"name":"pagerduty","state":")" + state
          + R"(","enabled":true,"last_error":"HTTP 503 from events.pagerduty.com"},)"
            R"("slack":{"name":"slack","state":"closed","enabled":true,"last_error":""},)"
            R"("legacy":{"name":"legacy","state":"open","enabled":false,"last_error":"gone"}})");
    if (path == "/api/workflows" && has(r.target, "status=awaiting_gate"))
      return scripted_response::json(
        200, R"({"workflows":[{"id":"wf-00000000000000a1","runbook":"restart-service",)"
             R"("status":"awaiting_gate","gate":"approve","updated_at":1714564800}],)"
             R"("count":1,"active_workflows":6})");
    if (path == "/api/workflows" && has(r.target, "status=failed"))
      return scripted_response::json(
        200, R"({"workflows":[{"id":"wf-00000000000000b1","runbook":"disk-cleanup",)"
             R"("status":"failed","error":"step clean: exit code 1\nrm: cannot remove"},)"
             R"({"id":"wf-00000000000000b2","runbook":"disk-cleanup","status":"failed",)"
             R"("error":null}],"count":2,"active_workflows":6})");
    return scripted_response::json(404, R"({"error":"not_found","message":"no such route"})");
  });
}

// -- against the engine
// ----------------------------------------------------------------------------

TEST(status_command, healthy_engine_exits_0_with_the_summary) {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.file("runbooks"));
  test::write_file(dir.file("runbooks/gated.yaml"),
                   "name: gated\ntriggers: [{type: alert, labels: {alertname: Gated}}]\n"
                   "steps:\n  - {name: hold, action: approval}\n");
  test::write_file(dir.file("runbooks/broken.yaml"),
                   "name: broken\ntriggers: [{type: alert, labels: {alertname: Broken}}]\n"
                   "steps:\n  - {name: boom, action: exec, command: [\"false\"], retry: "
                   "{attempts: 1}}\n");
  model::config cfg;
  cfg.server.listen = {"127.0.0.1", 0};
  cfg.storage.path = dir.file("data");
  cfg.runbooks.repository = dir.file("runbooks");
  auto started = app::application::start(cfg);
  ASSERT_TRUE(started) << describe(started.error());
  const auto url = "http://127.0.0.1:" + std::to_string((*started)->port());
  test::http_client client{(*started)->port()};
  for (auto name : {"Gated", "Broken"})
    ASSERT_EQ(client
                .post("/api/events",
                      std::string{R"({"type":"alert","labels":{"alertname":")"} + name + "\"}}")
                .status,
              202);
  std::string runs;
  for (int i = 0; i < 1000; ++i) {
    runs = client.get("/api/workflows").body;
    if (has(runs, R"("status":"awaiting_gate")") && has(runs, R"("status":"failed")"))
      break;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(has(runs, R"("status":"awaiting_gate")") && has(runs, R"("status":"failed")"))
    << runs;

  auto r = run(url);
  EXPECT_EQ(r.code, app::status_healthy) << r.out << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_TRUE(has(r.out, "Vigil at " + url + ": HEALTHY\n")) << r.out;
  EXPECT_TRUE(
    has(r.out, "  health        ok, version " + std::string{app::vigil_version()} + ", up "))
    << r.out;
  EXPECT_TRUE(has(r.out, "  queue depth   ")) << r.out;
  // The run parked at its gate is active (not finished), though hibernated out of memory.
  EXPECT_TRUE(has(r.out, "  workflows     1 active")) << r.out;
  // A gate waiting and a failed run are worth seeing, not an outage.
  EXPECT_TRUE(has(r.out, "  gates         1 waiting for approval\n")) << r.out;
  EXPECT_TRUE(has(r.out, "  gated  step hold  (")) << r.out;
  EXPECT_TRUE(has(r.out, "  failed (1h)   1 workflow runs\n")) << r.out;
  EXPECT_TRUE(has(r.out, "  broken  exit code 1")) << r.out;
  EXPECT_TRUE(has(r.out, "  integrations  ")) << r.out;
  // A trailing slash is accepted too.
  EXPECT_EQ(run(url + "/").code, app::status_healthy);
  (*started)->stop();
}

// -- against scripted servers ---------------------------------------------------------------------

TEST(status_command, nothing_listening_exits_2) {
  const auto port = unused_port();
  ASSERT_NE(port, 0);
  auto r = run("http://127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(r.code, app::status_unreachable);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_TRUE(has(r.err, "cannot reach http://127.0.0.1:" + std::to_string(port) + ": connecting"))
    << r.err;
}

TEST(status_command, health_503_exits_1) {
  test::scripted_http_server server;
  server.set_handler([](const test::recorded_request& r) -> std::optional<scripted_response> {
    if (path_of(r.target) == "/api/health")
      return scripted_response::json(503, R"({"status":"starting","version":"1.2.3"})");
    return scripted_response::json(404, R"({"error":"not_found"})");
  });
  auto r = run(server.url());
  EXPECT_EQ(r.code, app::status_unhealthy) << r.out << r.err;
  EXPECT_TRUE(has(r.out, ": UNHEALTHY (health starting (HTTP 503))\n")) << r.out;
  EXPECT_TRUE(has(r.out, "  health        starting (HTTP 503), version 1.2.3\n")) << r.out;
  // The endpoints this server lacks show as n/a, and do not make it worse.
  EXPECT_TRUE(has(r.out, "  queue depth   n/a\n")) << r.out;
  EXPECT_TRUE(has(r.out, "  integrations  n/a\n")) << r.out;
  EXPECT_TRUE(has(r.out, "  note          /api/metrics: not available on this server (HTTP 404)"))
    << r.out;
}

TEST(status_command, health_without_json_is_unhealthy) {
  test::scripted_http_server server;
  server.set_fallback(scripted_response::with_status(500, "boom"));
  auto r = run(server.url());
  EXPECT_EQ(r.code, app::status_unhealthy) << r.out;
  EXPECT_TRUE(has(r.out, "  health        unknown (HTTP 500)\n")) << r.out;
  EXPECT_TRUE(has(r.out, "GET /api/metrics: HTTP 500")) << r.out;
}

TEST(status_command, full_api_summary_shows_every_value) {
  test::scripted_http_server server;
  script_full_api(server, "closed");
  auto r = run(server.url());
  EXPECT_EQ(r.code, app::status_healthy) << r.out << r.err;
  for (const std::string expected : {
         ": HEALTHY\n",
         "  health        ok, version 9.8.7, up 2h3m4s\n",
         "  queue depth   12\n",
         "  ingest        3 events/s, 180 events/min\n",
         "  processing    2.9 events/s, 4 errors in the last hour\n",
         "  workflows     6 active, success rate 98.5% in the last hour\n",
         "  gates         1 waiting for approval\n",
         "    wf-00000000000000a1  restart-service  step approve  (waiting ",
         "  failed (1h)   2 workflow runs\n",
         "    wf-00000000000000b1  disk-cleanup  step clean: exit code 1 rm: cannot remove\n",
         "    wf-00000000000000b2  disk-cleanup\n",
         // A disabled integration's open circuit is listed but is not an outage.
         "  integrations  3, 0 circuits open\n",
         "    legacy  open (disabled)  last error: gone\n",
       })
    EXPECT_TRUE(has(r.out, expected)) << "missing: " << expected << "\n" << r.out;
  EXPECT_FALSE(has(r.out, "slack")) << "closed circuits are only counted\n" << r.out;
  EXPECT_FALSE(has(r.out, "n/a")) << r.out;
}

TEST(status_command, long_lists_are_cut_to_one_screen) {
  test::scripted_http_server server;
  server.set_handler([](const test::recorded_request& r) -> std::optional<scripted_response> {
    if (path_of(r.target) == "/api/health")
      return scripted_response::json(200, R"({"status":"ok"})");
    if (has(r.target, "status=failed")) {
      std::string runs;
      for (int i = 0; i < 7; ++i)
        runs += std::string{runs.empty() ? "" : ","} + R"({"id":"wf-)" + std::to_string(i)
                + R"(","runbook":"flaky","error":")" + std::string(200, 'x') + R"("})";
      return scripted_response::json(200, R"({"workflows":[)" + runs + R"(],"count":7})");
    }
    return scripted_response::json(404, "{}");
  });
  auto r = run(server.url());
  EXPECT_EQ(r.code, app::status_healthy) << r.out;
  EXPECT_TRUE(has(r.out, "  failed (1h)   7 workflow runs\n")) << r.out;
  EXPECT_TRUE(has(r.out, "wf-4  flaky  " + std::string(69, 'x') + "...\n")) << r.out;
  EXPECT_FALSE(has(r.out, "wf-5")) << r.out;
  EXPECT_TRUE(has(r.out, "  ... and 2 more\n")) << r.out;
}

TEST(status_command, open_circuit_exits_1_and_names_it) {
  test::scripted_http_server server;
  script_full_api(server, "open");
  auto r = run(server.url());
  EXPECT_EQ(r.code, app::status_unhealthy) << r.out;
  EXPECT_TRUE(has(r.out, ": UNHEALTHY (circuit open: pagerduty)\n")) << r.out;
  EXPECT_TRUE(has(r.out, "  integrations  3, 1 circuit open\n")) << r.out;
  EXPECT_TRUE(has(r.out, "    pagerduty  open  last error: HTTP 503 from events.pagerduty.com\n"))
    << r.out;
}

TEST(status_command, half_open_circuit_is_listed_but_healthy) {
  test::scripted_http_server server;
  script_full_api(server, "half_open");
  auto r = run(server.url());
  EXPECT_EQ(r.code, app::status_healthy) << r.out;
  EXPECT_TRUE(has(r.out, "    pagerduty  half_open  last error: ")) << r.out;
}

TEST(status_command, integrations_as_a_bare_array_are_read_too) {
  test::scripted_http_server server;
  server.set_handler([](const test::recorded_request& r) -> std::optional<scripted_response> {
    const auto path = path_of(r.target);
    if (path == "/api/health")
      return scripted_response::json(200, R"({"status":"ok"})");
    if (path == "/api/integrations/health")
      return scripted_response::json(200, R"({"prometheus":{"name":"prometheus","state":"open"}})");
    return scripted_response::json(404, "{}");
  });
  auto r = run(server.url());
  EXPECT_EQ(r.code, app::status_unhealthy) << r.out;
  EXPECT_TRUE(has(r.out, "(circuit open: prometheus)")) << r.out;
}

TEST(status_command, sends_the_token_and_asks_the_documented_queries) {
  test::scripted_http_server server;
  script_full_api(server, "closed");
  auto r = run(server.url(), "5s", "s3cret");
  EXPECT_EQ(r.code, app::status_healthy) << r.out;
  std::vector<std::string> targets;
  for (const auto& req : server.requests()) {
    targets.push_back(req.target);
    EXPECT_EQ(req.header("authorization"), "Bearer s3cret") << req.target;
  }
  for (const std::string t : {"/api/health", "/api/metrics", "/api/integrations/health",
                              "/api/workflows?status=awaiting_gate&limit=10000",
                              "/api/workflows?status=failed&since=1h&limit=10000"})
    EXPECT_NE(std::find(targets.begin(), targets.end(), t), targets.end()) << t;
}

TEST(status_command, a_server_that_does_not_answer_in_time_is_unreachable) {
  test::scripted_http_server server;
  server.set_fallback(scripted_response::slow(3s, 200, R"({"status":"ok"})"));
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run(server.url(), "200ms");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(r.code, app::status_unreachable) << r.out;
  EXPECT_TRUE(has(r.err, "timed out after 200ms waiting for the answer")) << r.err;
}

TEST(status_command, slow_endpoint_after_a_healthy_answer_is_degraded) {
  test::scripted_http_server server;
  server.set_handler([](const test::recorded_request& r) -> std::optional<scripted_response> {
    const auto path = path_of(r.target);
    if (path == "/api/health")
      return scripted_response::json(200, R"({"status":"ok"})");
    if (path == "/api/metrics")
      return scripted_response::slow(3s, 200, "{}");
    return scripted_response::json(404, "{}");
  });
  auto r = run(server.url(), "200ms");
  EXPECT_EQ(r.code, app::status_unhealthy) << r.out;
  EXPECT_TRUE(has(r.out, "GET /api/metrics: timed out after 200ms")) << r.out;
}

// -- flags
// ------------------------------------------------------------------------------------------

TEST(status_command, malformed_url_exits_2_saying_why) {
  const std::pair<std::string, std::string> cases[] = {
    {"127.0.0.1:9000", "expected http://HOST:PORT"},
    {"https://127.0.0.1:9000", "https is not supported"},
    {"http://127.0.0.1", "missing port"},
    {"http://:9000", "missing host"},
    {"http://127.0.0.1:0", "bad port \"0\""},
    {"http://127.0.0.1:70000", "bad port \"70000\""},
    {"http://127.0.0.1:90x", "bad port \"90x\""},
    {"http://127.0.0.1:9000/api", "no path or query"},
    {"http://127.0.0.1:9000?x=1", "no path or query"},
    {"http://user@127.0.0.1:9000", "user information is not supported"},
    {"http://exa mple:9000", "bad host name"},
    {"http://[::1:9000", "bad IPv6 address"},
    {"", "expected http://HOST:PORT"},
  };
  for (const auto& [url, why] : cases) {
    auto r = run(url);
    EXPECT_EQ(r.code, app::status_unreachable) << url;
    EXPECT_TRUE(r.out.empty()) << url;
    EXPECT_TRUE(has(r.err, "vigil status: --url \"" + url + "\": ")) << r.err;
    EXPECT_TRUE(has(r.err, why)) << url << " -> " << r.err;
  }
}

TEST(status_command, url_parser_accepts_names_and_ipv6) {
  std::string error;
  auto v6 = app::parse_server_url("http://[::1]:9000/", error);
  ASSERT_TRUE(v6) << error;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9000);
  EXPECT_EQ(v6->to_string(), "http://[::1]:9000");
  auto name = app::parse_server_url("http://vigil-1.internal:80", error);
  ASSERT_TRUE(name) << error;
  EXPECT_EQ(name->host, "vigil-1.internal");
  EXPECT_EQ(name->port, 80);
}

TEST(status_command, bad_timeout_exits_2) {
  auto r = run("http://127.0.0.1:9000", "soon");
  EXPECT_EQ(r.code, app::status_unreachable);
  EXPECT_TRUE(has(r.err, "--timeout \"soon\" is not a duration")) << r.err;
}

// -- the binary
// --------------------------------------------------------------------------------------

TEST(status_command, binary_exit_codes_and_help) {
  test::temp_dir dir;
  {
    test::scripted_http_server server;
    script_full_api(server, "open");
    test::child_process p{{test::vigil_binary(), "status", "--url", server.url()}, dir.file("a")};
    EXPECT_EQ(p.wait(10s), 1) << p.stderr_text();
    EXPECT_TRUE(has(p.stdout_text(), "circuit open: pagerduty")) << p.stdout_text();
  }
  {
    test::scripted_http_server server;
    script_full_api(server, "closed");
    test::child_process p{{test::vigil_binary(), "status", "--url", server.url()},
                          dir.file("b"),
                          {"VIGIL_TOKEN=from-env"}};
    EXPECT_EQ(p.wait(10s), 0) << p.stderr_text();
    ASSERT_GE(server.count(), 1U);
    EXPECT_EQ(server.requests().front().header("authorization"), "Bearer from-env");
  }
  {
    const auto port = unused_port();
    test::child_process p{
      {test::vigil_binary(), "status", "--url", "http://127.0.0.1:" + std::to_string(port)},
      dir.file("c")};
    EXPECT_EQ(p.wait(10s), 2);
    EXPECT_TRUE(has(p.stderr_text(), "cannot reach")) << p.stderr_text();
  }
  {
    test::child_process p{{test::vigil_binary(), "status", "--url", "localhost"}, dir.file("d")};
    EXPECT_EQ(p.wait(10s), 2);
    EXPECT_TRUE(has(p.stderr_text(), "expected http://HOST:PORT")) << p.stderr_text();
  }
  {
    test::child_process p{{test::vigil_binary(), "status", "--no-such-flag"}, dir.file("e")};
    EXPECT_EQ(p.wait(10s), 2);
  }
  {
    test::child_process p{{test::vigil_binary(), "status", "--url"}, dir.file("f")};
    EXPECT_EQ(p.wait(10s), 2);
  }
  {
    test::child_process p{{test::vigil_binary(), "status", "--help"}, dir.file("g")};
    EXPECT_EQ(p.wait(10s), 0);
    const auto out = p.stdout_text();
    for (auto text : {"--url", "--token", "--timeout", "Exit codes:", "0  healthy", "1  unhealthy",
                      "2  unreachable"})
      EXPECT_TRUE(has(out, text)) << text << " missing from:\n" << out;
  }
}

} // namespace
} // namespace vigil
