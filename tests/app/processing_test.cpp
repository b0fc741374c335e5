// Drain and resume (the operations runbook's "Clear Event Queue"): nothing acknowledged is lost,
// events arriving during a drain are kept and dispatched after the resume.

#include <filesystem>
#include <gtest/gtest.h>
#include <thread>

#include "actors/workflow_service.hpp"
#include "runtime/app/application.hpp"
#include "runtime/model/errc.hpp"
#include "storage/event_log.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil {
namespace {

using namespace std::chrono_literals;

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

TEST(processing, drain_keeps_events_aside_and_resume_dispatches_them_in_order) {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.file("runbooks"));
  test::write_file(dir.file("runbooks/note.yaml"),
                   "name: note\ntriggers: [{type: alert, labels: {alertname: Note}}]\nsteps:\n  - "
                   "{name: say, action: noop}\n");
  model::config cfg;
  cfg.server.listen = {"127.0.0.1", 0};
  cfg.storage.path = dir.file("data");
  cfg.runbooks.repository = dir.file("runbooks");
  auto app = app::application::start(cfg);
  ASSERT_TRUE(app) << describe(app.error());
  test::http_client client{(*app)->port()};

  auto drained = (*app)->drain();
  ASSERT_TRUE(drained);
  EXPECT_TRUE((*app)->draining());
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(client
                .post("/api/events", R"({"type":"alert","labels":{"alertname":"Note","instance":"n)"
                                       + std::to_string(i) + "\"}}")
                .status,
              202);
  auto aside = client.get("/api/events?state=drained").body;
  EXPECT_EQ(count(aside, "\"seq\":"), 4U) << aside;
  EXPECT_EQ(count(client.get("/api/workflows").body, "\"id\":\"wf-"), 0U)
    << "nothing is dispatched while drained";

  auto resumed = (*app)->resume_processing();
  ASSERT_TRUE(resumed);
  EXPECT_EQ(*resumed, 4U);
  std::string runs;
  for (int i = 0; i < 500; ++i) {
    runs = client.get("/api/workflows").body;
    if (count(runs, R"("status":"completed")") == 4)
      break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(count(runs, R"("status":"completed")"), 4U) << runs;
  EXPECT_EQ(count(client.get("/api/events?state=drained").body, "\"seq\":"), 0U);
  EXPECT_EQ(count(client.get("/api/events?state=dispatched").body, "\"seq\":"), 4U);
  (*app)->stop();
}

} // namespace
} // namespace vigil
