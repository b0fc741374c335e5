// The adapters' pure rules: Retry-After, conditions, redaction, how answers count, request
// building details that need no server.

#include <gtest/gtest.h>

#include "actors/integrations/adapters.hpp"

namespace vigil::actors {
namespace {

using namespace std::chrono_literals;

/// Sun, 06 Nov 1994 08:49:37 GMT
const model::timestamp rfc_example = model::from_unix_nanos(784'111'777'000'000'000);

TEST(adapter_rules, retry_after_takes_seconds_or_an_http_date_and_is_capped) {
  EXPECT_EQ(parse_retry_after("120", rfc_example), 120s);
  EXPECT_EQ(parse_retry_after("0", rfc_example), 0s);
  EXPECT_EQ(parse_retry_after("99999999", rfc_example), 1h);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", rfc_example), 10s);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:27 GMT", rfc_example), 0s) << "past";
  EXPECT_EQ(parse_retry_after("soon", rfc_example), std::nullopt);
  EXPECT_EQ(parse_retry_after("", rfc_example), std::nullopt);
}

TEST(adapter_rules, conditions_parse_and_hold) {
  auto c = parse_condition("value < 80");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->holds(79.9));
  EXPECT_FALSE(c->holds(80));
  EXPECT_TRUE(parse_condition("value<=80")->holds(80));
  EXPECT_TRUE(parse_condition(" value >= -1.5 ")->holds(-1.5));
  EXPECT_TRUE(parse_condition("value == 0")->holds(0));
  EXPECT_TRUE(parse_condition("value != 0")->holds(std::nan("")));
  EXPECT_FALSE(parse_condition("value > 0")->holds(std::nan("")));
  EXPECT_FALSE(parse_condition("value ~ 3"));
  EXPECT_FALSE(parse_condition("val < 3"));
  EXPECT_FALSE(parse_condition("value < 3x"));
  EXPECT_FALSE(parse_condition("value <"));
}

TEST(adapter_rules, the_redactor_hides_every_secret_and_the_webhook_path) {
  model::integration_config cfg;
  cfg.routing_key = "rk-0123456789";
  cfg.webhook_url = "https://hooks.slack.com/services/T0/B0/SECRETPART";
  cfg.headers["Authorization"] = "Basic dXNlcjpwYXNz";
  cfg.headers["X-Team"] = "ops";
  redactor r{cfg};
  r.add("step-token-1");
  const auto out = r("rk-0123456789 /services/T0/B0/SECRETPART Basic dXNlcjpwYXNz ops "
                     "step-token-1 https://hooks.slack.com/services/T0/B0/SECRETPART");
  EXPECT_EQ(out.find("rk-0123"), std::string::npos) << out;
  EXPECT_EQ(out.find("SECRETPART"), std::string::npos) << out;
  EXPECT_EQ(out.find("dXNlcjpwYXNz"), std::string::npos) << out;
  EXPECT_EQ(out.find("step-token-1"), std::string::npos) << out;
  EXPECT_NE(out.find(" ops "), std::string::npos) << "plain header values stay";
  EXPECT_TRUE(is_credential_header("X-Api-Key"));
  EXPECT_TRUE(is_credential_header("authorization"));
  EXPECT_FALSE(is_credential_header("Idempotency-Key"));
  EXPECT_FALSE(is_credential_header("Content-Type"));
}

TEST(adapter_rules, what_counts_as_a_failure_for_the_breaker) {
  const auto now = rfc_example;
  http_response r;
  r.status = 404;
  EXPECT_TRUE(outcome_of(r, now).counted);
  EXPECT_FALSE(outcome_of(r, now).failure) << "the service answered: it is up";
  r.status = 503;
  EXPECT_TRUE(outcome_of(r, now).failure);
  r.status = 429;
  r.headers.emplace_back("retry-after", "7");
  EXPECT_TRUE(outcome_of(r, now).failure);
  EXPECT_EQ(outcome_of(r, now).retry_after_header, 7s);
  http_response t;
  t.error = transport_error::timeout;
  EXPECT_TRUE(outcome_of(t, now).failure);
  t.error = transport_error::other; // a bad URL: says nothing about the service
  EXPECT_FALSE(outcome_of(t, now).counted);
}

TEST(adapter_rules, pagerduty_summary_is_cut_at_1024_bytes_on_a_character_boundary) {
  model::integration_config cfg;
  cfg.name = "pd";
  cfg.url = "https://events.pagerduty.com/";
  cfg.routing_key = "rk";
  call_request req;
  req.action = "pagerduty";
  std::string summary;
  for (int i = 0; i < 600; ++i)
    summary += "\xc3\xa9"; // é: two bytes, 1200 in all
  req.params = R"({"summary":")" + summary + R"("})";
  req.fingerprint = "0000000000000000";
  req.key = "wf-9/2/3";
  const auto plan = plan_call(cfg, req, rfc_example);
  ASSERT_TRUE(plan.error.empty()) << plan.error;
  EXPECT_EQ(plan.request.url, "https://events.pagerduty.com/v2/enqueue");
  const auto& body = plan.request.body;
  const auto start = body.find(R"("summary":")") + 11;
  const auto end = body.find('"', start);
  EXPECT_EQ(end - start, 1024U);
  EXPECT_NE(body.find(R"("dedup_key":"wf-9/2")"), std::string::npos)
    << "no alert: the run and step, the same for every attempt: " << body;
}

TEST(adapter_rules, params_are_checked_before_anything_is_sent) {
  model::integration_config cfg;
  cfg.name = "svc";
  cfg.url = "http://svc.test";
  call_request req;
  req.action = "http";
  req.params = R"({"path":"/a","url":"http://other.test/b"})";
  EXPECT_NE(plan_call(cfg, req, rfc_example).error.find("not both"), std::string::npos);
  req.params = R"({"method":"BREW"})";
  EXPECT_NE(plan_call(cfg, req, rfc_example).error.find("unknown method"), std::string::npos);
  req.params = R"({"expect_status":"abc"})";
  EXPECT_FALSE(plan_call(cfg, req, rfc_example).error.empty());
  req.params = R"({"url":"ftp://x"})";
  EXPECT_FALSE(plan_call(cfg, req, rfc_example).error.empty());
  req.action = "slack";
  req.params = R"({"text":""})";
  EXPECT_NE(plan_call(cfg, req, rfc_example).error.find("give text"), std::string::npos);
  req.action = "alertmanager_silence";
  req.params = R"({"duration":"2h"})";
  EXPECT_NE(plan_call(cfg, req, rfc_example).error.find("give labels"), std::string::npos);
  req.action = "shell";
  EXPECT_FALSE(plan_call(cfg, req, rfc_example).error.empty());
}

} // namespace
} // namespace vigil::actors
