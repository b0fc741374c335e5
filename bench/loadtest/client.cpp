#include "bench/loadtest/client.hpp"

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

namespace vigil::loadtest {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

namespace {

using clock_point = std::chrono::steady_clock::time_point;

clock_point at(int64_t ns) {
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
uint64_t duplicates_in(std::string_view body) {
  constexpr std::string_view key = "\"duplicates\":";
  const auto pos = body.find(key);
  if (pos == std::string_view::npos)
    return 0;
  uint64_t n = 0;
  const char* first = body.data() + pos + key.size();
  std::from_chars(first, body.data() + body.size(), n);
  return n;
}

bool stale_connection_error(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == net::error::eof
         || ec == net::error::connection_reset || ec == net::error::broken_pipe;
}

} // namespace

// -- worker ------------------------------------------------------------------------------------

class load_engine::worker {
public:
  worker(const engine_settings& s, const payload_factory& payloads, unsigned id, unsigned stride,
         unsigned connections)
    : settings_(s), payloads_(payloads), id_(id), stride_(stride), guard_(ioc_.get_executor()),
      timer_(ioc_), deadline_(ioc_) {
    conns_.reserve(connections);
    for (unsigned i = 0; i < connections; ++i)
      conns_.push_back(std::make_unique<connection>(ioc_));
    header_prefix_ = "POST " + s.target + " HTTP/1.1\r\nHost: " + s.host + ":" + s.port
                     + "\r\nUser-Agent: vigil-loadtest\r\nContent-Type: "
                     + std::string{content_type(payloads.settings().kind)} + "\r\n";
    if (!s.authorization.empty())
      header_prefix_ += "Authorization: " + s.authorization + "\r\n";
    header_prefix_ += "Content-Length: ";
    thread_ = std::thread{[this] {
      // Wake up on time: the default 50 us timer slack would add to every due time.
      prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
      ioc_.run();
    }};
  }

  ~worker() {
    guard_.reset();
    ioc_.stop();
    thread_.join();
  }

  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  /// Opens every connection; the number that opened.
  unsigned connect_all(const tcp::resolver::results_type& endpoints) {
    std::promise<unsigned> opened;
    auto result = opened.get_future();
    net::post(ioc_, [this, endpoints, &opened] {
      endpoints_ = endpoints;
      pending_connects_ = conns_.size();
      opened_ = 0;
      connected_ = &opened;
      for (auto& c : conns_) {
        c->stream.expires_after(settings_.timeout);
        c->stream.async_connect(endpoints_,
                                [this, conn = c.get()](beast::error_code ec, const tcp::endpoint&) {
                                  if (!ec) {
                                    conn->open = true;
                                    conn->stream.socket().set_option(tcp::no_delay{true}, ec);
                                    ++opened_;
                                  }
                                  if (--pending_connects_ == 0)
                                    connected_->set_value(opened_);
                                });
      }
    });
    return result.get();
  }

  /// Starts a phase; `done` runs on this worker's thread when it is over.
  void begin(const phase_plan& plan, std::function<void()> done) {
    net::post(ioc_, [this, plan, done = std::move(done)]() mutable {
      plan_ = plan;
      done_ = std::move(done);
      stats_ = phase_stats{};
      stats_.window = plan.window;
      tagged_.clear();
      next_ = plan.first + id_;
      end_ = plan.first + plan.count;
      schedule_done_ = false;
      aborting_ = false;
      active_ = true;
      idle_.clear();
      for (auto& c : conns_)
        idle_.push_back(c.get());
      const int64_t last_due = plan.count == 0 ? plan.start_ns : plan.due_ns(end_ - 1);
      deadline_.expires_at(at(last_due + settings_.drain.count()));
      deadline_.async_wait([this](beast::error_code ec) {
        if (!ec)
          abort_phase();
      });
      prepare_next();
      arm();
    });
  }

  /// Runs `f` on the worker's thread and returns its result.
  template <class F>
  auto call(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task{std::move(f)};
    auto result = task.get_future();
    net::post(ioc_, [&task] { task(); });
    return result.get();
  }

  phase_stats take_stats() {
    return call([this] { return std::move(stats_); });
  }

  std::vector<std::pair<uint64_t, uint32_t>> take_tagged() {
    return call([this] { return std::move(tagged_); });
  }

  progress_snapshot snapshot() {
    return call([this] {
      progress_snapshot s;
      s.requests = stats_.requests;
      s.failed = stats_.failed;
      s.events = stats_.events;
      s.accept = stats_.accept;
      return s;
    });
  }

private:
  // -- schedule --------------------------------------------------------------------------------

  /// Builds the next request's body ahead of its due time.
  void prepare_next() {
    if (next_ >= end_ || (has_prepared_ && prepared_.index == next_))
      return;
    fill(prepared_, next_);
    has_prepared_ = true;
  }

  void fill(request_slot& slot, uint64_t index) {
    slot.index = index;
    slot.due = plan_.due_ns(index);
    slot.measured = plan_.measured(index);
    slot.retried = false;
    payloads_.build(index, slot.payload);
    slot.header.assign(header_prefix_);
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, slot.payload.text.size());
    (void)ec;
    slot.header.append(buf, end);
    slot.header.append("\r\n\r\n");
  }

  void arm() {
    if (next_ >= end_) {
      schedule_done_ = true;
      check_done();
      return;
    }
    timer_.expires_at(at(plan_.due_ns(next_)));
    timer_.async_wait([this](beast::error_code ec) {
      if (!ec)
        tick();
    });
  }

  /// Takes every request that is due into the queue and sends what the connections allow.
  void tick() {
    const int64_t now = now_ns();
    while (next_ < end_ && plan_.due_ns(next_) <= now) {
      request_slot slot = spare();
      if (has_prepared_ && prepared_.index == next_) {
        std::swap(slot, prepared_);
        has_prepared_ = false;
      } else {
        fill(slot, next_);
      }
      if (slot.measured) {
        stats_.dispatch_lag.record(static_cast<uint64_t>(now - slot.due));
        if (queue_.size() >= idle_.size())
          ++stats_.waited_for_connection;
      }
      queue_.push_back(std::move(slot));
      next_ += stride_;
    }
    pump();
    prepare_next();
    arm();
  }

  request_slot spare() {
    if (spares_.empty())
      return {};
    request_slot s = std::move(spares_.back());
    spares_.pop_back();
    return s;
  }

  void pump() {
    while (!queue_.empty() && !idle_.empty()) {
      connection* c = idle_.back();
      idle_.pop_back();
      ++busy_;
      c->req = std::move(queue_.front());
      queue_.pop_front();
      send(*c);
    }
  }

  // -- one exchange ----------------------------------------------------------------------------

  void send(connection& c) {
    c.stream.expires_after(settings_.timeout);
    if (c.open) {
      write(c);
      return;
    }
    c.stream.async_connect(endpoints_, [this, &c](beast::error_code ec, const tcp::endpoint&) {
      if (ec)
        return fail(c, ec, true);
      c.open = true;
      c.uses = 0;
      c.stream.socket().set_option(tcp::no_delay{true}, ec);
      write(c);
    });
  }

  void write(connection& c) {
    const std::array<net::const_buffer, 2> buffers{net::buffer(c.req.header),
                                                   net::buffer(c.req.payload.text)};
    net::async_write(c.stream, buffers, [this, &c](beast::error_code ec, std::size_t) {
      if (ec)
        return fail(c, ec, false);
      c.parser.emplace();
      c.parser->body_limit(16 * 1024 * 1024);
      bhttp::async_read(c.stream, c.buffer, *c.parser,
                        [this, &c](beast::error_code ec2, std::size_t) {
                          if (ec2)
                            return fail(c, ec2, false);
                          answered(c);
                        });
    });
  }

  void answered(connection& c) {
    const int64_t now = now_ns();
    const auto& res = c.parser->get();
    const unsigned status = res.result_int();
    const bool keep_alive = res.keep_alive();
    const auto& req = c.req;
    if (req.measured) {
      auto& win = stats_.window_at(std::chrono::nanoseconds{req.due - plan_.measure_start_ns()});
      ++stats_.requests;
      ++win.requests;
      stats_.events += req.payload.events;
      if (status >= 200 && status < 300) {
        const auto latency = static_cast<uint64_t>(now - req.due);
        ++stats_.ok;
        stats_.ok_events += req.payload.events;
        stats_.accept.record(latency);
        win.accept.record(latency);
        stats_.server_duplicates += duplicates_in(res.body());
        for (auto slot : req.payload.tagged)
          tagged_.emplace_back(req.index, slot);
      } else {
        ++stats_.failed;
        ++win.failed;
        ++stats_.errors[std::to_string(status)];
      }
    }
    ++c.uses;
    c.parser.reset();
    if (!keep_alive)
      close(c);
    release(c);
  }

  void fail(connection& c, const beast::error_code& ec, bool connecting) {
    const bool was_used = c.uses > 0;
    close(c);
    if (!aborting_ && !connecting && was_used && !c.req.retried && stale_connection_error(ec)) {
      // The server closed an idle keep-alive connection as we reused it: not the request's
      // fault, so send it once more on a new connection.
      c.req.retried = true;
      send(c);
      return;
    }
    const char* key = aborting_                     ? "unfinished"
                      : ec == beast::error::timeout ? "timeout"
                      : connecting                  ? "connect"
                                                    : "connection";
    count_failure(c.req, key);
    release(c);
  }

  void count_failure(const request_slot& req, const char* key) {
    if (!req.measured)
      return;
    auto& win = stats_.window_at(std::chrono::nanoseconds{req.due - plan_.measure_start_ns()});
    ++stats_.requests;
    ++stats_.failed;
    ++win.requests;
    ++win.failed;
    stats_.events += req.payload.events;
    ++stats_.errors[key];
  }

  void close(connection& c) {
    beast::error_code ignored;
    c.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    c.stream.close();
    c.buffer.clear();
    c.open = false;
    c.uses = 0;
  }

  void release(connection& c) {
    spares_.push_back(std::move(c.req));
    --busy_;
    idle_.push_back(&c);
    if (!aborting_)
      pump();
    check_done();
  }

  /// The drain deadline passed: whatever is still queued or in flight has failed.
  void abort_phase() {
    if (!active_)
      return;
    aborting_ = true;
    for (; next_ < end_; next_ += stride_) {
      request_slot slot;
      slot.measured = plan_.measured(next_);
      slot.due = plan_.due_ns(next_);
      slot.payload.events = payloads_.settings().batch;
      count_failure(slot, "unsent");
    }
    timer_.cancel();
    schedule_done_ = true;
    for (auto& req : queue_)
      count_failure(req, "unsent");
    queue_.clear();
    for (auto& c : conns_)
      c->stream.cancel();
    check_done();
  }

  void check_done() {
    if (active_ && schedule_done_ && queue_.empty() && busy_ == 0) {
      active_ = false;
      deadline_.cancel();
      auto done = std::move(done_);
      done_ = nullptr;
      if (done)
        done();
    }
  }

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
