// docs/operations.md stays true: every command line starting with `curl` in its ```bash blocks
// runs against a fresh `vigil serve`, in page order, and must succeed.
//
// The rules (the page's "Conventions" section says the same to its readers):
// - A block right after an HTML comment `<!-- not-checked ... -->` is skipped (systemd, a server
//   with tokens, a real Prometheus: what this test does not have).
// - A command goes on over lines ending in a backslash and over lines inside an open quote (the
//   multi-line `-d '{ ... }'` bodies); the text goes to `bash -o pipefail -c` as written.
// - `localhost:9000` / `127.0.0.1:9000` become the test server's address, and the shipped
//   config's Prometheus and Alertmanager (`http://localhost:9090`, `:9093`) a local stub, in the
//   config and in the commands alike.
// - `curl` gets `--fail-with-body`: a command passes when it exits 0, so every request must be
//   answered 2xx and every jq filter (`jq -e` included) must hold.
// - `"service": "NAME"` in a command becomes `vigil-opsdoc-test-NAME`, a unit that does not
//   exist: the page's examples restart nginx, and this test really runs the runbooks' steps
//   (`systemctl restart ...`). Distinct names stay distinct (restart-service queues the runs of
//   one service behind each other).
// - `$WORKFLOW_ID`: the page uses it for "the run listed just before". The test sets it to the
//   first workflow id (`wf-` and 16 hex digits) in the output of the latest command that printed
//   one; the page orders its commands so that this is the run the text means.
// - Runs move on asynchronously (a run reaches its gate a few milliseconds after it started), so
//   a failing command is tried again for a while before it counts as failed.

#include <chrono>
#include <csignal>
#include <filesystem>
#include <gtest/gtest.h>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/doc_commands.hpp"
#include "tests/support/process.hpp"
#include "tests/support/scripted_http_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using test::extract_commands;
using test::first_workflow_id;
using test::replace_all;
using test::run_shell;
using test::shell_result;

/// A command made ready for the test server (see the rules at the top).
std::string adapt(std::string command, uint16_t port, const std::string& stub_url) {
  replace_all(command, "localhost:9000", "127.0.0.1:" + std::to_string(port));
  replace_all(command, "127.0.0.1:9000", "127.0.0.1:" + std::to_string(port));
  replace_all(command, "http://localhost:9090", stub_url);
  replace_all(command, "http://localhost:9093", stub_url);
  static const std::regex service{R"re("service": *"([^"]*)")re"};
  command = std::regex_replace(command, service, R"("service": "vigil-opsdoc-test-$1")");
  return "curl --fail-with-body " + command.substr(std::string{"curl "}.size());
}

// -- the extraction rules, on a small page --------------------------------------------------------

TEST(operations_doc, extraction_follows_blocks_continuations_and_markers) {
  const std::string page = "Intro `curl x` is prose.\n"
                           "```bash\n"
                           "# a comment: curl -s nothing\n"
                           "curl -s http://localhost:9000/a | jq . # don't\n"
                           "curl -s -X POST http://localhost:9000/b \\\n"
                           "  -d '{\n"
                           "    \"k\": \"v # not a comment\"\n"
                           "  }'\n"
                           "WORKFLOW_ID=wf-0123456789abcdef\n"
                           "```\n"
                           "<!-- not-checked: needs systemd -->\n"
                           "```bash\n"
                           "curl -s http://localhost:9000/skipped\n"
                           "```\n"
                           "```sh\n"
                           "curl -s http://localhost:9000/not-bash\n"
                           "```\n"
                           "```bash\n"
                           "  curl -s http://localhost:9000/c\n"
                           "```\n";
  const auto commands = extract_commands(page);
  ASSERT_EQ(commands.size(), 3u);
  EXPECT_EQ(commands[0].line, 4);
  EXPECT_EQ(commands[0].text, "curl -s http://localhost:9000/a | jq . # don't");
  EXPECT_EQ(commands[1].line, 5);
  EXPECT_EQ(commands[1].text, "curl -s -X POST http://localhost:9000/b \\\n  -d '{\n"
                              "    \"k\": \"v # not a comment\"\n  }'");
  EXPECT_EQ(commands[2].text, "curl -s http://localhost:9000/c");
  EXPECT_EQ(adapt(commands[2].text, 1234, "http://127.0.0.1:1"),
            "curl --fail-with-body -s http://127.0.0.1:1234/c");
  EXPECT_EQ(adapt(R"(curl -d '{"service":"nginx"}' http://localhost:9090)", 1, "http://stub"),
            R"(curl --fail-with-body -d '{"service": "vigil-opsdoc-test-nginx"}' http://stub)");
}

// -- the page against the engine ------------------------------------------------------------------

TEST(operations_doc, every_checked_command_succeeds_in_page_order) {
  const auto page = test::read_file(test::source_dir() + "/docs/operations.md");
  ASSERT_FALSE(page.empty()) << "cannot read docs/operations.md";
  const auto commands = extract_commands(page);
  // The page has dozens; a handful means the extraction broke (or the page lost its blocks).
  ASSERT_GE(commands.size(), 50u);

  // Prometheus and Alertmanager as the shipped config expects them, answering like healthy ones.
  test::scripted_http_server stub;
  test::answer_like_prometheus(stub);
  test::temp_dir dir;
  test::write_shipped_config(dir, stub.url());
  test::vigil_server server{dir.file("data"), dir.file("vigil.yaml")};

  const bool verbose = std::getenv("VIGIL_DOC_TEST_VERBOSE") != nullptr;
  std::string workflow_id;
  std::size_t passed = 0;
  std::size_t n = 0;
  for (const auto& c : commands) {
    auto script = adapt(c.text, server.port(), stub.url());
    if (script.find("$WORKFLOW_ID") != std::string::npos) {
      if (workflow_id.empty()) {
        ADD_FAILURE() << "docs/operations.md:" << c.line
                      << ": uses $WORKFLOW_ID, but no earlier command printed a workflow id\n"
                      << c.text;
        continue;
      }
      script = "WORKFLOW_ID=" + workflow_id + "\n" + script;
    }
    const auto log_prefix = dir.file("work/cmd-" + std::to_string(++n));
    // A run may need a moment to reach the state a command expects: try again for a while.
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    int attempts = 0;
    shell_result r;
    for (;;) {
      ++attempts;
      r = run_shell(script, dir.file("work"), log_prefix);
      if (r.code == 0 || std::chrono::steady_clock::now() >= deadline)
        break;
      std::this_thread::sleep_for(300ms);
    }
    if (verbose)
      std::cout << "---- docs/operations.md:" << c.line << " (exit " << r.code << ", attempts "
                << attempts << ")\n"
                << script << "\n"
                << r.out << "\n";
    if (r.code != 0) {
      ADD_FAILURE() << "docs/operations.md:" << c.line << ": exit " << r.code << " after "
                    << attempts << " attempts\n$ " << script << "\n"
                    << r.out;
      continue;
    }
    ++passed;
    if (auto id = first_workflow_id(r.out); !id.empty())
      workflow_id = id;
  }
  std::cout << passed << " of " << commands.size() << " commands of docs/operations.md passed\n";
  EXPECT_TRUE(server.process().running()) << server.process().stderr_text();
}

} // namespace
} // namespace vigil
