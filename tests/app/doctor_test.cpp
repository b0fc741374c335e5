// `vigil doctor` as a real subprocess against real local servers: programs on the PATH, the
// integrations' settings and one probe each (a server that refuses the credentials, one that
// answers), the data directory and the runbook repository; one line per check, exit 1 on any
// failure, and the same as JSON.

#include <filesystem>
#include <gtest/gtest.h>
#include <simdjson.h>

#include "tests/support/process.hpp"
#include "tests/support/scripted_http_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil {
namespace {

using namespace std::chrono_literals;

struct doctor_run {
  int code = -1;
  std::string out;
  std::string err;
};

class doctor_test : public ::testing::Test {
protected:
  doctor_test() {
    std::filesystem::create_directories(dir.file("runbooks"));
    prom.set_fallback(test::scripted_response::ok("Prometheus Server is Healthy.\n"));
    locked.set_fallback(test::scripted_response::json(401, R"({"error":"bad token"})"));
  }

  void write_config(const std::string& integrations, const std::string& storage = "") {
    test::write_file(dir.file("vigil.yaml"), "runbooks: {repository: " + dir.file("runbooks")
                                               + "}\nstorage: {path: " + dir.file("data") + storage
                                               + "}\nintegrations:\n" + integrations);
  }

  doctor_run doctor(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{test::vigil_binary(),   "doctor",    "-c",
                                  dir.file("vigil.yaml"), "--timeout", "3s"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    test::child_process p{argv, dir.file("doctor-" + std::to_string(++runs))};
    doctor_run r;
    r.code = p.wait(30s).value_or(-1);
    r.out = p.stdout_text();
    r.err = p.stderr_text();
    return r;
  }

  test::temp_dir dir;
  test::scripted_http_server prom;
  test::scripted_http_server locked;
  int runs = 0;
};

TEST_F(doctor_test, names_every_failure_with_one_line_per_check_and_exits_1) {
  test::write_file(dir.file("runbooks/fix.yaml"), R"(name: fix
escalation: {action: exec, command: ["vigil-doctor-no-such-escalation"]}
steps:
  - {name: look, action: exec, command: ["true"]}
  - name: act
    action: exec
    command: ["vigil-doctor-no-such-program", "--now"]
    rollback: {action: exec, command: ["/bin/sh", "-c", "exit 0"]}
  - {name: again, action: exec, command: ["true"]}
)");
  write_config("  prometheus: {type: prometheus, url: '" + prom.url()
               + "'}\n  hook: {type: http, url: '" + locked.url()
               + "', bearer_token: wrong-token-123}\n"
                 "  pagerduty: {type: pagerduty, routing_key: ''}\n"
                 "  slack: {type: slack, webhook_url: 'http://127.0.0.1:9/hook'}\n");
  const auto r = doctor();
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  for (const char* line :
       {"ok    config       ", "ok    data         ", "ok    runbooks     ",
        "ok    exec         true: ", "ok    exec         /bin/sh: /bin/sh\n",
        "FAIL  exec         vigil-doctor-no-such-program: not found on PATH=",
        "FAIL  exec         vigil-doctor-no-such-escalation: not found",
        "ok    integration  prometheus: HTTP 200 in ",
        "FAIL  integration  hook: credentials refused: HTTP 401\n",
        "FAIL  integration  pagerduty: pagerduty: routing_key is unset\n",
        "ok    integration  slack: slack: settings present; not probed", "4 of 11 checks failed\n"})
    EXPECT_NE(r.out.find(line), std::string::npos) << "missing \"" << line << "\" in\n" << r.out;
  EXPECT_EQ(r.out.find("wrong-token-123"), std::string::npos) << "a secret in the output";
  EXPECT_EQ(r.out.find("exec         true: /usr/bin/true\nok    exec         true"),
            std::string::npos)
    << "each program once";
  EXPECT_GE(prom.requests().size(), 1U);
  ASSERT_GE(locked.requests().size(), 1U);
  EXPECT_EQ(locked.requests().front().header("authorization"), "Bearer wrong-token-123");
}

TEST_F(doctor_test, passes_when_everything_is_there_and_says_so_in_json) {
  test::write_file(dir.file("runbooks/ok.yaml"),
                   "name: ok\nsteps:\n  - {name: look, action: exec, command: [\"true\"]}\n");
  write_config("  prometheus: {type: prometheus, url: '" + prom.url() + "'}\n");
  auto r = doctor();
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("all checks passed\n"), std::string::npos) << r.out;
  r = doctor({"--json"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(r.out).get(root), simdjson::SUCCESS) << r.out;
  EXPECT_EQ(root["ok"].get_bool().value_unsafe(), true);
  EXPECT_EQ(root["failed"].get_uint64().value_unsafe(), 0U);
  EXPECT_EQ(root["checks"].get_array().size(), 5U) << r.out; // config data runbooks exec prom
  // The PATH the service runs with: without /usr/bin and /bin, `true` is not there.
  r = doctor({"--path", dir.file("empty-bin")});
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("FAIL  exec         true: not found on PATH=" + dir.file("empty-bin")),
            std::string::npos)
    << r.out;
}

TEST_F(doctor_test, a_data_directory_that_cannot_be_written_or_is_short_of_space_fails) {
  write_config("  prometheus: {type: prometheus, url: '" + prom.url() + "'}\n",
               ", min_free_bytes: 1125899906842624"); // 1 PiB
  auto r = doctor();
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("FAIL  data         " + dir.file("data")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("less than storage.min_free_bytes"), std::string::npos) << r.out;
  test::write_file(dir.file("a-file"), "x");
  r = doctor({"--data", dir.file("a-file") + "/data"});
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("cannot write in " + dir.file("a-file")), std::string::npos) << r.out;
}

TEST_F(doctor_test, a_broken_config_or_runbook_fails_and_bad_flags_exit_2) {
  test::write_file(dir.file("runbooks/bad.yaml"), "name: bad\nsteps: [\n");
  write_config("  prometheus: {type: prometheus, url: '" + prom.url() + "'}\n");
  auto r = doctor();
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("FAIL  runbooks     " + dir.file("runbooks") + ": " + dir.file("runbooks")
                       + "/bad.yaml:"),
            std::string::npos)
    << r.out;
  test::write_file(dir.file("vigil.yaml"), "server: {listen: nowhere}\n");
  r = doctor();
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("FAIL  config       " + dir.file("vigil.yaml") + ": "), std::string::npos)
    << r.out;
  EXPECT_EQ(doctor({"--timeout", "soon"}).code, 2);
  EXPECT_EQ(doctor({"--bogus"}).code, 2);
}

} // namespace
} // namespace vigil
