#include "bench/loadtest/mini_server.hpp"

#include <thread>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace vigil::loadtest {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

namespace {

/// One connection: read a request, let the handler answer, write, repeat while keep-alive.
class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket&& socket, const mini_server::handler& h)
    : stream_(std::move(socket)), handler_(h) {}

  void run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

private:
  void read() {
    request_ = {};
    stream_.expires_after(std::chrono::seconds{60});
    bhttp::async_read(stream_, buffer_, request_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) {
                          beast::error_code ignored;
                          self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                          return;
                        }
                        self->dispatch();
                      });
  }

  void dispatch() {
    stream_.expires_never();
    auto self = shared_from_this();
    const std::string method{request_.method_string()};
    const std::string target{request_.target()};
    handler_(method, target, request_.body(), [self](unsigned status, std::string body) {
      net::post(self->stream_.get_executor(), [self, status, body = std::move(body)]() mutable {
        self->write(status, std::move(body));
      });
    });
  }

  void write(unsigned status, std::string body) {
    response_ = {};
    response_.version(11);
    response_.result(status);
    response_.set(bhttp::field::content_type, "text/plain");
    response_.keep_alive(request_.keep_alive());
    response_.body() = std::move(body);
    response_.prepare_payload();
    stream_.expires_after(std::chrono::seconds{60});
    bhttp::async_write(stream_, response_,
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         if (ec)
                           return;
                         if (!self->response_.keep_alive()) {
                           beast::error_code ignored;
                           self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                           return;
                         }
                         self->read();
                       });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bhttp::request<bhttp::string_body> request_;
  bhttp::response<bhttp::string_body> response_;
  const mini_server::handler& handler_;
};

} // namespace

struct mini_server::impl {
  impl(handler h, unsigned threads)
    : handler_(std::move(h)), threads_(threads == 0 ? 1 : threads), acceptor_(ioc_) {}

  void accept() {
    acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket s) {
      if (ec)
        return; // closed by stop()
      std::make_shared<session>(std::move(s), handler_)->run();
      accept();
    });
  }

  handler handler_;
  unsigned threads_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> pool_;
  bool running_ = false;
};

mini_server::mini_server(handler h, unsigned threads)
  : impl_(std::make_unique<impl>(std::move(h), threads)) {}

mini_server::~mini_server() {
  stop();
}

std::string mini_server::start(const std::string& host, uint16_t port) {
  beast::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec)
    return "cannot listen on " + host + ":" + std::to_string(port) + ": not an IP address";
  const tcp::endpoint endpoint{address, port};
  auto& acc = impl_->acceptor_;
  acc.open(endpoint.protocol(), ec);
  if (!ec)
    acc.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec)
    acc.bind(endpoint, ec);
  if (!ec)
    acc.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    acc.close(ignored);
    return "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message();
  }
  port_ = acc.local_endpoint().port();
  impl_->accept();
  impl_->running_ = true;
  for (unsigned i = 0; i < impl_->threads_; ++i)
    impl_->pool_.emplace_back([this] { impl_->ioc_.run(); });
  return {};
}

void mini_server::stop() {
  if (!impl_->running_)
    return;
  impl_->running_ = false;
  net::post(impl_->ioc_, [this] {
    beast::error_code ignored;
    impl_->acceptor_.close(ignored);
  });
  impl_->ioc_.stop();
  for (auto& t : impl_->pool_)
    t.join();
  impl_->pool_.clear();
}

} // namespace vigil::loadtest
