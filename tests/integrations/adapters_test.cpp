// Each adapter's exact request, against a real local server, through libcurl.

#include "tests/integrations/live_fixture.hpp"

namespace vigil::test {
namespace {

using namespace std::chrono_literals;
using actors::call_failure;

/// 2024-05-01T12:00:00Z: silences start "now".
const model::timestamp may_first = model::from_unix_nanos(1'714'564'800'000'000'000);

TEST_F(live_fixture, http_sends_method_path_headers_json_body_and_idempotency_key) {
  auto cfg = integration("hooks", "http");
  cfg.url = server.url() + "/base/";
  cfg.headers["X-Source"] = "vigil-test";
  cfg.bearer_token = "tok-123456";
  start({cfg});
  server.push(scripted_response::json(201, R"({"restarted":true})"));
  auto r = call("hooks", "http",
                R"({"method":"post","path":"/hooks/restart?now=1","headers":{"X-Team":"ops"},)"
                R"("body":{"service":"nginx","count":2e+02,"tags":["a","b"]}})");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.output, R"({"restarted":true})");
  const auto req = server.requests().at(0);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/base/hooks/restart?now=1");
  EXPECT_EQ(req.body, R"({"service":"nginx","count":200,"tags":["a","b"]})");
  EXPECT_EQ(req.header("content-type"), "application/json");
  EXPECT_EQ(req.header("idempotency-key"), "wf-1/0/1");
  EXPECT_EQ(req.header("x-team"), "ops");
  EXPECT_EQ(req.header("x-source"), "vigil-test");
  EXPECT_EQ(req.header("authorization"), "Bearer tok-123456");
}

TEST_F(live_fixture, http_text_body_expect_status_and_default_2xx) {
  start({integration("hooks", "http")});
  server.push(scripted_response::with_status(404, "no such thing"), 2);
  auto r = call("hooks", "http", R"({"path":"/gone","body":"plain words"})");
  EXPECT_EQ(r.failure, call_failure::error);
  EXPECT_EQ(r.error, "HTTP 404: no such thing");
  auto req = server.requests().at(0);
  EXPECT_EQ(req.method, "POST") << "a body without a method is a POST";
  EXPECT_EQ(req.body, "plain words");
  EXPECT_EQ(req.header("content-type"), "text/plain; charset=utf-8");
  r = call("hooks", "http", R"({"method":"DELETE","path":"/gone","expect_status":[404,410]})");
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(server.requests().at(1).method, "DELETE");
}

TEST_F(live_fixture, http_credentials_stay_with_the_integrations_own_origin) {
  scripted_http_server elsewhere;
  auto cfg = integration("hooks", "http");
  cfg.bearer_token = "tok-123456";
  cfg.headers["X-Source"] = "vigil-test";
  start({cfg});
  auto r = call("hooks", "http", R"({"url":")" + elsewhere.url() + R"(/health"})");
  ASSERT_TRUE(r.ok()) << r.error;
  const auto req = elsewhere.requests().at(0);
  EXPECT_EQ(req.target, "/health");
  EXPECT_EQ(req.header("authorization"), "");
  EXPECT_EQ(req.header("x-source"), "vigil-test") << "plain headers still go";
}

TEST_F(live_fixture, http_does_not_follow_redirects_unless_told) {
  auto cfg = integration("hooks", "http");
  start({cfg});
  scripted_response moved = scripted_response::with_status(302, "");
  moved.headers.emplace_back("Location", server.url() + "/elsewhere");
  server.push(moved);
  auto r = call("hooks", "http", R"({"path":"/old"})");
  EXPECT_EQ(r.failure, call_failure::error);
  EXPECT_EQ(r.error, "HTTP 302: redirects are not followed");
  EXPECT_EQ(server.count(), 1U);
  cfg.follow_redirects = true;
  service->update("hooks", cfg);
  server.push(moved);
  r = call("hooks", "http", R"({"path":"/old"})");
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(server.requests().back().target, "/elsewhere");
}

TEST_F(live_fixture, pagerduty_sends_the_documented_events_v2_body) {
  auto cfg = integration("pagerduty", "pagerduty");
  cfg.routing_key = "R0UT1NGKEY00000000000000000000AB";
  start({cfg});
  server.push(scripted_response::json(
    202, R"({"status":"success","message":"Event processed","dedup_key":"3f2a9c0d1e4b5a6c"})"));
  auto r = call("pagerduty", "pagerduty",
                R"({"event_action":"trigger","summary":"High memory on web-1","source":"web-1",)"
                R"("severity":"critical","component":"nginx","group":"web","class":"memory",)"
                R"("custom_details":{"used_percent":9.35e+01,"runbook":"high-memory"},)"
                R"("links":[{"href":"https://grafana.example/d/mem","text":"Dashboard"}]})",
                "3f2a9c0d1e4b5a6c");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.output, "3f2a9c0d1e4b5a6c");
  const auto req = server.requests().at(0);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/v2/enqueue");
  EXPECT_EQ(req.header("content-type"), "application/json");
  EXPECT_EQ(req.body,
            R"({"routing_key":"R0UT1NGKEY00000000000000000000AB","event_action":"trigger",)"
            R"("dedup_key":"3f2a9c0d1e4b5a6c","payload":{"summary":"High memory on web-1",)"
            R"("source":"web-1","severity":"critical","component":"nginx","group":"web",)"
            R"("class":"memory","custom_details":{"used_percent":93.5,"runbook":"high-memory"}},)"
            R"("links":[{"href":"https://grafana.example/d/mem","text":"Dashboard"}]})");
}

TEST_F(live_fixture, pagerduty_cuts_the_summary_resolves_by_key_and_classifies_errors) {
  auto cfg = integration("pagerduty", "pagerduty");
  cfg.routing_key = "R0UT1NGKEY00000000000000000000AB";
  start({cfg});
  server.set_fallback(scripted_response::json(202, R"({"status":"success"})"));
  const std::string long_summary(1500, 'x');
  auto r =
    call("pagerduty", "pagerduty", R"({"summary":")" + long_summary + R"("})", "00ff00ff00ff00ff");
  ASSERT_TRUE(r.ok()) << r.error;
  const auto body = server.requests().at(0).body;
  EXPECT_NE(body.find(R"("summary":")" + std::string(1024, 'x') + R"(")"), std::string::npos);
  EXPECT_EQ(body.find(std::string(1025, 'x')), std::string::npos);
  EXPECT_NE(body.find(R"("source":"vigil","severity":"error")"), std::string::npos) << body;
  r = call("pagerduty", "pagerduty", R"({"event_action":"resolve"})", "00ff00ff00ff00ff");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(server.requests().at(1).body,
            R"({"routing_key":"R0UT1NGKEY00000000000000000000AB","event_action":"resolve",)"
            R"("dedup_key":"00ff00ff00ff00ff"})");
  server.push(scripted_response::json(400, R"({"status":"invalid event","errors":["bad"]})"));
  server.push(scripted_response::with_status(429, "slow"));
  server.push(scripted_response::with_status(502, "bad gateway"));
  EXPECT_EQ(call("pagerduty", "pagerduty", R"({"summary":"x"})").failure, call_failure::error);
  EXPECT_EQ(call("pagerduty", "pagerduty", R"({"summary":"x"})").failure,
            call_failure::rate_limited);
  EXPECT_EQ(call("pagerduty", "pagerduty", R"({"summary":"x"})").failure,
            call_failure::unavailable);
  r = call("pagerduty", "pagerduty", R"({"summary":"x","severity":"urgent"})");
  EXPECT_EQ(r.failure, call_failure::error);
  EXPECT_NE(r.error.find("severity must be"), std::string::npos);
  EXPECT_EQ(server.count(), 5U) << "a bad severity sends nothing";
}

TEST_F(live_fixture, slack_posts_text_and_blocks_to_the_webhook_and_hides_it) {
  auto cfg = integration("slack", "slack");
  cfg.url.clear();
  cfg.webhook_url = server.url() + "/services/T0000/B0000/XXXXSECRETXXXX";
  start({cfg});
  auto r = call("slack", "slack",
                R"({"text":"Restarted nginx on web-1","blocks":[{"type":"section",)"
                R"("text":{"type":"mrkdwn","text":"*Restarted* nginx"}}]})");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.output, "ok");
  const auto req = server.requests().at(0);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/services/T0000/B0000/XXXXSECRETXXXX");
  EXPECT_EQ(req.body, R"({"text":"Restarted nginx on web-1","blocks":[{"type":"section",)"
                      R"("text":{"type":"mrkdwn","text":"*Restarted* nginx"}}]})");
  server.push(
    scripted_response::with_status(404, "no_service /services/T0000/B0000/XXXXSECRETXXXX"));
  r = call("slack", "slack", R"({"text":"hi"})");
  EXPECT_EQ(r.failure, call_failure::error);
  EXPECT_EQ(r.error.find("XXXXSECRET"), std::string::npos) << r.error;
  EXPECT_EQ(r.output.find("XXXXSECRET"), std::string::npos) << r.output;
  EXPECT_EQ(service->health("slack")->last_error.find("XXXXSECRET"), std::string::npos);
}

TEST_F(live_fixture, alertmanager_silence_sends_equal_matchers_and_returns_the_id) {
  manual.set(may_first);
  start({integration("alertmanager", "alertmanager")}, manual);
  server.push(scripted_response::json(200, R"({"silenceID":"7f3c1e2a-silence"})"));
  auto r = call("alertmanager", "alertmanager_silence",
                R"({"labels":{"alertname":"HighCPU","instance":"web-1"},"duration":"2h",)"
                R"("createdBy":"ops-bot","comment":"maintenance"})");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.output, "7f3c1e2a-silence");
  const auto req = server.requests().at(0);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/api/v2/silences");
  EXPECT_EQ(req.body,
            R"({"matchers":[{"name":"alertname","value":"HighCPU","isRegex":false,"isEqual":true},)"
            R"({"name":"instance","value":"web-1","isRegex":false,"isEqual":true}],)"
            R"("startsAt":"2024-05-01T12:00:00.000Z","endsAt":"2024-05-01T14:00:00.000Z",)"
            R"("createdBy":"ops-bot","comment":"maintenance"})");
  // Its health probe lists the active alerts.
  server.push(scripted_response::json(
    200, R"([{"labels":{"alertname":"HighCPU"}},{"labels":{"alertname":"DiskFull"}}])"));
  auto p = service->test("alertmanager");
  ASSERT_EQ(p.wait_for(10s), std::future_status::ready);
  const auto probe = p.get();
  EXPECT_TRUE(probe.ok) << probe.error;
  EXPECT_EQ(probe.detail, "2 active alerts: HighCPU, DiskFull");
  EXPECT_EQ(server.requests().at(1).target,
            "/api/v2/alerts?active=true&silenced=false&inhibited=false");
}

TEST_F(live_fixture, prometheus_query_encodes_the_query_and_evaluates_the_condition) {
  start({integration("prometheus", "prometheus")});
  auto vector = [](const std::string& v) {
    return scripted_response::json(
      200,
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1714564800.1,")"
        + v + R"("]}]}})");
  };
  server.push(vector("72.5"));
  server.push(vector("91.2"));
  server.push(scripted_response::json(
    200, R"({"status":"success","data":{"resultType":"vector","result":[]}})"));
  server.push(vector("3"));
  const std::string q = R"(avg(cpu_usage_percent{instance=\"web-1\"}))";
  auto r =
    call("prometheus", "prometheus_query", R"({"query":")" + q + R"(","condition":"value < 80"})");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.output, "72.5");
  EXPECT_EQ(server.requests().at(0).target,
            "/api/v1/query?query=avg%28cpu_usage_percent%7Binstance%3D%22web-1%22%7D%29");
  r =
    call("prometheus", "prometheus_query", R"({"query":")" + q + R"(","condition":"value < 80"})");
  EXPECT_EQ(r.failure, call_failure::error);
  EXPECT_EQ(r.error, "condition `value < 80` does not hold: value is 91.2");
  EXPECT_EQ(r.output, "91.2");
  r = call("prometheus", "prometheus_query", R"({"query":"up == 0"})");
  EXPECT_EQ(r.error, "the query returned no data");
  r = call("prometheus", "prometheus_query", R"({"query":"up"})");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.output, "3");
  r = call("prometheus", "prometheus_query", R"({"query":"up","condition":"value ~ 3"})");
  EXPECT_NE(r.error.find("is not of the form"), std::string::npos) << r.error;
  EXPECT_EQ(server.count(), 4U);
}

TEST_F(live_fixture, slow_reset_oversized_and_unreachable_services) {
  auto cfg = integration("svc", "http");
  cfg.timeout = 300ms;
  cfg.circuit_breaker.failure_threshold = 100;
  start({cfg});
  server.push(scripted_response::slow(3s));
  auto r = call("svc", "http", R"({"path":"/slow"})");
  EXPECT_EQ(r.failure, call_failure::timeout);
  EXPECT_EQ(r.error.rfind("timed out", 0), 0U) << r.error;
  server.push(scripted_response::connection_reset());
  r = call("svc", "http", R"({"path":"/reset"})");
  EXPECT_EQ(r.failure, call_failure::unavailable);
  EXPECT_EQ(r.error.rfind("connection failed", 0), 0U) << r.error;
  server.push(scripted_response::ok(std::string(3 << 20, 'z')));
  r = call("svc", "http", R"({"path":"/big"})");
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_LT(r.output.size(), 70U * 1024) << "the output is cut; the body was capped at 1 MiB";
  EXPECT_NE(r.output.find("[truncated]"), std::string::npos);
  r = call("svc", "http", R"({"url":"http://127.0.0.1:1/nothing"})");
  EXPECT_EQ(r.failure, call_failure::unavailable);
  const auto s = service->stats().front();
  EXPECT_EQ(s.calls_timeout, 1U);
  EXPECT_EQ(s.calls_unavailable, 2U);
  EXPECT_EQ(s.calls_ok, 1U);
}

} // namespace
} // namespace vigil::test
