// `/api/integrations` on a real `vigil serve`: secrets redacted everywhere, health, operator
// commands, and `PUT` validated like the config, stored in the data directory (it survives a
// restart) and never expanding `${VAR}` from the server's environment.

#include <chrono>
#include <gtest/gtest.h>
#include <map>
#include <thread>

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/scripted_http_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil {
namespace {

class integration_routes : public ::testing::Test {
protected:
  integration_routes() {
    test::write_file(
      dir.file("vigil.yaml"),
      "runbooks: {repository: " + dir.file("runbooks")
        + "}\n"
          "integrations:\n"
          "  pagerduty: {type: pagerduty, url: 'http://127.0.0.1:9', routing_key: rk-secret-1}\n"
          "  hook:\n"
          "    type: http\n"
          "    url: 'http://user:pw-secret-2@127.0.0.1:9/x?token=tok-secret-3'\n"
          "    headers: {Authorization: 'Bearer hdr-secret-4', X-Team: ops}\n");
  }

  static void expect_no_secret(const std::string& body) {
    for (const char* secret : {"rk-secret-1", "pw-secret-2", "tok-secret-3", "hdr-secret-4",
                               "put-secret-5", "env-secret-6"})
      EXPECT_EQ(body.find(secret), std::string::npos) << secret << " leaked: " << body;
  }

  test::temp_dir dir;
};

TEST_F(integration_routes, list_and_health_redact_every_secret) {
  test::vigil_server server{dir.file("data"), dir.file("vigil.yaml")};
  test::http_client client{server.port()};
  const auto list = client.get("/api/integrations");
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(
    list.body.find(R"("name":"hook","type":"http","url":"http://***@127.0.0.1:9/x?token=***")"),
    std::string::npos)
    << list.body;
  EXPECT_NE(list.body.find(R"("headers":{"Authorization":"***","X-Team":"ops"})"),
            std::string::npos)
    << list.body;
  EXPECT_NE(list.body.find(R"("routing_key":"***")"), std::string::npos) << list.body;
  expect_no_secret(list.body);

  const auto all = client.get("/api/integrations/health");
  ASSERT_EQ(all.status, 200);
  EXPECT_NE(
    all.body.find(
      R"("name":"pagerduty","type":"pagerduty","enabled":true,"paused":false,"state":"closed")"),
    std::string::npos)
    << all.body;
  expect_no_secret(all.body);
  EXPECT_EQ(client.get("/api/integrations/hook/health").status, 200);
  EXPECT_EQ(client.get("/api/integrations/nope/health").status, 404);
  EXPECT_EQ(client.get("/api/integrations/nope").status, 404);
}

TEST_F(integration_routes, enable_disable_pause_resume_show_in_health) {
  test::vigil_server server{dir.file("data"), dir.file("vigil.yaml")};
  test::http_client client{server.port()};
  auto r = client.post("/api/integrations/hook/disable", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("enabled":false)"), std::string::npos) << r.body;
  EXPECT_NE(client.get("/api/integrations/hook/health").body.find(R"("enabled":false)"),
            std::string::npos);
  r = client.post("/api/integrations/hook/pause", "");
  EXPECT_NE(r.body.find(R"("paused":true)"), std::string::npos) << r.body;
  client.post("/api/integrations/hook/enable", "");
  r = client.post("/api/integrations/hook/resume", "");
  EXPECT_NE(r.body.find(R"("enabled":true,"paused":false)"), std::string::npos) << r.body;
  EXPECT_EQ(client.post("/api/integrations/nope/pause", "").status, 404);
  EXPECT_EQ(client.get("/api/integrations/hook/pause").status, 405);
}

TEST_F(integration_routes, test_probes_a_real_service_now) {
  test::scripted_http_server svc;
  svc.set_fallback(test::scripted_response::json(200, R"({"status":"success"})"));
  test::write_file(dir.file("vigil.yaml"), "runbooks: {repository: " + dir.file("runbooks")
                                             + "}\n"
                                               "integrations:\n"
                                               "  prometheus: {type: prometheus, url: '"
                                             + svc.url() + "', health: {path: /-/healthy}}\n");
  test::vigil_server server{dir.file("data"), dir.file("vigil.yaml")};
  test::http_client client{server.port()};
  const auto r = client.post("/api/integrations/prometheus/test", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("ran":true,"ok":true,"status":200)"), std::string::npos) << r.body;
  EXPECT_GE(svc.requests().size(), 1U);
  EXPECT_EQ(svc.requests().back().target, "/-/healthy");
}

TEST_F(integration_routes, put_validates_stores_and_survives_a_restart) {
  {
    test::vigil_server server{
      dir.file("data"), dir.file("vigil.yaml"), {}, {"VIGIL_TEST_SECRET=env-secret-6"}};
    test::http_client client{server.port()};
    // Invalid: each problem named with its key path; nothing changes.
    auto bad = client.request(
      "PUT", "/api/integrations/hook",
      R"({"type":"http","url":"ftp://x","circuit_breaker":{"cooldown":"soon"},"colour":"red"})",
      {{"Content-Type", "application/json"}});
    EXPECT_EQ(bad.status, 400) << bad.body;
    EXPECT_NE(bad.body.find("integrations.hook.url"), std::string::npos) << bad.body;
    EXPECT_NE(bad.body.find("colour"), std::string::npos) << bad.body;
    EXPECT_NE(bad.body.find("integrations.hook.circuit_breaker.cooldown"), std::string::npos)
      << bad.body;
    // `${VAR}` in a body never reads the server's environment.
    bad = client.request("PUT", "/api/integrations/leak",
                         R"({"type":"http","url":"http://127.0.0.1:9/${VIGIL_TEST_SECRET}"})",
                         {{"Content-Type", "application/json"}});
    EXPECT_EQ(bad.status, 400) << bad.body;
    expect_no_secret(bad.body);
    EXPECT_EQ(client.get("/api/integrations/leak").status, 404);
    EXPECT_EQ(
      client.request("PUT", "/api/integrations/hook", "", {{"Content-Type", "application/json"}})
        .status,
      400);

    auto ok = client.request(
      "PUT", "/api/integrations/slack",
      R"({"type":"slack","webhook_url":"http://127.0.0.1:9/put-secret-5","circuit_breaker":{"failure_threshold":3}})",
      {{"Content-Type", "application/json"}});
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_NE(ok.body.find(R"("status":"created")"), std::string::npos) << ok.body;
    expect_no_secret(ok.body);
    ok = client.request("PUT", "/api/integrations/hook",
                        R"({"type":"http","url":"http://127.0.0.1:9/y","max_in_flight":4})",
                        {{"Content-Type", "application/json"}});
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_NE(ok.body.find(R"("status":"updated")"), std::string::npos) << ok.body;
    server.stop();
  }
  test::vigil_server server{dir.file("data"), dir.file("vigil.yaml")};
  test::http_client client{server.port()};
  const auto list = client.get("/api/integrations");
  EXPECT_NE(list.body.find(R"("name":"slack","type":"slack")"), std::string::npos) << list.body;
  EXPECT_NE(list.body.find(R"("name":"hook","type":"http","url":"http://127.0.0.1:9/y")"),
            std::string::npos)
    << list.body;
  EXPECT_NE(list.body.find(R"("max_in_flight":4)"), std::string::npos) << list.body;
  EXPECT_NE(list.body.find(R"("failure_threshold":3)"), std::string::npos) << list.body;
  expect_no_secret(list.body);
  // The config file was not written.
  EXPECT_EQ(test::read_file(dir.file("vigil.yaml")).find("slack"), std::string::npos);
}

// Health is `unknown` until a probe answered (one goes out at start and after every change), then
// what the probe found; an unhealthy integration degrades `/api/health`. The shapes are those the
// operations runbook's jq reads.
TEST_F(integration_routes, health_is_unknown_until_the_first_probe_then_degrades_the_summary) {
  test::scripted_http_server prom;
  prom.push(test::scripted_response::slow(std::chrono::milliseconds{1500}, 503), 1);
  prom.set_fallback(test::scripted_response::ok("Prometheus Server is Healthy.\n"));
  test::write_file(dir.file("vigil.yaml"),
                   "runbooks: {repository: " + dir.file("runbooks")
                     + "}\nintegrations:\n  prometheus: {type: prometheus, url: '" + prom.url()
                     + "', health: {path: /-/healthy, interval: 1h}}\n"
                       "  pagerduty: {type: pagerduty, routing_key: ''}\n");
  test::vigil_server server{dir.file("data"), dir.file("vigil.yaml")};
  test::http_client client{server.port()};
  ASSERT_TRUE(prom.wait_for(1, std::chrono::seconds{5})) << "no probe at start";
  // The probe is under way (its answer takes 1.5 s): nothing is known yet.
  auto health = client.get("/api/integrations/health");
  ASSERT_EQ(health.status, 200);
  EXPECT_EQ(health.body.find(R"({"pagerduty":{"name":"pagerduty")"), 0U)
    << "an object keyed by name: " << health.body;
  EXPECT_NE(health.body.find(R"(,"prometheus":{"name":"prometheus")"), std::string::npos)
    << health.body;
  EXPECT_NE(health.body.find(R"("health":"unknown","healthy":null)"), std::string::npos)
    << health.body;
  // The unset routing key: the integration exists, says why it cannot work, and is not probed.
  EXPECT_NE(health.body.find(R"("health":"unconfigured","healthy":null,"configured":false,)"
                             R"("unconfigured":"routing_key is unset")"),
            std::string::npos)
    << health.body;
  // The probe fails (503): unhealthy, and the node is degraded (still serving: 200).
  bool unhealthy = false;
  for (int i = 0; i < 100 && !unhealthy; ++i) {
    unhealthy = client.get("/api/integrations/prometheus/health").body.find(R"("healthy":false)")
                != std::string::npos;
    if (!unhealthy)
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  ASSERT_TRUE(unhealthy) << client.get("/api/integrations/prometheus/health").body;
  auto node = client.get("/api/health");
  EXPECT_EQ(node.status, 200);
  EXPECT_NE(node.body.find(R"("status":"degraded")"), std::string::npos) << node.body;
  EXPECT_NE(node.body.find(R"("integrations":{"status":"degraded","unhealthy":1)"),
            std::string::npos)
    << node.body;
  // The list: an array whose `health` is a state.
  auto list = client.get("/api/integrations");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.front(), '[') << list.body;
  EXPECT_NE(list.body.find(R"("name":"prometheus","type":"prometheus","url":")" + prom.url()
                           + R"(","enabled":true,"health":"unhealthy","healthy":false,)"),
            std::string::npos)
    << list.body;
  EXPECT_NE(list.body.find(R"("health_check":{"path":"/-/healthy","interval":"1h"})"),
            std::string::npos)
    << list.body;
  // GET .../test probes again (as the runbook asks): the service is fine now.
  auto test = client.get("/api/integrations/prometheus/test");
  EXPECT_EQ(test.status, 200) << test.body;
  EXPECT_NE(test.body.find(R"("ran":true,"ok":true)"), std::string::npos) << test.body;
  node = client.get("/api/health");
  EXPECT_NE(node.body.find(R"("status":"ok")"), std::string::npos) << node.body;
  EXPECT_NE(client.get("/api/integrations/prometheus").body.find(R"("health":"healthy")"),
            std::string::npos);
}

// PUT merges: the runbook's second PUT (url, bearer_token) keeps the first one's timeout; `null`
// resets a key; the merged settings survive a restart, laid over the config file's block.
TEST_F(integration_routes, put_merges_the_keys_given_and_null_resets_one) {
  const auto json = std::map<std::string, std::string>{{"Content-Type", "application/json"}};
  {
    test::vigil_server server{dir.file("data"), dir.file("vigil.yaml")};
    test::http_client client{server.port()};
    auto r = client.request("PUT", "/api/integrations/hook",
                            R"({"timeout": "30s", "circuit_breaker": {"cooldown": "2m"}})", json);
    ASSERT_EQ(r.status, 200) << r.body;
    r = client.request("PUT", "/api/integrations/hook",
                       R"({"url": "http://127.0.0.1:9/new", "bearer_token": "put-secret-5",)"
                       R"( "circuit_breaker": {"failure_threshold": 7}})",
                       json);
    ASSERT_EQ(r.status, 200) << r.body;
    expect_no_secret(r.body);
    auto got = client.get("/api/integrations/hook").body;
    EXPECT_NE(got.find(R"("url":"http://127.0.0.1:9/new")"), std::string::npos) << got;
    EXPECT_NE(got.find(R"("timeout":"30s")"), std::string::npos) << "kept from the first PUT";
    EXPECT_NE(got.find(R"("failure_threshold":7)"), std::string::npos) << got;
    EXPECT_NE(got.find(R"("cooldown":"2m")"), std::string::npos) << "maps merge key by key";
    EXPECT_NE(got.find(R"("X-Team":"ops")"), std::string::npos) << "the file's headers stay";
    EXPECT_NE(got.find(R"("bearer_token":"***")"), std::string::npos) << got;
    // A duplicate key or a bad value changes nothing.
    r = client.request("PUT", "/api/integrations/hook", R"({"timeout": "1s", "timeout": "2s"})",
                       json);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("duplicate"), std::string::npos) << r.body;
    r = client.request("PUT", "/api/integrations/hook", R"({"max_in_flight": 0})", json);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("integrations.hook.max_in_flight"), std::string::npos) << r.body;
    // null: back to the default.
    r = client.request("PUT", "/api/integrations/hook", R"({"timeout": null})", json);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find(R"("timeout":"10s")"), std::string::npos) << r.body;
    server.stop();
  }
  test::vigil_server server{dir.file("data"), dir.file("vigil.yaml")};
  test::http_client client{server.port()};
  auto got = client.get("/api/integrations/hook").body;
  EXPECT_NE(got.find(R"("url":"http://127.0.0.1:9/new")"), std::string::npos) << got;
  EXPECT_NE(got.find(R"("timeout":"10s")"), std::string::npos) << got;
  EXPECT_NE(got.find(R"("failure_threshold":7)"), std::string::npos) << got;
  EXPECT_NE(got.find(R"("cooldown":"2m")"), std::string::npos) << got;
  EXPECT_NE(got.find(R"("X-Team":"ops")"), std::string::npos) << got;
}

} // namespace
} // namespace vigil
