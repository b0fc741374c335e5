#include "bench/loadtest/client_worker.hpp"

namespace vigil::loadtest {

load_engine::worker::worker(const engine_settings& s, const payload_factory& payloads, unsigned id,
                            unsigned stride, unsigned connections)
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

load_engine::worker::~worker() {
  guard_.reset();
  ioc_.stop();
  thread_.join();
}

unsigned load_engine::worker::connect_all(const tcp::resolver::results_type& endpoints) {
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

void load_engine::worker::begin(const phase_plan& plan, std::function<void()> done) {
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

phase_stats load_engine::worker::take_stats() {
  return call([this] { return std::move(stats_); });
}

std::vector<std::pair<uint64_t, uint32_t>> load_engine::worker::take_tagged() {
  return call([this] { return std::move(tagged_); });
}

progress_snapshot load_engine::worker::snapshot() {
  return call([this] {
    progress_snapshot s;
    s.requests = stats_.requests;
    s.failed = stats_.failed;
    s.events = stats_.events;
    s.accept = stats_.accept;
    return s;
  });
}

void load_engine::worker::prepare_next() {
  if (next_ >= end_ || (has_prepared_ && prepared_.index == next_))
    return;
  fill(prepared_, next_);
  has_prepared_ = true;
}

void load_engine::worker::fill(request_slot& slot, uint64_t index) {
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

void load_engine::worker::arm() {
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

void load_engine::worker::tick() {
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

detail::request_slot load_engine::worker::spare() {
  if (spares_.empty())
    return {};
  request_slot s = std::move(spares_.back());
  spares_.pop_back();
  return s;
}

void load_engine::worker::pump() {
  while (!queue_.empty() && !idle_.empty()) {
    connection* c = idle_.back();
    idle_.pop_back();
    ++busy_;
    c->req = std::move(queue_.front());
    queue_.pop_front();
    send(*c);
  }
}

void load_engine::worker::send(connection& c) {
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

void load_engine::worker::write(connection& c) {
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

void load_engine::worker::answered(connection& c) {
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

void load_engine::worker::fail(connection& c, const beast::error_code& ec, bool connecting) {
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

void load_engine::worker::count_failure(const request_slot& req, const char* key) {
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

void load_engine::worker::close(connection& c) {
  beast::error_code ignored;
  c.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  c.stream.close();
  c.buffer.clear();
  c.open = false;
  c.uses = 0;
}

void load_engine::worker::release(connection& c) {
  spares_.push_back(std::move(c.req));
  --busy_;
  idle_.push_back(&c);
  if (!aborting_)
    pump();
  check_done();
}

void load_engine::worker::abort_phase() {
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

void load_engine::worker::check_done() {
  if (active_ && schedule_done_ && queue_.empty() && busy_ == 0) {
    active_ = false;
    deadline_.cancel();
    auto done = std::move(done_);
    done_ = nullptr;
    if (done)
      done();
  }
}

} // namespace vigil::loadtest
