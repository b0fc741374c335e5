#include "bench/loadtest/client.hpp"

#include <condition_variable>
#include <mutex>

#include "bench/loadtest/client_worker.hpp"

namespace vigil::loadtest {

// -- load_engine -------------------------------------------------------------------------------

load_engine::load_engine(engine_settings settings, const payload_factory& payloads)
  : settings_(std::move(settings)), payloads_(payloads) {
  const unsigned connections = std::max(1U, settings_.connections);
  const unsigned threads = std::max(1U, std::min(settings_.threads, connections));
  workers_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) {
    const unsigned share = connections / threads + (i < connections % threads ? 1 : 0);
    workers_.push_back(std::make_unique<worker>(settings_, payloads_, i, threads, share));
  }
}

load_engine::~load_engine() = default;

std::string load_engine::connect() {
  net::io_context ioc;
  tcp::resolver resolver{ioc};
  beast::error_code ec;
  auto endpoints = resolver.resolve(settings_.host, settings_.port, ec);
  if (ec)
    return "cannot resolve " + settings_.host + ":" + settings_.port + ": " + ec.message();
  unsigned opened = 0;
  for (auto& w : workers_)
    opened += w->connect_all(endpoints);
  if (opened == 0)
    return "cannot connect to " + settings_.host + ":" + settings_.port
           + " (is the server running?)";
  return {};
}

phase_stats load_engine::run_phase(const phase_plan& plan, const std::function<void()>& on_tick,
                                   std::chrono::milliseconds tick) {
  std::mutex mutex;
  std::condition_variable cv;
  std::size_t running = workers_.size();
  for (auto& w : workers_)
    w->begin(plan, [&] {
      std::lock_guard<std::mutex> guard{mutex};
      --running;
      cv.notify_all();
    });
  {
    std::unique_lock<std::mutex> lock{mutex};
    while (running > 0) {
      if (!cv.wait_for(lock, tick, [&] { return running == 0; }) && on_tick) {
        lock.unlock();
        on_tick();
        lock.lock();
      }
    }
  }
  phase_stats total;
  total.window = plan.window;
  for (auto& w : workers_)
    total.merge(w->take_stats());
  return total;
}

progress_snapshot load_engine::progress() {
  progress_snapshot total;
  for (auto& w : workers_) {
    auto s = w->snapshot();
    total.requests += s.requests;
    total.failed += s.failed;
    total.events += s.events;
    total.accept.merge(s.accept);
  }
  return total;
}

std::vector<std::pair<uint64_t, uint32_t>> load_engine::accepted_tagged() {
  std::vector<std::pair<uint64_t, uint32_t>> all;
  for (auto& w : workers_) {
    auto part = w->take_tagged();
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

} // namespace vigil::loadtest
