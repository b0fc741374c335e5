// The operations runbook is the contract of Vigil's API: every `curl` command of its ```bash
// blocks (tests/docs/reference/operations-runbook.md, a copy of the reference document) runs
// against a fresh `vigil serve` with the shipped configs/, as written, in page order, and must
// give the operator a true answer.
//
// "As written" means the text of the page, with only what a test cannot have replaced:
// - `localhost:9000` becomes the test server's address; Prometheus and Alertmanager (the shipped
//   config's `http://localhost:9090` and `:9093`, the page's `http://prometheus:9090`) a local
//   stand-in answering as they do; the page's backup folder a temp dir; a `$ ` prompt goes.
// - `wf-12345` and `$WORKFLOW_ID` become a real run: the first id printed by the latest command
//   that printed one (the page lists or starts a run before it acts on "the" run).
// - `watch -n N "COMMAND"` runs COMMAND once; `vim DIR/$(...)` becomes `test -f` of the same
//   path in the test's copy of the runbooks (the run's `runbook` must name a file that exists).
// - Every `curl` gets `--fail-with-body`, so that a status other than 2xx fails the line.
// - `NAME=$(curl ...)` prints `$NAME` afterwards: the value is the line's answer.
// A line passes when it exits 0 (curl 2xx, jq without an error, `-o pipefail`) and, when it asks
// for data (its output goes to the terminal), prints something other than nothing or `null`.
// Filters that select (`select(...)`) may legitimately print nothing: all is well.
// A command that fails is tried again for a while (runs move on asynchronously).
//
// Commands that talk to something other than Vigil (`curl http://prometheus:9090/...`) are not
// Vigil's contract and are left out.

#include <chrono>
#include <filesystem>
#include <gtest/gtest.h>
#include <iostream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/doc_commands.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/scripted_http_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string page_path = "/tests/docs/reference/operations-runbook.md";

/// What the line's output must show (see the rules above).
enum class expects { data, anything };

struct adapted {
  std::string script;
  expects want = expects::data;
};

/// A command of the page made ready for the test server; nullopt when it is not Vigil's.
std::optional<adapted> adapt(std::string command, uint16_t port, const std::string& stub_url,
                             const std::string& runbooks, const std::string& workflow_id,
                             const std::string& scratch = "/tmp") {
  if (command.find("localhost:9000") == std::string::npos)
    return std::nullopt;
  if (command.rfind("$ ", 0) == 0) // a terminal transcript's prompt
    command = command.substr(2);
  test::replace_all(command, "localhost:9000", "127.0.0.1:" + std::to_string(port));
  for (const char* service : {"http://localhost:9090", "http://localhost:9093",
                              "http://prometheus:9090", "http://alertmanager:9093"})
    test::replace_all(command, service, stub_url);
  test::replace_all(command, "/backup/autonomous-devops/", scratch + "/");
  test::replace_all(command, " /archive/", " " + scratch + "/");
  if (!workflow_id.empty())
    test::replace_all(command, "wf-12345", workflow_id);
  // watch -n 2 "curl ... | jq '.status'": once.
  static const std::regex watch{R"re(^watch -n [0-9]+ (["'])([\s\S]*)\1\s*$)re"};
  std::smatch m;
  if (std::regex_match(command, m, watch))
    command = m[2].str();
  static const std::regex vim{R"re(^vim [^$]*/runbooks/\$\()re"};
  command = std::regex_replace(command, vim, "test -f " + runbooks + "/$(");
  test::replace_all(command, "curl ", "curl --fail-with-body ");
  adapted a;
  static const std::regex assign{R"re(^([A-Z_]+)=\$\()re"};
  if (std::regex_search(command, m, assign))
    command += "\nprintf '%s\\n' \"$" + m[1].str() + "\"";
  const bool to_terminal = command.find(" > ") == std::string::npos
                           && command.find(">\\\n") == std::string::npos
                           && command.rfind("test -f", 0) != 0;
  const bool selects = command.find("select(") != std::string::npos;
  a.want = to_terminal && !selects ? expects::data : expects::anything;
  a.script =
    "WORKFLOW_ID=" + (workflow_id.empty() ? std::string{"wf-12345"} : workflow_id) + "\n" + command;
  return a;
}

/// The output with blank lines and whitespace trimmed.
std::string trimmed(const std::string& s) {
  const auto from = s.find_first_not_of(" \t\r\n");
  if (from == std::string::npos)
    return {};
  const auto to = s.find_last_not_of(" \t\r\n");
  return s.substr(from, to - from + 1);
}

TEST(runbook_contract, adapting_a_command_changes_only_what_a_test_cannot_have) {
  auto a = adapt("curl -s http://localhost:9000/api/workflows/$WORKFLOW_ID | jq '.status'", 1234,
                 "http://stub", "/rb", "wf-0123456789abcdef");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->script, "WORKFLOW_ID=wf-0123456789abcdef\ncurl --fail-with-body -s "
                       "http://127.0.0.1:1234/api/workflows/$WORKFLOW_ID | jq '.status'");
  EXPECT_EQ(a->want, expects::data);
  auto w =
    adapt(R"(watch -n 2 "curl -s http://localhost:9000/api/metrics | jq '.x'")", 1, "s", "/rb", "");
  ASSERT_TRUE(w);
  EXPECT_NE(w->script.find("\ncurl --fail-with-body -s http://127.0.0.1:1/api/metrics | jq '.x'"),
            std::string::npos)
    << w->script;
  auto v = adapt("vim /var/lib/autonomous-devops/runbooks/$(curl -s "
                 "http://localhost:9000/api/workflows/$WORKFLOW_ID | jq -r '.runbook')",
                 1, "s", "/rb", "wf-1");
  ASSERT_TRUE(v);
  EXPECT_NE(v->script.find("test -f /rb/$(curl --fail-with-body -s"), std::string::npos)
    << v->script;
  EXPECT_EQ(v->want, expects::anything);
  auto s = adapt("STUCK=$(curl -s 'http://localhost:9000/api/workflows?status=running' | \\\n  "
                 "jq '[.workflows[] | select(.started_at < (now - 3600))] | length')",
                 1, "s", "/rb", "");
  ASSERT_TRUE(s);
  EXPECT_NE(s->script.find("printf '%s\\n' \"$STUCK\""), std::string::npos) << s->script;
  EXPECT_FALSE(adapt("curl -H \"Authorization: Bearer $TOKEN\" http://prometheus:9090/api/v1/query",
                     1, "s", "/rb", ""));
}

TEST(runbook_contract, every_command_of_the_operations_runbook_gives_a_true_answer) {
  const auto page = test::read_file(test::source_dir() + page_path);
  ASSERT_FALSE(page.empty()) << "cannot read " << page_path;
  const auto commands = test::extract_commands(page, true);
  ASSERT_GE(commands.size(), 100U) << "the page has 116 curl commands; the extraction broke";

  // Prometheus and Alertmanager where the shipped config expects them, answering as they do.
  test::scripted_http_server stub;
  test::answer_like_prometheus(stub);
  test::temp_dir dir;
  test::write_shipped_config(dir, stub.url());
  test::vigil_server server{dir.file("data"), dir.file("vigil.yaml")};

  // A server that has been running a while: an alert whose run waits at its approval gate, a
  // metric, a run that failed, a finished one. Only the shipped runbooks run.
  test::http_client client{server.port()};
  for (const auto* body :
       {R"({"type":"alert","source":"prometheus","severity":"warning","labels":{"alertname":)"
        R"("HighMemoryUsage","instance":"server-01","service":"vigil-contract-nginx",)"
        R"("severity":"warning"},"annotations":{"summary":"memory at 93%"}})",
        R"({"type":"metric","source":"node-exporter","metric_name":"node_load1","value":3.5,)"
        R"("labels":{"instance":"server-02"}})"})
    ASSERT_EQ(client.post("/api/events", body).status, 202) << body;
  for (const auto* runbook : {"test/fire-drill.yaml", "test/noop.yaml"})
    ASSERT_EQ(
      client.post("/api/runbooks/execute", std::string{R"({"runbook":")"} + runbook + "\"}").status,
      202)
      << runbook;
  test::wait_for_body(client, "/api/workflows?status=failed", "fire-drill");
  test::wait_for_body(client, "/api/workflows?status=awaiting_gate", "high-memory-usage");

  const bool verbose = std::getenv("VIGIL_DOC_TEST_VERBOSE") != nullptr;
  std::string workflow_id;
  std::size_t checked = 0;
  std::size_t passed = 0;
  std::size_t pending_count = 0;
  std::size_t n = 0;
  for (const auto& c : commands) {
    auto a =
      adapt(c.text, server.port(), stub.url(), dir.file("runbooks"), workflow_id, dir.file("work"));
    if (!a)
      continue;
    ++checked;
    // Not built yet (issue 14 goes on): the pull source `metrics-scraper` the page pauses and
    // resumes. They must fail now; when they pass, they leave this list.
    const bool pending = c.text.find("/api/integrations/metrics-scraper/") != std::string::npos;
    const auto log_prefix = dir.file("work/cmd-" + std::to_string(++n));
    const auto deadline = std::chrono::steady_clock::now() + (pending ? 0s : 15s);
    int attempts = 0;
    test::shell_result r;
    std::string why;
    for (;;) {
      ++attempts;
      r = test::run_shell(a->script, dir.file("work"), log_prefix);
      const auto out = trimmed(r.out);
      why = r.code != 0 ? "exit " + std::to_string(r.code)
            : a->want == expects::data && (out.empty() || out == "null")
              ? "no answer (" + (out.empty() ? std::string{"nothing"} : out) + ")"
              : "";
      if (why.empty() || std::chrono::steady_clock::now() >= deadline)
        break;
      std::this_thread::sleep_for(300ms);
    }
    if (verbose)
      std::cout << "---- operations-runbook.md:" << c.line << " (" << (why.empty() ? "ok" : why)
                << ", attempts " << attempts << ")\n"
                << a->script << "\n"
                << r.out << "\n";
    if (pending) {
      ++pending_count;
      EXPECT_FALSE(why.empty()) << "operations-runbook.md:" << c.line
                                << " passes now: take it off the pending list";
      continue;
    }
    if (!why.empty()) {
      ADD_FAILURE() << "operations-runbook.md:" << c.line << ": " << why << " after " << attempts
                    << " attempts\n$ " << a->script << "\n"
                    << r.out;
      continue;
    }
    ++passed;
    if (auto id = test::first_workflow_id(r.out); !id.empty())
      workflow_id = id;
  }
  std::cout << passed << " of " << checked << " commands of the operations runbook passed ("
            << pending_count << " pending)\n";
  EXPECT_GE(checked, 100U);
  EXPECT_TRUE(server.process().running()) << server.process().stderr_text();
}

} // namespace
} // namespace vigil
