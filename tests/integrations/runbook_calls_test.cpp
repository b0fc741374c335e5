// Runbooks calling real local services through the whole engine: the workflow service on the
// real scheduler, the integration service with libcurl, scripted servers. The runbooks and the
// request bodies of docs/integrations.md are the ones checked here. Waits are bounded polls of
// the workflow store while real time passes (real cooldowns and backoffs), never fixed sleeps.

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "actors/integrations/integration_service.hpp"
#include "actors/workflow_service.hpp"
#include "runtime/model/errc.hpp"
#include "storage/database.hpp"
#include "storage/event_log.hpp"
#include "tests/integrations/live_fixture.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::test {
namespace {

using namespace std::chrono_literals;
using model::workflow_state;

/// The fenced block after `<!-- MARKER` in docs/integrations.md.
std::string doc_block(const std::string& marker) {
  std::ifstream in{source_dir() + "/docs/integrations.md"};
  std::stringstream ss;
  ss << in.rdbuf();
  const auto text = ss.str();
  const auto at = text.find("\n<!-- " + marker);
  if (at == std::string::npos)
    return {};
  const auto open = text.find("```", at);
  const auto body = text.find('\n', open) + 1;
  const auto close = text.find("\n```", body);
  return text.substr(body, close - body + 1);
}

/// JSON without the whitespace between tokens (the docs pretty-print).
std::string compact(const std::string& json) {
  std::string out;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < json.size())
        out += json[++i];
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
      out += c;
    } else if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
      out += c;
    }
  }
  return out;
}

class runbook_calls : public live_fixture {
public:
  runbook_calls() {
    auto opened = storage::database::open({dir.file("data")});
    if (!opened)
      throw std::runtime_error(describe(opened.error()));
    db = std::move(*opened);
    log = std::move(
      *storage::event_log::open(*db, model::clock::system(), model::sync_policy::none, 24h));
  }

  ~runbook_calls() override {
    if (wf)
      wf->stop();
    service.reset();
  }

  /// Starts the integrations, then the workflow engine calling them.
  void start_engine(const std::vector<model::integration_config>& configs) {
    start(configs);
    actors::workflow_service_options opts;
    opts.sync = model::sync_policy::none;
    for (const auto& c : configs)
      opts.integrations.push_back(c.name);
    wf = std::make_unique<actors::workflow_service>(sys, *db, *log, model::clock::system(), opts);
    wf->context().integrations = service->router();
  }

  runbook::runbook_ptr load(const std::string& yaml) {
    auto loaded = runbook::load_runbook_text(yaml, "test.yaml", "test.yaml", {"*"});
    if (!loaded) {
      for (const auto& d : loaded.errors())
        ADD_FAILURE() << d.to_string();
      return nullptr;
    }
    return std::make_shared<const runbook::runbook>(std::move(loaded).value());
  }

  /// Waits (bounded) until the run is terminal or parked; its record.
  model::workflow_record settle(const std::string& id, std::chrono::milliseconds limit = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto rec = wf->store().get(id);
      if (rec && (model::is_terminal(rec->state) || rec->state == workflow_state::needs_human))
        return *rec;
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "run " << id << " did not settle";
        return rec ? *rec : model::workflow_record{};
      }
      std::this_thread::sleep_for(10ms);
    }
  }

  temp_dir dir;
  std::unique_ptr<storage::database> db;
  std::unique_ptr<storage::event_log> log;
  std::unique_ptr<actors::workflow_service> wf;
};

TEST_F(runbook_calls, a_step_against_a_service_failing_ten_times_waits_out_the_breaker) {
  auto cfg = integration("deploy-hooks", "http");
  cfg.circuit_breaker.failure_threshold = 3;
  cfg.circuit_breaker.cooldown = 200ms;
  cfg.circuit_breaker.max_cooldown = 400ms;
  start_engine({cfg});
  // Ten failures in a row, each with its own request id (as real services answer), then well.
  server.set_handler([n = std::make_shared<std::atomic<int>>(0)](
                       const recorded_request&) -> std::optional<scripted_response> {
    if (++*n <= 10)
      return scripted_response::json(500, R"({"error":"backend down","request":)"
                                            + std::to_string(n->load()) + "}");
    return scripted_response::ok("restarted");
  });
  auto book = load(R"(
name: restart-via-webhook
steps:
  - name: restart
    action: http
    integration: deploy-hooks
    params:
      method: POST
      path: /hooks/restart
      body: {service: "{{ params.service }}"}
    retry: {attempts: 30, initial: 50ms, max: 100ms, jitter: 0}
)");
  auto id = wf->execute(book, {{"service", "nginx"}});
  ASSERT_TRUE(id) << describe(id.error());
  const auto rec = settle(*id);
  EXPECT_EQ(rec.state, workflow_state::completed) << rec.error << " / " << rec.reason;
  EXPECT_EQ(rec.steps.at(0).output, "restarted");
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 11U);
  EXPECT_EQ(reqs[0].body, R"({"service":"nginx"})");
  auto gap = [&](std::size_t i) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(reqs[i].at - reqs[i - 1].at);
  };
  // Three calls at the run's own pace (its 50-100 ms backoff), then the breaker is open: the
  // next call is the probe after the 200 ms cooldown, and each later probe waits the doubled
  // (capped) cooldown.
  EXPECT_LT(gap(1), 200ms);
  EXPECT_LT(gap(2), 200ms);
  EXPECT_GE(gap(3), 200ms);
  for (std::size_t i = 4; i < reqs.size(); ++i)
    EXPECT_GE(gap(i), 400ms) << "request " << i;
  const auto s = service->stats().front();
  EXPECT_EQ(s.opened, 8U) << "opened once, reopened by each of the seven failed probes";
  EXPECT_EQ(s.closed, 1U);
  EXPECT_EQ(service->health("deploy-hooks")->state, actors::breaker_state::closed);
}

TEST_F(runbook_calls, pagerduty_and_slack_steps_send_the_documented_bodies) {
  auto pd = integration("pagerduty", "pagerduty");
  pd.routing_key = "R0UT1NGKEY00000000000000000000AB";
  auto slack = integration("slack", "slack");
  slack.url.clear();
  slack.webhook_url = server.url() + "/services/T0000/B0000/XXXXXXXX";
  start_engine({pd, slack});
  const model::label_set labels = [] {
    model::label_set l;
    l.set("alertname", "HighMemoryUsage");
    l.set("instance", "web-1");
    l.set("service", "nginx");
    return l;
  }();
  const auto fingerprint = model::fingerprint_hex(model::fingerprint_of(labels));
  server.set_handler([fingerprint](const recorded_request& r) -> std::optional<scripted_response> {
    if (r.target == "/v2/enqueue")
      return scripted_response::json(202, R"({"status":"success","message":"Event processed",)"
                                          R"("dedup_key":")"
                                            + fingerprint + R"("})");
    return scripted_response::ok("ok");
  });
  const auto yaml = doc_block("example: page-and-tell");
  ASSERT_FALSE(yaml.empty()) << "docs/integrations.md lost its example";
  auto book = load(yaml);
  ASSERT_TRUE(book);
  auto id = wf->execute(book, {}, labels);
  ASSERT_TRUE(id) << describe(id.error());
  const auto rec = settle(*id);
  ASSERT_EQ(rec.state, workflow_state::completed) << rec.error;
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2U);
  EXPECT_EQ(reqs[0].target, "/v2/enqueue");
  auto documented_pd = compact(doc_block("request: pagerduty"));
  EXPECT_EQ(reqs[0].body, documented_pd);
  EXPECT_NE(documented_pd.find(R"("dedup_key":")" + fingerprint + "\""), std::string::npos)
    << "the documented dedup_key is the fingerprint of the documented labels: " << fingerprint;
  EXPECT_EQ(reqs[1].target, "/services/T0000/B0000/XXXXXXXX");
  EXPECT_EQ(reqs[1].body, compact(doc_block("request: slack")));
}

// -- what a label may not do to an http step (the adversarial run's injections) -------------

/// One label `key=value`, for a run's trigger.
model::label_set one_label(const std::string& key, const std::string& value) {
  model::label_set l;
  l.set(key, value);
  return l;
}

TEST_F(runbook_calls, a_cr_or_lf_rendered_into_a_header_refuses_the_call_and_sends_nothing) {
  auto cfg = integration("hooks", "http");
  cfg.bearer_token = "tok-SECRET-42";
  start_engine({cfg});
  auto book = load(R"(
name: note
steps:
  - name: tell
    action: http
    integration: hooks
    params:
      method: POST
      path: /hook
      headers: {X-Note: "{{ labels.h }}"}
      body: {}
    retry: {attempts: 1}
)");
  ASSERT_TRUE(book);
  const std::string smuggled = "v\r\nX-Injected: yes\r\n\r\nDELETE /everything HTTP/1.1\r\nHost: x";
  for (const auto& value : {smuggled, std::string{"v\nX-Injected: yes"}, std::string{"v\0w", 3}}) {
    auto id = wf->execute(book, {}, one_label("h", value));
    ASSERT_TRUE(id) << describe(id.error());
    const auto rec = settle(*id);
    EXPECT_EQ(rec.state, workflow_state::failed);
    EXPECT_NE(rec.steps.at(0).error.find("header X-Note"), std::string::npos)
      << rec.steps.at(0).error;
    EXPECT_EQ(rec.steps.at(0).error.find("SECRET"), std::string::npos);
  }
  EXPECT_TRUE(server.requests().empty()) << server.requests().front().target;
  // A clean value still goes out, with the token, in one request.
  auto id = wf->execute(book, {}, one_label("h", "a note"));
  ASSERT_TRUE(id);
  EXPECT_EQ(settle(*id).state, workflow_state::completed);
  ASSERT_EQ(server.requests().size(), 1U);
  EXPECT_EQ(server.requests()[0].header("x-note"), "a note");
  EXPECT_EQ(server.requests()[0].header("x-injected"), "");
}

TEST_F(runbook_calls, a_label_rendered_into_a_path_stays_one_segment_and_cannot_climb_out) {
  start_engine({integration("hooks", "http")});
  auto book = load(R"(
name: hook
steps:
  - name: call
    action: http
    integration: hooks
    params: {method: GET, path: "/hook/{{ labels.p }}"}
    retry: {attempts: 1}
)");
  ASSERT_TRUE(book);
  const std::vector<std::pair<std::string, std::string>> sent_as = {
    {"../../admin", "/hook/..%2F..%2Fadmin"},
    {"x?admin=true", "/hook/x%3Fadmin%3Dtrue"},
    {"a b#frag", "/hook/a%20b%23frag"},
    {"web-1.example_host~", "/hook/web-1.example_host~"},
  };
  for (const auto& [value, target] : sent_as) {
    auto id = wf->execute(book, {}, one_label("p", value));
    ASSERT_TRUE(id);
    EXPECT_EQ(settle(*id).state, workflow_state::completed) << value;
    ASSERT_FALSE(server.requests().empty());
    EXPECT_EQ(server.requests().back().target, target) << value;
  }
  const auto before = server.requests().size();
  for (const std::string value : {"..", "."}) {
    auto id = wf->execute(book, {}, one_label("p", value));
    ASSERT_TRUE(id);
    const auto rec = settle(*id);
    EXPECT_EQ(rec.state, workflow_state::failed) << value;
    EXPECT_NE(rec.steps.at(0).error.find("segment"), std::string::npos) << rec.steps.at(0).error;
  }
  EXPECT_EQ(server.requests().size(), before) << "a dot segment reached the service";
}

TEST_F(runbook_calls, raw_path_keeps_a_rendered_path_as_written_but_never_a_dot_segment) {
  start_engine({integration("hooks", "http")});
  auto book = load(R"(
name: raw
steps:
  - name: call
    action: http
    integration: hooks
    params: {method: GET, path: "/api/{{ labels.p }}", raw_path: true}
    retry: {attempts: 1}
)");
  ASSERT_TRUE(book);
  auto id = wf->execute(book, {}, one_label("p", "v1/items?limit=5"));
  ASSERT_TRUE(id);
  EXPECT_EQ(settle(*id).state, workflow_state::completed);
  ASSERT_EQ(server.requests().size(), 1U);
  EXPECT_EQ(server.requests()[0].target, "/api/v1/items?limit=5");
  for (const std::string value : {"../admin", "%2e%2E/admin", "x/%2E/y"}) {
    id = wf->execute(book, {}, one_label("p", value));
    ASSERT_TRUE(id);
    EXPECT_EQ(settle(*id).state, workflow_state::failed) << value;
  }
  EXPECT_EQ(server.requests().size(), 1U);
}

TEST_F(runbook_calls, every_runbook_and_config_example_in_the_docs_loads) {
  std::ifstream in{source_dir() + "/docs/integrations.md"};
  std::stringstream ss;
  ss << in.rdbuf();
  const auto text = ss.str();
  std::size_t examples = 0;
  for (auto at = text.find("\n<!-- example: "); at != std::string::npos;
       at = text.find("\n<!-- example: ", at + 1)) {
    const auto name = text.substr(at + 15, text.find(' ', at + 15) - at - 15);
    EXPECT_TRUE(load(doc_block("example: " + name))) << name;
    ++examples;
  }
  EXPECT_GE(examples, 4U) << "one per action at least";
  auto cfg = model::load_config_text(doc_block("config"), "docs/integrations.md",
                                     [](const std::string&) -> std::optional<std::string> {
                                       return std::string{"secret-from-env"};
                                     });
  ASSERT_TRUE(cfg) << (cfg ? "" : cfg.errors().front().to_string());
  EXPECT_GE(cfg.value().integrations.size(), 5U);
}

} // namespace
} // namespace vigil::test
