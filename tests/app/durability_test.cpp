// A 202 means durable: the server is killed with SIGKILL right after answering, and the event
// must be there when it comes back.

#include <csignal>
#include <gtest/gtest.h>

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil {
namespace {

using namespace std::chrono_literals;

void kill9_after_202_loses_nothing(const std::string& sync) {
  test::temp_dir dir;
  test::write_file(dir.file("vigil.yaml"), "storage:\n  sync: " + sync + "\n");
  std::vector<std::string> ids;
  for (int cycle = 0; cycle < 3; ++cycle) {
    test::vigil_server server{dir.file("data"), dir.file("vigil.yaml")};
    test::http_client client{server.port()};
    // Everything acknowledged in earlier cycles is still there.
    auto listed = client.get("/api/events?limit=1000");
    ASSERT_EQ(listed.status, 200);
    for (const auto& id : ids)
      EXPECT_NE(listed.body.find("\"id\":\"" + id + "\""), std::string::npos)
        << "event " << id << " acknowledged before a kill -9 is missing (sync: " << sync << ")";
    const std::string id = "crash-" + std::to_string(cycle);
    auto r =
      client.post("/api/events", R"({"type":"event","id":")" + id + R"(","labels":{"cycle":")"
                                   + std::to_string(cycle) + "\"}}");
    ASSERT_EQ(r.status, 202) << r.body;
    server.kill(); // at once, no clean shutdown
    ids.push_back(id);
  }
  test::vigil_server server{dir.file("data"), dir.file("vigil.yaml")};
  test::http_client client{server.port()};
  auto listed = client.get("/api/events?limit=1000");
  for (const auto& id : ids)
    EXPECT_NE(listed.body.find("\"id\":\"" + id + "\""), std::string::npos) << id;
  EXPECT_NE(server.process().stderr_text().find("NOT clean"), std::string::npos)
    << "the restart should notice the unclean stop";
}

TEST(durability, sync_always_survives_kill_9_right_after_202) {
  kill9_after_202_loses_nothing("always");
}

TEST(durability, sync_batch_survives_kill_9_right_after_202) {
  kill9_after_202_loses_nothing("batch");
}

} // namespace
} // namespace vigil
