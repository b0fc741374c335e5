#include "tests/support/scripted_http_server.hpp"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace vigil::test {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// -- responses ------------------------------------------------------------------------------------

scripted_response scripted_response::ok(std::string body, std::string content_type) {
  scripted_response r;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", std::move(content_type));
  return r;
}

scripted_response scripted_response::json(int status, std::string body) {
  scripted_response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

scripted_response scripted_response::with_status(int status, std::string body) {
  scripted_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

scripted_response scripted_response::too_many(std::string retry_after) {
  scripted_response r;
  r.status = 429;
  r.body = "slow down";
  r.headers.emplace_back("Retry-After", std::move(retry_after));
  return r;
}

scripted_response scripted_response::slow(std::chrono::milliseconds delay, int status,
                                          std::string body) {
  scripted_response r;
  r.status = status;
  r.body = std::move(body);
  r.delay = delay;
  return r;
}

scripted_response scripted_response::connection_reset() {
  scripted_response r;
  r.reset = true;
  return r;
}

// -- the server -----------------------------------------------------------------------------------

struct scripted_http_server::impl {
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  uint16_t port = 0;

  mutable std::mutex mutex;
  mutable std::condition_variable arrived;
  std::vector<recorded_request> requests;
  std::deque<scripted_response> script;
  scripted_response fallback = scripted_response::ok();
  std::function<std::optional<scripted_response>(const recorded_request&)> handler;
  std::size_t active = 0;
  std::size_t peak = 0;
  bool stopped = false;

  scripted_response record(recorded_request rec) {
    std::function<std::optional<scripted_response>(const recorded_request&)> fn;
    {
      std::lock_guard<std::mutex> guard{mutex};
      fn = handler;
    }
    std::optional<scripted_response> answer;
    if (fn)
      answer = fn(rec);
    std::lock_guard<std::mutex> guard{mutex};
    if (!answer) {
      if (!script.empty()) {
        answer = std::move(script.front());
        script.pop_front();
      } else {
        answer = fallback;
      }
    }
    requests.push_back(std::move(rec));
    peak = std::max(peak, ++active);
    arrived.notify_all();
    return std::move(*answer);
  }

  void answered() {
    std::lock_guard<std::mutex> guard{mutex};
    --active;
  }

  void accept();
};

namespace {

class session : public std::enable_shared_from_this<session> {
public:
  /// `server` outlives every session: they live in its io_context's handlers.
  session(tcp::socket socket, scripted_http_server::impl* server)
    : socket_(std::move(socket)), timer_(socket_.get_executor()), server_(server) {}

  void read() {
    req_ = {};
    bhttp::async_read(socket_, buffer_, req_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (!ec)
                          self->on_request();
                      });
  }

private:
  void on_request() {
    recorded_request rec;
    rec.method = std::string{req_.method_string()};
    rec.target = std::string{req_.target()};
    rec.body = req_.body();
    rec.at = std::chrono::steady_clock::now();
    for (const auto& f : req_) {
      std::string name{f.name_string()};
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      rec.headers[name] = std::string{f.value()};
    }
    answer_ = server_->record(std::move(rec));
    if (answer_.delay.count() > 0) {
      timer_.expires_after(answer_.delay);
      timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec)
          self->respond();
      });
      return;
    }
    respond();
  }

  void respond() {
    if (answer_.reset) {
      beast::error_code ec;
      socket_.set_option(net::socket_base::linger(true, 0), ec);
      socket_.close(ec);
      server_->answered();
      return;
    }
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(answer_.status));
    for (const auto& [k, v] : answer_.headers)
      res_.set(k, v);
    res_.keep_alive(req_.keep_alive());
    res_.body() = answer_.body;
    res_.prepare_payload();
    bhttp::async_write(socket_, res_,
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         self->server_->answered();
                         if (ec || !self->res_.keep_alive()) {
                           beast::error_code ignored;
                           self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
                           return;
                         }
                         self->read();
                       });
  }

  tcp::socket socket_;
  net::steady_timer timer_;
  scripted_http_server::impl* server_;
  beast::flat_buffer buffer_;
  bhttp::request<bhttp::string_body> req_;
  bhttp::response<bhttp::string_body> res_;
  scripted_response answer_;
};

} // namespace

void scripted_http_server::impl::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec)
      return;
    std::make_shared<session>(std::move(socket), this)->read();
    accept();
  });
}

scripted_http_server::scripted_http_server() : impl_(std::make_unique<impl>()) {
  tcp::endpoint ep{net::ip::make_address("127.0.0.1"), 0};
  beast::error_code ec;
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec)
    impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec)
    impl_->acceptor.bind(ep, ec);
  if (!ec)
    impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("scripted_http_server: " + ec.message());
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  impl_->thread = std::thread{[s = impl_.get()] { s->ioc.run(); }};
}

scripted_http_server::~scripted_http_server() {
  stop();
}

void scripted_http_server::stop() {
  {
    std::lock_guard<std::mutex> guard{impl_->mutex};
    if (impl_->stopped)
      return;
    impl_->stopped = true;
  }
  impl_->ioc.stop();
  impl_->thread.join();
}

uint16_t scripted_http_server::port() const noexcept {
  return impl_->port;
}

std::string scripted_http_server::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}

void scripted_http_server::push(const scripted_response& r, std::size_t times) {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  for (std::size_t i = 0; i < times; ++i)
    impl_->script.push_back(r);
}

void scripted_http_server::set_fallback(scripted_response r) {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  impl_->fallback = std::move(r);
}

void scripted_http_server::set_handler(
  std::function<std::optional<scripted_response>(const recorded_request&)> fn) {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  impl_->handler = std::move(fn);
}

std::vector<recorded_request> scripted_http_server::requests() const {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  return impl_->requests;
}

std::size_t scripted_http_server::count() const {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  return impl_->requests.size();
}

bool scripted_http_server::wait_for(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock{impl_->mutex};
  return impl_->arrived.wait_for(lock, timeout, [&] { return impl_->requests.size() >= n; });
}

std::size_t scripted_http_server::peak_concurrency() const {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  return impl_->peak;
}

} // namespace vigil::test
