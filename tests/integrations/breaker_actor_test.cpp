// The breaker actor in front of an adapter, deterministic: CAF's test coordinator, a manual
// clock moved with CAF's, a fake transport. No sleeps.

#include "tests/integrations/breaker_fixture.hpp"

namespace vigil::test {
namespace {

using namespace std::chrono_literals;
using actors::breaker_state;
using actors::call_failure;

std::optional<actors::http_response> status(int code) {
  return fake_transport::reply(code, code >= 500 ? "down" : "fine");
}

TEST_F(breaker_fixture, opens_fails_fast_half_opens_reopens_doubled_and_closes) {
  start({http_integration("svc", 3, 10s)});
  transport->set_responder([](const actors::http_request&) { return status(500); });
  for (int i = 0; i < 3; ++i)
    call("svc");
  ASSERT_EQ(transport->sent(), 3U);
  auto& a = answers();
  ASSERT_EQ(a.size(), 3U);
  EXPECT_EQ(a[1].failure, call_failure::unavailable);
  EXPECT_EQ(a[1].error, "HTTP 500");
  EXPECT_EQ(a[1].retry_after, 0ms);
  EXPECT_EQ(a[3].retry_after, 10s) << "the failure that opened it says when to come back";
  EXPECT_EQ(health("svc").state, breaker_state::open);
  EXPECT_EQ(health("svc").consecutive_failures, 3U);

  // Open: fail at once, with the time until half-open; nothing goes out.
  auto t = call("svc");
  ASSERT_TRUE(answered(t));
  EXPECT_EQ(answers()[t].failure, call_failure::unavailable);
  EXPECT_EQ(answers()[t].error, "circuit_open");
  EXPECT_EQ(answers()[t].retry_after, 10s);
  advance(4s);
  t = call("svc");
  EXPECT_EQ(answers()[t].retry_after, 6s);
  EXPECT_EQ(transport->sent(), 3U);

  // Half-open after the cooldown, on its own timer: one probe, the other caller waits.
  advance(6s);
  EXPECT_EQ(health("svc").state, breaker_state::half_open);
  transport->set_responder(nullptr);
  const auto probe = call("svc");
  const auto waiting = call("svc");
  EXPECT_EQ(transport->sent(), 4U);
  EXPECT_FALSE(answered(probe));
  EXPECT_FALSE(answered(waiting));
  EXPECT_EQ(health("svc").queued, 1U);
  // The probe fails: open again for twice as long; the waiting call learns when.
  ASSERT_TRUE(transport->complete(*status(503)));
  consume_messages();
  EXPECT_EQ(answers()[probe].error, "HTTP 503");
  EXPECT_EQ(answers()[probe].retry_after, 20s);
  EXPECT_EQ(answers()[waiting].error, "circuit_open");
  EXPECT_EQ(answers()[waiting].retry_after, 20s);
  EXPECT_EQ(health("svc").state, breaker_state::open);
  EXPECT_EQ(health("svc").cooldown, 20s);
  EXPECT_EQ(transport->sent(), 4U);

  advance(20s - 1ms);
  EXPECT_EQ(health("svc").state, breaker_state::open);
  advance(1ms);
  EXPECT_EQ(health("svc").state, breaker_state::half_open);
  transport->set_responder([](const actors::http_request&) { return status(200); });
  t = call("svc");
  EXPECT_TRUE(answers()[t].ok());
  EXPECT_EQ(answers()[t].output, "fine");
  const auto h = health("svc");
  EXPECT_EQ(h.state, breaker_state::closed);
  EXPECT_EQ(h.consecutive_failures, 0U);
  EXPECT_EQ(h.last_error, "HTTP 503");
  EXPECT_EQ(h.last_success, clock.now());
  const auto s = service->stats().front();
  EXPECT_EQ(s.opened, 2U);
  EXPECT_EQ(s.half_opened, 2U);
  EXPECT_EQ(s.closed, 1U);
  EXPECT_EQ(s.calls_ok, 1U);
  EXPECT_EQ(s.calls_unavailable, 7U);
  EXPECT_EQ(s.rejected_open, 3U);
  EXPECT_EQ(s.latency_count, 5U);
  EXPECT_EQ(s.retries_hinted, 5U);
}

TEST_F(breaker_fixture, a_successful_probe_closes_and_lets_the_waiting_calls_out) {
  start({http_integration("svc", 1, 5s)});
  transport->set_responder([](const actors::http_request&) { return status(500); });
  call("svc");
  advance(5s);
  transport->set_responder(nullptr);
  const auto probe = call("svc");
  const auto second = call("svc");
  const auto third = call("svc");
  EXPECT_EQ(transport->sent(), 2U);
  ASSERT_TRUE(transport->complete(*status(200)));
  consume_messages();
  EXPECT_TRUE(answers()[probe].ok());
  EXPECT_EQ(health("svc").state, breaker_state::closed);
  EXPECT_EQ(transport->sent(), 4U) << "both waiting calls go out once it closed";
  while (transport->complete(*status(200)))
    consume_messages();
  EXPECT_TRUE(answers()[second].ok());
  EXPECT_TRUE(answers()[third].ok());
}

TEST_F(breaker_fixture, fifty_callers_of_a_dead_service_cost_it_threshold_calls) {
  start({http_integration("svc", 5, 10s)});
  for (int i = 0; i < 50; ++i)
    call("svc");
  EXPECT_EQ(transport->sent(), 5U) << "before any success, only what may fail goes out";
  while (transport->complete(*status(500)))
    consume_messages();
  EXPECT_EQ(answers().size(), 50U);
  std::size_t open = 0;
  for (auto& [token, r] : answers())
    open += r.error == "circuit_open" ? 1 : 0;
  EXPECT_EQ(open, 45U);
  EXPECT_EQ(transport->sent(), 5U);
}

TEST_F(breaker_fixture, bulkhead_caps_calls_in_flight_and_queues_the_rest) {
  auto cfg = http_integration("svc", 100, 10s);
  cfg.max_in_flight = 2;
  start({cfg});
  std::vector<uint64_t> tokens;
  tokens.reserve(5);
  for (int i = 0; i < 5; ++i)
    tokens.push_back(call("svc"));
  EXPECT_EQ(transport->sent(), 2U);
  EXPECT_EQ(health("svc").in_flight, 2U);
  EXPECT_EQ(health("svc").queued, 3U);
  ASSERT_TRUE(transport->complete(*status(200)));
  consume_messages();
  EXPECT_EQ(transport->sent(), 3U);
  EXPECT_EQ(transport->pending(), 2U);
  while (transport->complete(*status(200)))
    consume_messages();
  for (auto t : tokens)
    EXPECT_TRUE(answers()[t].ok()) << t;
  EXPECT_EQ(transport->sent(), 5U);
}

TEST_F(breaker_fixture, disabled_fails_at_once_and_queued_calls_fail_when_disabled) {
  start({http_integration()});
  transport->set_responder([](const actors::http_request&) { return status(200); });
  ASSERT_TRUE(service->disable("svc"));
  EXPECT_FALSE(health("svc").enabled) << "health shows it at once";
  auto t = call("svc");
  EXPECT_EQ(answers()[t].failure, call_failure::unavailable);
  EXPECT_EQ(answers()[t].error, "integration_disabled");
  EXPECT_EQ(transport->sent(), 0U);
  ASSERT_TRUE(service->enable("svc"));
  ASSERT_TRUE(service->pause("svc"));
  consume_messages();
  const auto q1 = call("svc");
  const auto q2 = call("svc");
  EXPECT_FALSE(answered(q1));
  ASSERT_TRUE(service->disable("svc"));
  consume_messages();
  EXPECT_EQ(answers()[q1].error, "integration_disabled");
  EXPECT_EQ(answers()[q2].error, "integration_disabled");
  EXPECT_EQ(transport->sent(), 0U);
  EXPECT_EQ(service->stats().front().rejected_disabled, 3U);
  EXPECT_FALSE(service->disable("nope"));
}

TEST_F(breaker_fixture, paused_calls_wait_without_failing_until_resume) {
  start({http_integration()});
  transport->set_responder([](const actors::http_request&) { return status(200); });
  ASSERT_TRUE(service->pause("svc"));
  consume_messages();
  EXPECT_TRUE(health("svc").paused);
  const auto t1 = call("svc");
  const auto t2 = call("svc");
  advance(1h);
  EXPECT_FALSE(answered(t1));
  EXPECT_FALSE(answered(t2));
  EXPECT_EQ(transport->sent(), 0U);
  EXPECT_EQ(health("svc").queued, 2U);
  ASSERT_TRUE(service->resume("svc"));
  consume_messages();
  EXPECT_TRUE(answers()[t1].ok());
  EXPECT_TRUE(answers()[t2].ok());
  EXPECT_FALSE(health("svc").paused);
}

TEST_F(breaker_fixture, waiting_calls_can_be_withdrawn_and_leave_with_their_requester) {
  start({http_integration()});
  transport->set_responder([](const actors::http_request&) { return status(200); });
  ASSERT_TRUE(service->pause("svc"));
  consume_messages();
  const auto kept = call("svc", "/kept");
  const auto withdrawn = call("svc", "/withdrawn");
  self->send(service->router(), actors::cancel_atom::value, withdrawn, std::string{"svc"});
  consume_messages();
  EXPECT_EQ(answers()[withdrawn].failure, call_failure::error);
  EXPECT_EQ(answers()[withdrawn].error, "withdrawn before it was sent");
  // A requester that ends (a run cancelled, killed or hibernated) takes its call along.
  actors::call_request req;
  req.integration = "svc";
  req.action = "http";
  req.params = R"({"path":"/orphan"})";
  sys.spawn(
    [](caf::event_based_actor* me, const caf::actor& router, const actors::call_request& r) {
      me->send(router, actors::call_atom::value, uint64_t{99}, r);
      me->quit();
    },
    service->router(), req);
  consume_messages();
  EXPECT_EQ(health("svc").queued, 1U);
  ASSERT_TRUE(service->resume("svc"));
  consume_messages();
  EXPECT_TRUE(answers()[kept].ok());
  ASSERT_EQ(transport->sent(), 1U);
  EXPECT_EQ(transport->requests()[0].url, "http://svc.test/kept");
}

TEST_F(breaker_fixture, a_429_with_retry_after_pauses_the_whole_integration) {
  start({http_integration("svc", 5, 10s)});
  int n = 0;
  transport->set_responder([&n](const actors::http_request&) {
    return ++n == 1 ? fake_transport::reply(429, "slow down", {{"retry-after", "5"}})
                    : fake_transport::reply(200, "fine");
  });
  const auto limited = call("svc");
  EXPECT_EQ(answers()[limited].failure, call_failure::rate_limited);
  EXPECT_EQ(answers()[limited].retry_after, 5s);
  const auto next = call("svc");
  EXPECT_FALSE(answered(next)) << "waits, does not fail";
  EXPECT_EQ(health("svc").rate_limited_until, clock.now() + 5s);
  advance(5s - 1ms);
  EXPECT_EQ(transport->sent(), 1U) << "no call goes out before Retry-After";
  advance(1ms);
  EXPECT_EQ(transport->sent(), 2U);
  EXPECT_TRUE(answers()[next].ok());
  const auto s = service->stats().front();
  EXPECT_EQ(s.rate_limit_pauses, 1U);
  EXPECT_EQ(s.calls_rate_limited, 1U);
}

TEST_F(breaker_fixture, token_bucket_paces_calls) {
  auto cfg = http_integration("svc", 100, 10s);
  cfg.rate_limit = {1.0, 2};
  start({cfg});
  transport->set_responder([](const actors::http_request&) { return status(200); });
  for (int i = 0; i < 3; ++i)
    call("svc");
  EXPECT_EQ(transport->sent(), 2U);
  advance(999ms);
  EXPECT_EQ(transport->sent(), 2U);
  advance(1ms);
  EXPECT_EQ(transport->sent(), 3U);
  EXPECT_EQ(service->stats().front().throttled, 1U);
}

TEST_F(breaker_fixture, unknown_integrations_and_bad_params_fail_without_a_request) {
  start({http_integration()});
  auto t = call("nope");
  EXPECT_EQ(answers()[t].failure, call_failure::error);
  EXPECT_EQ(answers()[t].error, "unknown integration nope");
  actors::call_request req;
  req.integration = "svc";
  req.action = "http";
  req.params = R"({"pth": "/typo"})";
  t = call(req);
  EXPECT_EQ(answers()[t].failure, call_failure::error);
  EXPECT_NE(answers()[t].error.find("unknown parameter \"pth\""), std::string::npos)
    << answers()[t].error;
  EXPECT_EQ(transport->sent(), 0U);
}

TEST_F(breaker_fixture, update_replaces_the_config_and_adds_new_integrations) {
  start({http_integration()});
  transport->set_responder([](const actors::http_request&) { return status(200); });
  auto cfg = http_integration();
  cfg.url = "http://moved.test/base";
  service->update("svc", cfg);
  auto other = http_integration("other");
  other.url = "http://other.test";
  service->update("other", other);
  consume_messages();
  call("svc", "/a");
  call("other", "/b");
  const auto reqs = transport->requests();
  ASSERT_EQ(reqs.size(), 2U);
  EXPECT_EQ(reqs[0].url, "http://moved.test/base/a");
  EXPECT_EQ(reqs[1].url, "http://other.test/b");
  EXPECT_EQ(service->names(), (std::vector<std::string>{"other", "svc"}));
}

TEST_F(breaker_fixture, test_probes_now_and_health_shows_the_result) {
  auto slack = http_integration("chat");
  slack.type = "slack";
  start({http_integration(), slack});
  transport->set_responder([](const actors::http_request&) { return status(200); });
  auto f = service->test("svc");
  consume_messages();
  ASSERT_EQ(f.wait_for(0s), std::future_status::ready);
  const auto p = f.get();
  EXPECT_TRUE(p.ran);
  EXPECT_TRUE(p.ok);
  EXPECT_EQ(p.status, 200);
  EXPECT_TRUE(health("svc").last_probe.ok);
  EXPECT_EQ(transport->requests().back().url, "http://svc.test");
  auto none = service->test("chat");
  consume_messages();
  const auto q = none.get();
  EXPECT_FALSE(q.ran);
  EXPECT_NE(q.detail.find("health.path"), std::string::npos) << q.detail;
  EXPECT_EQ(service->test("nope").get().error, "unknown integration nope");
}

TEST_F(breaker_fixture, periodic_probes_follow_the_interval) {
  auto cfg = http_integration();
  cfg.health.path = "/healthz";
  cfg.health.interval = 30s;
  actors::integration_service_options opts;
  opts.transport = transport;
  transport->set_responder([](const actors::http_request&) { return status(503); });
  service = std::make_unique<actors::integration_service>(
    sys, std::vector<model::integration_config>{cfg}, clock, opts);
  consume_messages();
  // One probe at start: health is known at once, not an interval later.
  ASSERT_EQ(transport->sent(), 1U);
  EXPECT_EQ(transport->requests()[0].url, "http://svc.test/healthz");
  const auto h = health("svc");
  EXPECT_FALSE(h.last_probe.ok);
  EXPECT_EQ(h.last_probe.error, "HTTP 503");
  EXPECT_EQ(actors::judge(h), actors::health_word::unhealthy);
  EXPECT_EQ(h.state, actors::breaker_state::closed) << "probes do not move the breaker";
  advance(29s);
  EXPECT_EQ(transport->sent(), 1U);
  advance(1s);
  EXPECT_EQ(transport->sent(), 2U);
  advance(30s);
  EXPECT_EQ(transport->sent(), 3U);
  EXPECT_EQ(service->stats().front().probes_failed, 3U);
}

TEST_F(breaker_fixture, secrets_never_reach_errors_outputs_or_health) {
  auto cfg = http_integration();
  cfg.bearer_token = "s3cr3t-bearer";
  cfg.headers["X-Auth-Token"] = "hdr-s3cr3t";
  start({cfg});
  transport->set_responder([](const actors::http_request& r) {
    std::string echo;
    for (const auto& [k, v] : r.headers)
      echo += k + ": " + v + "\n";
    return fake_transport::reply(400, echo);
  });
  const auto t = call("svc");
  const auto& r = answers()[t];
  ASSERT_EQ(r.failure, call_failure::error);
  for (const auto& text : {r.error, r.output, health("svc").last_error}) {
    EXPECT_EQ(text.find("s3cr3t"), std::string::npos) << text;
  }
  EXPECT_NE(r.output.find("Authorization: [redacted]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Idempotency-Key: run-1/0/1"), std::string::npos) << r.output;
  // The credentials did go to the integration's own origin.
  EXPECT_NE(transport->requests()[0].headers.size(), 0U);
}

} // namespace
} // namespace vigil::test
