// The crash test (issue "Crash recovery"): `vigil serve` under a mixed load is killed with
// SIGKILL at random moments and restarted, again and again; afterwards nothing acknowledged is
// lost, no event started two runs of one runbook, every run ended, and every step ran at least
// once. VIGIL_CRASH_CYCLES sets the number of cycles (20 in `make test`, 200 in the slow run).

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <gtest/gtest.h>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <simdjson.h>
#include <sstream>
#include <thread>

#include "runtime/model/clock.hpp"
#include "storage/database.hpp"
#include "storage/event_log.hpp"
#include "storage/workflow_store.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil {
namespace {

using namespace std::chrono_literals;

struct acknowledged {
  std::mutex mtx;
  std::set<std::string> ids;
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> duplicates_sent{0};
};

/// One load thread: single events, Alertmanager batches and repeats, until `stop`.
void drive(uint16_t port, int thread, int cycle, acknowledged& acks,
           const std::atomic<bool>& stop) {
  test::http_client client{port, 2s};
  std::mt19937 rng{static_cast<unsigned>(cycle * 131 + thread)};
  std::string last_body;
  int n = 0;
  while (!stop.load()) {
    std::string path = "/api/events";
    std::string body;
    const int kind = static_cast<int>(rng() % 10);
    const auto tag =
      std::to_string(cycle) + "-" + std::to_string(thread) + "-" + std::to_string(n++);
    if (kind < 2 && !last_body.empty()) {
      body = last_body; // a repeat: must come back as a duplicate
      acks.duplicates_sent.fetch_add(1);
      path = body.front() == '{' && body.find("\"alerts\"") != std::string::npos
               ? "/api/v1/alertmanager"
               : "/api/events";
    } else if (kind < 5) {
      path = "/api/v1/alertmanager";
      body = R"({"version":"4","status":"firing","receiver":"vigil","alerts":[)";
      for (int i = 0; i < 3; ++i)
        body += std::string{i ? "," : ""}
                + R"({"status":"firing","labels":{"alertname":"Crash","instance":")" + tag + "-"
                + std::to_string(i) + R"("},"startsAt":"2024-05-01T11:00:00Z"})";
      body += "]}";
      last_body = body;
    } else {
      body = R"({"type":"alert","labels":{"alertname":"Crash","instance":")" + tag + R"("}})";
      last_body = body;
    }
    auto r = client.post(path, body);
    acks.requests.fetch_add(1);
    std::this_thread::sleep_for(std::chrono::milliseconds{5 + rng() % 10});
    if (r.status != 202)
      continue; // refused or cut off by the kill: not acknowledged, nothing promised
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(r.body).get(doc) != simdjson::SUCCESS)
      continue;
    std::lock_guard<std::mutex> guard{acks.mtx};
    for (auto id : doc["ids"].get_array())
      acks.ids.insert(std::string{std::string_view{id.get_string()}});
  }
}

std::string get_all(test::http_client& client, const std::string& path) {
  for (int i = 0; i < 50; ++i) {
    auto r = client.get(path);
    if (r.status == 200)
      return r.body;
    std::this_thread::sleep_for(50ms);
  }
  return {};
}

TEST(crash, kill_9_at_random_moments_loses_nothing_and_runs_nothing_twice) {
  const int cycles = std::getenv("VIGIL_CRASH_CYCLES") != nullptr
                       ? std::atoi(std::getenv("VIGIL_CRASH_CYCLES"))
                       : 20;
  test::temp_dir dir;
  const auto steps_file = dir.file("steps");
  std::filesystem::create_directories(dir.file("runbooks"));
  // Each step appends its idempotency key (<run>/<step>/<attempt>) to one file.
  std::string book = "name: crash\ntriggers: [{type: alert, labels: {alertname: Crash}}]\nsteps:\n";
  for (int i = 0; i < 3; ++i)
    book += "  - name: s" + std::to_string(i)
            + "\n    action: exec\n    command: [\"sh\", \"-c\", \"echo "
              "\\\"$VIGIL_IDEMPOTENCY_KEY\\\" >> "
            + steps_file + "\"]\n";
  test::write_file(dir.file("runbooks/crash.yaml"), book);
  test::write_file(
    dir.file("vigil.yaml"),
    "storage: {sync: batch}\nrunbooks: {repository: " + dir.file("runbooks")
      + "}\nintegrations: {}\nengine: {workflow_execution: {max_concurrent: 200}}\n");
  acknowledged acks;
  std::mt19937 rng{20261129};
  for (int cycle = 0; cycle < cycles; ++cycle) {
    test::vigil_server server{dir.file("data"), dir.file("vigil.yaml")};
    std::atomic<bool> stop{false};
    constexpr int drivers = 3;
    std::vector<std::thread> load;
    load.reserve(drivers);
    for (int t = 0; t < drivers; ++t)
      load.emplace_back(drive, server.port(), t, cycle, std::ref(acks), std::cref(stop));
    std::this_thread::sleep_for(std::chrono::milliseconds{50 + rng() % 400});
    server.kill(); // SIGKILL while requests, writes and steps are in flight
    stop.store(true);
    for (auto& t : load)
      t.join();
  }

  // The last start: everything left over runs to its end.
  test::vigil_server server{dir.file("data"), dir.file("vigil.yaml")};
  test::http_client client{server.port(), 10s};
  std::string runs;
  for (int i = 0; i < 1500; ++i) {
    runs = get_all(client, "/api/workflows?limit=10000");
    const bool busy = runs.find(R"("status":"running")") != std::string::npos
                      || runs.find(R"("status":"pending")") != std::string::npos
                      || runs.find(R"("status":"waiting")") != std::string::npos;
    if (!busy && !runs.empty())
      break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(server.stop(10s), std::optional<int>{0});

  // Read the outcome from the data directory itself (the server has stopped).
  auto db = storage::database::open({dir.file("data")});
  ASSERT_TRUE(db);
  auto log = storage::event_log::open(**db, model::clock::system(), model::sync_policy::none, 24h);
  ASSERT_TRUE(log);
  storage::event_query all;
  all.limit = 10'000'000;
  all.scan_limit = 10'000'000;
  auto events = (*log)->query(all);
  ASSERT_TRUE(events);
  std::set<std::string> logged;
  for (const auto& e : *events)
    logged.insert(e.event.id);

  // 1. Zero lost: every id answered 202 is in the log.
  std::size_t lost = 0;
  for (const auto& id : acks.ids)
    lost += logged.count(id) == 0 ? 1 : 0;

  // 2. No event started two runs of the runbook; 3. every run ended.
  storage::workflow_store store{**db, model::sync_policy::none};
  storage::workflow_query q;
  q.limit = 10'000'000;
  auto list = store.list(q);
  ASSERT_TRUE(list);
  std::map<uint64_t, int> runs_per_event;
  std::set<std::string> run_ids;
  std::size_t unfinished = 0;
  for (const auto& rec : *list) {
    if (!model::is_terminal(rec.state))
      ++unfinished;
    ++runs_per_event[rec.event_seq];
    run_ids.insert(rec.id);
  }
  std::size_t duplicate_runs = 0;
  for (const auto& [event, n] : runs_per_event)
    duplicate_runs += static_cast<std::size_t>(n - 1);
  std::size_t undispatched = 0;
  for (const auto& e : *events)
    undispatched += e.state == storage::event_state::accepted ? 1 : 0;

  // 4. Every step ran at least once; the repeats are attempts after a kill.
  std::map<std::string, std::set<std::string>> attempts; // run/step → attempts seen
  std::istringstream lines{test::read_file(steps_file)};
  for (std::string line; std::getline(lines, line);) {
    const auto slash = line.rfind('/');
    if (slash != std::string::npos)
      attempts[line.substr(0, slash)].insert(line.substr(slash + 1));
  }
  std::size_t missing_steps = 0, rerun_steps = 0;
  for (const auto& id : run_ids) {
    for (int s = 0; s < 3; ++s) {
      auto it = attempts.find(id + "/" + std::to_string(s));
      if (it == attempts.end())
        ++missing_steps;
      else if (it->second.size() > 1)
        ++rerun_steps;
    }
  }
  std::printf("crash test: %d cycles, %llu requests, %zu events acknowledged, %zu lost, %zu runs, "
              "%zu duplicate runs, %zu unfinished, %zu undispatched, %zu steps never ran, "
              "%zu steps re-run after a kill\n",
              cycles, static_cast<unsigned long long>(acks.requests.load()), acks.ids.size(), lost,
              run_ids.size(), duplicate_runs, unfinished, undispatched, missing_steps, rerun_steps);
  store.close();
  (*log)->close();
  EXPECT_GT(acks.ids.size(), 0U);
  EXPECT_EQ(lost, 0U);
  EXPECT_EQ(duplicate_runs, 0U);
  EXPECT_EQ(unfinished, 0U);
  EXPECT_EQ(missing_steps, 0U);
  EXPECT_EQ(undispatched, 0U);
  // Every logged alert (acknowledged or not: a 202 lost in the kill) started exactly one run.
  EXPECT_EQ(run_ids.size(), logged.size());
}

} // namespace
} // namespace vigil
