// Bearer-token auth of the API over real HTTP: scopes per endpoint family, the JSON error
// answers, and the loopback-only rule when no tokens are configured.

#include <gtest/gtest.h>

#include "runtime/http/auth.hpp"
#include "runtime/model/errc.hpp"
#include "tests/http/operator_fixture.hpp"

namespace vigil {
namespace {

using test::is_error;
using test::json_answer;

class operator_auth_test : public test::operator_fixture {
protected:
  void start_with_tokens() {
    config().auth.tokens = test::operator_tokens();
    write_runbook("noop.yaml",
                  "name: noop\ncategory: test\nsteps:\n  - {name: nothing, action: noop}\n");
    start();
  }
};

TEST_F(operator_auth_test, admin_endpoints_answer_401_without_a_token_403_without_admin_2xx_with) {
  start_with_tokens();
  struct call {
    std::string method, target, body;
  };
  const std::vector<call> calls = {{"GET", "/api/admin/workers", ""},
                                   {"GET", "/api/admin/queue-analysis", ""},
                                   {"GET", "/api/admin/poison-messages", ""},
                                   {"POST", "/api/admin/drain-queue", "{}"},
                                   {"POST", "/api/admin/scale-workers", R"({"workers": 3})"}};
  for (const auto& c : calls) {
    SCOPED_TRACE(c.method + " " + c.target);
    auto none = send(c.method, c.target, c.body);
    EXPECT_TRUE(is_error(none, 401, "unauthorized"));
    EXPECT_EQ(none.header("www-authenticate"), "Bearer");
    for (const auto& weak : {test::ingest_token, test::read_token, test::operate_token}) {
      auto r = send(c.method, c.target, c.body, weak);
      EXPECT_TRUE(is_error(r, 403, "forbidden"));
      EXPECT_NE(r.body.find("admin"), std::string::npos) << "names the missing scope: " << r.body;
    }
  }
  // Nothing refused took effect.
  EXPECT_FALSE(app().draining());
  EXPECT_EQ(get_json("/api/admin/workers", test::ops_token).size("/workers"), 4U);

  for (const auto& c : calls) {
    auto r = send(c.method, c.target, c.body, test::ops_token);
    EXPECT_EQ(r.status, 200) << c.target << ": " << r.body;
    EXPECT_TRUE(json_answer{r.body}.valid()) << r.body;
  }
  EXPECT_TRUE(app().draining()) << "the admin token's drain took effect";
  EXPECT_EQ(get_json("/api/admin/workers", test::ops_token).integer("/target"), 3);
}

TEST_F(operator_auth_test, unknown_or_malformed_credentials_are_401_and_never_echoed) {
  start_with_tokens();
  const std::string wrong = "wrong-secret-3141592653589793";
  const std::vector<std::pair<std::string, std::string>> headers = {
    {"Authorization", "Bearer " + wrong},
    {"Authorization", "Bearer " + test::ops_token + "x"},
    {"Authorization", "Bearer " + test::ops_token.substr(0, 10)},
    {"Authorization", "Basic " + test::ops_token},
    {"Authorization", test::ops_token},
    {"Authorization", "Bearer "},
    {"Authorization", "Bearer"},
  };
  test::http_client raw{app().port()};
  for (const auto& [name, value] : headers) {
    SCOPED_TRACE(value);
    for (const std::string target : {"/api/admin/workers", "/api/workflows"}) {
      auto r = raw.get(target, {{name, value}});
      EXPECT_TRUE(is_error(r, 401, "unauthorized"));
      EXPECT_FALSE(r.header("www-authenticate").empty());
      EXPECT_EQ(r.body.find(wrong), std::string::npos) << r.body;
      EXPECT_EQ(r.body.find(test::ops_token.substr(0, 10)), std::string::npos) << r.body;
      for (const auto& [h, v] : r.headers)
        EXPECT_EQ(v.find(wrong), std::string::npos) << h << ": " << v;
    }
  }
  // A forbidden answer names the token, never its value.
  auto r = get("/api/admin/workers", test::ingest_token);
  EXPECT_TRUE(is_error(r, 403, "forbidden"));
  EXPECT_NE(r.body.find("ingester"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(test::ingest_token), std::string::npos) << r.body;
  // The scheme is case-insensitive (RFC 7235), the token is not.
  EXPECT_EQ(raw.get("/api/admin/workers", {{"Authorization", "bearer " + test::ops_token}}).status,
            200);
  std::string upper = test::ops_token;
  for (auto& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(raw.get("/api/admin/workers", {{"Authorization", "Bearer " + upper}}).status, 401);
}

TEST_F(operator_auth_test, operate_grants_read_but_neither_ingest_nor_admin) {
  start_with_tokens();
  for (const std::string target :
       {"/api/workflows", "/api/runbooks", "/api/events", "/api/events/recent"}) {
    EXPECT_EQ(get(target, test::operate_token).status, 200) << target;
    EXPECT_EQ(get(target, test::read_token).status, 200) << target;
    EXPECT_EQ(get(target, test::ops_token).status, 200) << target;
    EXPECT_TRUE(is_error(get(target, test::ingest_token), 403, "forbidden")) << target;
    EXPECT_TRUE(is_error(get(target), 401, "unauthorized")) << target;
  }
  const std::string dry_run = R"({"runbook": "noop", "dry_run": true})";
  EXPECT_EQ(post("/api/runbooks/execute", dry_run, test::operate_token).status, 200);
  EXPECT_EQ(post("/api/runbooks/execute", dry_run, test::ops_token).status, 200);
  EXPECT_TRUE(is_error(post("/api/runbooks/execute", dry_run, test::read_token), 403, "forbidden"));
  EXPECT_TRUE(
    is_error(post("/api/runbooks/execute", dry_run, test::ingest_token), 403, "forbidden"));
  EXPECT_TRUE(is_error(post("/api/runbooks/disable", R"({"runbook": "noop"})", test::read_token),
                       403, "forbidden"));
  EXPECT_TRUE(
    is_error(post("/api/admin/restart-workers", "", test::operate_token), 403, "forbidden"));
  EXPECT_EQ(get_json("/api/runbooks", test::read_token).boolean("/runbooks/0/enabled"), true)
    << "the refused disable changed nothing";
}

TEST_F(operator_auth_test, ingest_endpoints_need_the_ingest_scope) {
  start_with_tokens();
  const std::string event = test::alert_json("AuthCheck", "web-1");
  const std::string webhook = R"({"version":"4","status":"firing","receiver":"vigil",
    "groupKey":"g","truncatedAlerts":0,"groupLabels":{},"commonLabels":{},
    "commonAnnotations":{},"externalURL":"http://am","alerts":[{"status":"firing",
    "labels":{"alertname":"AuthCheck","instance":"web-2"},"annotations":{},
    "startsAt":"2024-05-01T11:00:00Z","endsAt":"0001-01-01T00:00:00Z",
    "generatorURL":"http://p","fingerprint":"1"}]})";
  const std::string v2 = R"([{"labels":{"alertname":"AuthCheck","instance":"web-3"},
    "startsAt":"2024-05-01T11:00:00Z"}])";
  const std::vector<std::pair<std::string, std::string>> endpoints = {
    {"/api/events", event}, {"/api/v1/alertmanager", webhook}, {"/api/v2/alerts", v2}};
  for (const auto& [target, body] : endpoints) {
    SCOPED_TRACE(target);
    EXPECT_TRUE(is_error(post(target, body), 401, "unauthorized"));
    EXPECT_TRUE(is_error(post(target, body, test::read_token), 403, "forbidden"));
    EXPECT_TRUE(is_error(post(target, body, test::operate_token), 403, "forbidden"));
  }
  EXPECT_EQ(events_in_state("accepted") + events_in_state("dispatched"), 0U)
    << "refused requests store nothing";
  for (const auto& [target, body] : endpoints) {
    auto r = post(target, body, test::ingest_token);
    EXPECT_EQ(r.status, 202) << target << ": " << r.body;
  }
  EXPECT_EQ(post("/api/events", test::alert_json("AuthCheck", "web-4"), test::ops_token).status,
            202);
  EXPECT_TRUE(test::eventually([&] { return events_in_state("dispatched") == 4; }))
    << events_in_state("dispatched");
}

TEST_F(operator_auth_test, health_endpoints_need_nothing) {
  start_with_tokens();
  for (const std::string target : {"/api/health", "/-/healthy", "/-/ready"}) {
    EXPECT_EQ(get(target).status, 200) << target;
    EXPECT_EQ(get(target, "not-a-token-at-all-123456").status, 200) << target;
    EXPECT_EQ(get(target, test::ingest_token).status, 200) << target;
  }
  EXPECT_EQ(json_answer{get("/api/health").body}.text("/status"), "ok");
}

TEST_F(operator_auth_test, without_tokens_everything_is_allowed_on_loopback) {
  start();
  EXPECT_EQ(get("/api/admin/workers").status, 200);
  EXPECT_EQ(get("/api/workflows").status, 200);
  EXPECT_EQ(post("/api/events", test::alert_json("Open", "web-1")).status, 202);
  auto drained = post("/api/admin/drain-queue", "");
  EXPECT_EQ(drained.status, 200) << drained.body;
  EXPECT_TRUE(app().draining());
  EXPECT_EQ(post("/api/admin/resume-processing", "").status, 200);
  EXPECT_FALSE(app().draining());
  // A token sent anyway is ignored, not rejected.
  EXPECT_EQ(get("/api/admin/workers", "whatever-token-1234567890").status, 200);
}

TEST_F(operator_auth_test, a_non_loopback_listen_without_tokens_is_refused_unless_insecure) {
  config().server.listen = {"0.0.0.0", 0};
  auto refused = app::application::start(config());
  ASSERT_FALSE(refused) << "started on 0.0.0.0 without tokens";
  EXPECT_EQ(code_of(refused.error()), errc::invalid_argument);
  const auto message = message_of(refused.error());
  EXPECT_NE(message.find("0.0.0.0"), std::string::npos) << message;
  EXPECT_NE(message.find("auth.tokens"), std::string::npos) << message;
  EXPECT_NE(message.find("insecure"), std::string::npos) << message;

  // Nothing was opened: the same data directory starts at once on purpose-insecure settings.
  config().server.insecure = true;
  start();
  EXPECT_EQ(get("/api/admin/workers").status, 200) << "insecure: no tokens, no checks";
  stop();

  // With tokens a wide listen is fine, and the tokens are enforced.
  config().server.insecure = false;
  config().auth.tokens = test::operator_tokens();
  start();
  EXPECT_TRUE(is_error(get("/api/admin/workers"), 401, "unauthorized"));
  EXPECT_EQ(get("/api/admin/workers", test::ops_token).status, 200);
}

TEST(operator_auth, loopback_means_a_loopback_address) {
  for (const std::string host : {"127.0.0.1", "127.1.2.3", "localhost", "::1"})
    EXPECT_TRUE(http::is_loopback(host)) << host;
  for (const std::string host : {"0.0.0.0", "10.0.0.1", "::", "", "127.example.com", "128.0.0.1",
                                 "192.168.1.127", "127.0.0.1.nip.io"})
    EXPECT_FALSE(http::is_loopback(host)) << host;
}

TEST(operator_auth, scopes_grant_as_documented) {
  using v = std::vector<std::string>;
  EXPECT_TRUE(http::scope_grants(v{"admin"}, "ingest"));
  EXPECT_TRUE(http::scope_grants(v{"admin"}, "operate"));
  EXPECT_TRUE(http::scope_grants(v{"operate"}, "read"));
  EXPECT_TRUE(http::scope_grants(v{}, ""));
  EXPECT_FALSE(http::scope_grants(v{"operate"}, "ingest"));
  EXPECT_FALSE(http::scope_grants(v{"operate"}, "admin"));
  EXPECT_FALSE(http::scope_grants(v{"read"}, "operate"));
  EXPECT_FALSE(http::scope_grants(v{"ingest"}, "read"));
  EXPECT_FALSE(http::scope_grants(v{}, "read"));
}

} // namespace
} // namespace vigil
