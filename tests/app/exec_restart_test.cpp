// A command started by an exec step must not hold Vigil's descriptors: kill -9 Vigil while a
// `sleep 60` step runs, start it again on the same port, and it must serve within 5 s. Before
// the fix the orphaned `sleep` kept the listening socket: the restart failed with "Address
// already in use" and clients hung on the orphan's accept queue.

#include <chrono>
#include <csignal>
#include <dirent.h>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

/// PIDs of live processes whose environment holds `marker` (the runbook sets it on its
/// command, so the test finds its own orphans and nothing else).
std::vector<pid_t> processes_with_env(const std::string& marker) {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator{"/proc"}) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    const auto env = test::read_file(entry.path().string() + "/environ");
    if (env.find(marker) != std::string::npos)
      out.push_back(static_cast<pid_t>(std::stoi(name)));
  }
  return out;
}

/// What the descriptors of `pid` above 2 point at (`socket:[123]`, a path, ...).
std::vector<std::string> descriptors_above_stderr(pid_t pid) {
  std::vector<std::string> out;
  const auto dir = "/proc/" + std::to_string(pid) + "/fd";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator{dir, ec}) {
    if (std::stoi(entry.path().filename().string()) <= 2)
      continue;
    std::error_code link_ec;
    out.push_back(std::filesystem::read_symlink(entry.path(), link_ec).string());
  }
  return out;
}

/// Kills the process groups of `pids` (each command runs in a group of its own).
void kill_groups(const std::vector<pid_t>& pids) {
  for (const auto pid : pids)
    ::kill(-pid, SIGKILL);
}

/// Kills whatever the test's runbook left running, however the test ends.
struct orphan_reaper {
  std::string marker;
  ~orphan_reaper() { kill_groups(processes_with_env(marker)); }
};

TEST(exec_restart, after_kill_9_during_a_sleep_step_vigil_serves_again_within_5_s) {
  test::temp_dir dir;
  const auto marker = "VIGIL_TEST_ORPHAN=" + std::to_string(::getpid()) + "-" + dir.path();
  const orphan_reaper reaper{marker};
  const auto runbooks = dir.file("runbooks");
  ASSERT_EQ(::mkdir(runbooks.c_str(), 0755), 0);
  test::write_file(runbooks + "/sleeper.yaml", R"(name: sleeper
triggers:
  - type: alert
    labels: {alertname: Sleeper}
steps:
  - name: nap
    action: exec
    command: ["sleep", "60"]
    env: {VIGIL_TEST_ORPHAN: ")" + marker.substr(marker.find('=') + 1)
                                                 + R"("}
)");
  test::write_file(dir.file("vigil.yaml"), "runbooks:\n  repository: " + runbooks + "\n");
  const auto data = dir.file("data");

  std::vector<pid_t> orphans;
  uint16_t port = 0;
  {
    test::vigil_server first{data, dir.file("vigil.yaml")};
    port = first.port();
    test::http_client client{port};
    auto r = client.post("/api/events",
                         R"({"type":"alert","id":"nap-1","labels":{"alertname":"Sleeper"}})");
    ASSERT_EQ(r.status, 202) << r.body;
    test::wait_for_body(client, "/api/workflows?runbook=sleeper", R"("status":"running")");
    const auto deadline = steady::now() + 10s;
    while (orphans.empty() && steady::now() < deadline) {
      orphans = processes_with_env(marker);
      if (orphans.empty())
        std::this_thread::sleep_for(10ms);
    }
    ASSERT_FALSE(orphans.empty()) << "the sleep step's command never started";
    first.kill();
  }
  // The command outlives Vigil (it runs in a group of its own): the situation of the issue.
  ASSERT_EQ(::kill(orphans.front(), 0), 0) << "the orphaned sleep should still run";
  const auto held = descriptors_above_stderr(orphans.front());
  EXPECT_TRUE(held.empty()) << "the command inherited " << held.size() << " descriptors, first "
                            << held.front();

  const auto started = steady::now();
  test::child_process second{{test::vigil_binary(), "serve", "--config", dir.file("vigil.yaml"),
                              "--listen", "127.0.0.1:" + std::to_string(port), "--data", data},
                             data + "-second",
                             {},
                             test::source_dir()};
  int status = 0;
  while (steady::now() - started < 5s && second.running()) {
    test::http_client probe{port, 300ms};
    status = probe.get("/api/health").status;
    if (status == 200)
      break;
    std::this_thread::sleep_for(20ms);
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started);
  EXPECT_EQ(status, 200) << "not serving after " << took.count() << " ms; vigil said:\n"
                         << second.stderr_text();
  EXPECT_LT(took, 5s);
  second.signal(SIGTERM);
  second.wait(10s);
}

} // namespace
} // namespace vigil
