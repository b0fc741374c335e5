// The open-loop schedule: a server that stalls for one second shows up as about one second of
// latency for the requests scheduled during the stall, and the sender does not slow down.

#include <gtest/gtest.h>
#include <mutex>
#include <thread>
#include <vector>

#include "bench/loadtest/client.hpp"
#include "bench/loadtest/mini_server.hpp"

namespace vigil::loadtest {
namespace {

using namespace std::chrono_literals;

/// A server that answers 202 at once, except between `stall_from` and `stall_until` (steady ns),
/// when it holds every answer until `stall_until`.
class stalling_server {
public:
  stalling_server(int64_t stall_from, int64_t stall_until)
    : from_(stall_from), until_(stall_until),
      server_([this](const std::string&, const std::string&, std::string&,
                     const mini_server::reply_fn& reply) { handle(reply); }) {
    EXPECT_EQ(server_.start("127.0.0.1", 0), "");
    releaser_ = std::thread{[this] {
      std::this_thread::sleep_until(
        std::chrono::steady_clock::time_point{std::chrono::nanoseconds{until_}});
      std::vector<mini_server::reply_fn> held;
      {
        std::lock_guard<std::mutex> guard{mutex_};
        released_ = true;
        held.swap(held_);
      }
      for (auto& reply : held)
        reply(202, R"({"accepted":1,"duplicates":0,"ids":[]})");
    }};
  }

  ~stalling_server() {
    releaser_.join();
    server_.stop();
  }

  [[nodiscard]] uint16_t port() const { return server_.port(); }

  /// Requests held during the stall.
  [[nodiscard]] std::size_t held_count() const { return held_total_; }

private:
  void handle(const mini_server::reply_fn& reply) {
    const int64_t now = now_ns();
    {
      std::lock_guard<std::mutex> guard{mutex_};
      if (now >= from_ && !released_) {
        held_.push_back(reply);
        ++held_total_;
        return;
      }
    }
    reply(202, R"({"accepted":1,"duplicates":0,"ids":[]})");
  }

  const int64_t from_;
  const int64_t until_;
  std::mutex mutex_;
  std::vector<mini_server::reply_fn> held_;
  std::size_t held_total_ = 0;
  bool released_ = false;
  mini_server server_;
  std::thread releaser_;
};

TEST(open_loop, a_one_second_stall_shows_as_one_second_of_latency_for_requests_due_during_it) {
  constexpr double rate = 200; // requests per second
  constexpr int64_t second = 1'000'000'000;
  const int64_t start = now_ns() + 300'000'000;
  stalling_server server{start + second, start + 2 * second};

  payload_settings ps;
  ps.kind = payload_kind::event;
  ps.run_nonce = 7;
  payload_factory payloads{ps};
  engine_settings es;
  es.host = "127.0.0.1";
  es.port = std::to_string(server.port());
  es.target = "/api/events";
  es.threads = 2;
  es.connections = 16; // fewer than the requests due in the stall: the rest wait in the queue
  es.timeout = 5s;
  es.drain = 5s;
  load_engine engine{es, payloads};
  ASSERT_EQ(engine.connect(), "");

  phase_plan plan;
  plan.event_rate = rate;
  plan.request_rate = rate;
  plan.start_ns = start;
  plan.count = static_cast<uint64_t>(3 * rate); // three seconds
  const auto stats = engine.run_phase(plan, nullptr, 100ms);

  // The sender kept its schedule: every request was sent, and answered.
  EXPECT_EQ(stats.requests, plan.count);
  EXPECT_EQ(stats.ok, plan.count);
  EXPECT_EQ(stats.failed, 0U);
  EXPECT_EQ(server.held_count(), 16U) << "every connection was held by the stall";
  EXPECT_GT(stats.waited_for_connection, 100U) << "more were due than there were connections";

  // Latency counts from the due time: the first request of the stall waited about a second.
  ASSERT_EQ(stats.windows.size(), 3U);
  const double ms = 1e6;
  EXPECT_GE(static_cast<double>(stats.accept.max()), 900 * ms);
  EXPECT_LE(static_cast<double>(stats.accept.max()), 1300 * ms);
  const auto& before = stats.windows[0].accept;
  const auto& during = stats.windows[1].accept;
  const auto& after = stats.windows[2].accept;
  // Bounds outside the stall are loose: CI shares two cores with a compiler, and what matters is
  // that they are far below the stall's second.
  EXPECT_LT(static_cast<double>(before.percentile(99)), 300 * ms) << "before the stall";
  EXPECT_GE(static_cast<double>(during.percentile(99)), 900 * ms) << "due at the stall's start";
  EXPECT_NEAR(static_cast<double>(during.percentile(50)), 500 * ms, 250 * ms)
    << "due mid-stall: about half a second";
  EXPECT_LT(static_cast<double>(after.percentile(99)), 300 * ms) << "after the stall";
  // A closed-loop sender would have recorded only the 16 stalled requests in flight; here
  // every request due during the stall carries its wait.
  EXPECT_GE(during.count(), static_cast<uint64_t>(0.95 * rate));
  uint64_t slow = 0;
  for (std::size_t i = 0; i < during.bucket_limit(); ++i)
    if (log_linear_histogram::lowest_in(i) >= 100'000'000)
      slow += during.bucket_count(i);
  EXPECT_GE(slow, static_cast<uint64_t>(0.8 * rate)) << "most of the stall's requests waited";
}

} // namespace
} // namespace vigil::loadtest
