#pragma once

// The worker of `load_engine`: one thread, its io_context and its connections. Internal to
// client.cpp (kept apart only to keep files short).

#include <sys/prctl.h>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "bench/loadtest/client.hpp"

namespace vigil::loadtest {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

namespace detail {

using clock_point = std::chrono::steady_clock::time_point;

inline clock_point at(int64_t ns) {
  return clock_point{std::chrono::nanoseconds{ns}};
}

/// One request on its way: its place in the schedule and its bytes.
struct request_slot {
  uint64_t index = 0;
  int64_t due = 0;
  bool measured = false;
  bool retried = false; ///< already resent once after a stale keep-alive connection
  body payload;
  std::string header;
};

/// One keep-alive connection; only its worker's thread touches it.
struct connection {
  explicit connection(net::io_context& ioc) : stream(ioc) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser;
  request_slot req;
  bool open = false;
  uint64_t uses = 0; ///< responses read on the current socket
};

/// `duplicates` from Vigil's 202 answer, 0 when absent.
inline uint64_t duplicates_in(std::string_view body) {
  constexpr std::string_view key = "\"duplicates\":";
  const auto pos = body.find(key);
  if (pos == std::string_view::npos)
    return 0;
  uint64_t n = 0;
  const char* first = body.data() + pos + key.size();
  std::from_chars(first, body.data() + body.size(), n);
  return n;
}

inline bool stale_connection_error(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == net::error::eof
         || ec == net::error::connection_reset || ec == net::error::broken_pipe;
}

} // namespace detail

// -- worker ------------------------------------------------------------------------------------

class load_engine::worker {
  using connection = detail::connection;
  using request_slot = detail::request_slot;
  static auto at(int64_t ns) { return detail::at(ns); }
  static uint64_t duplicates_in(std::string_view body) { return detail::duplicates_in(body); }
  static bool stale_connection_error(const beast::error_code& ec) {
    return detail::stale_connection_error(ec);
  }

public:
  worker(const engine_settings& s, const payload_factory& payloads, unsigned id, unsigned stride,
         unsigned connections);

  /// Stops the thread; the connections close.
  ~worker();

  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  /// Opens every connection; the number that opened.
  unsigned connect_all(const tcp::resolver::results_type& endpoints);

  /// Starts a phase; `done` runs on this worker's thread when it is over.
  void begin(const phase_plan& plan, std::function<void()> done);

  /// Runs `f` on the worker's thread and returns its result.
  template <class F>
  auto call(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task{std::move(f)};
    auto result = task.get_future();
    net::post(ioc_, [&task] { task(); });
    return result.get();
  }

  /// The finished phase's figures.
  phase_stats take_stats();

  /// Tagged events of the finished phase that were accepted.
  std::vector<std::pair<uint64_t, uint32_t>> take_tagged();

  /// The running phase's figures so far.
  progress_snapshot snapshot();

private:
  // -- schedule --------------------------------------------------------------------------------

  /// Builds the next request's body ahead of its due time.
  void prepare_next();

  void fill(request_slot& slot, uint64_t index);

  void arm();

  /// Takes every request that is due into the queue and sends what the connections allow.
  void tick();

  request_slot spare();

  void pump();

  // -- one exchange ----------------------------------------------------------------------------

  void send(connection& c);

  void write(connection& c);

  void answered(connection& c);

  void fail(connection& c, const beast::error_code& ec, bool connecting);

  void count_failure(const request_slot& req, const char* key);

  void close(connection& c);

  void release(connection& c);

  /// The drain deadline passed: whatever is still queued or in flight has failed.
  void abort_phase();

  void check_done();

  const engine_settings& settings_;
  const payload_factory& payloads_;
  const unsigned id_;
  const unsigned stride_;
  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> guard_;
  net::steady_timer timer_;
  net::steady_timer deadline_;
  tcp::resolver::results_type endpoints_;
  std::vector<std::unique_ptr<connection>> conns_;
  std::vector<connection*> idle_;
  std::size_t busy_ = 0;
  std::deque<request_slot> queue_;
  std::vector<request_slot> spares_;
  request_slot prepared_;
  bool has_prepared_ = false;
  std::string header_prefix_;

  phase_plan plan_;
  uint64_t next_ = 0;
  uint64_t end_ = 0;
  bool schedule_done_ = true;
  bool aborting_ = false;
  bool active_ = false;
  std::function<void()> done_;
  phase_stats stats_;
  std::vector<std::pair<uint64_t, uint32_t>> tagged_;

  std::size_t pending_connects_ = 0;
  unsigned opened_ = 0;
  std::promise<unsigned>* connected_ = nullptr;
  std::thread thread_;
};

} // namespace vigil::loadtest
