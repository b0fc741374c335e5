#include "runtime/http/server.hpp"

#include <fcntl.h>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "runtime/model/errc.hpp"

namespace vigil::http {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using std::chrono::steady_clock;

namespace {

/// simdjson wants this many readable bytes past the end of a document.
constexpr std::size_t body_padding = 64;
/// Longest header block accepted.
constexpr std::size_t header_limit = 16 * 1024;
/// Bytes read and thrown away after refusing a body, so the client sees our answer.
constexpr std::size_t discard_limit = 1 << 20;

method from_verb(bhttp::verb v) noexcept {
  switch (v) {
    case bhttp::verb::get:
      return method::get;
    case bhttp::verb::head:
      return method::head;
    case bhttp::verb::post:
      return method::post;
    case bhttp::verb::put:
      return method::put;
    case bhttp::verb::delete_:
      return method::delete_;
    case bhttp::verb::patch:
      return method::patch;
    case bhttp::verb::options:
      return method::options;
    default:
      return method::other;
  }
}

std::string media_type(std::string_view header) {
  auto semi = header.find(';');
  auto type = header.substr(0, semi);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
    type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t'))
    type.remove_prefix(1);
  std::string out{type};
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool parse_target(std::string_view target, request& req) {
  auto q = target.find('?');
  if (!url_decode(target.substr(0, q), req.path, false))
    return false;
  if (req.path.empty() || req.path.front() != '/')
    return false;
  if (q == std::string_view::npos)
    return true;
  auto query = target.substr(q + 1);
  std::size_t pos = 0;
  while (pos <= query.size()) {
    auto amp = query.find('&', pos);
    if (amp == std::string_view::npos)
      amp = query.size();
    auto part = query.substr(pos, amp - pos);
    if (!part.empty()) {
      auto eq = part.find('=');
      std::string key, value;
      if (!url_decode(part.substr(0, eq), key, true))
        return false;
      if (eq != std::string_view::npos && !url_decode(part.substr(eq + 1), value, true))
        return false;
      req.query.emplace_back(std::move(key), std::move(value));
    }
    pos = amp + 1;
  }
  return true;
}

using request_header = bhttp::request_parser<bhttp::string_body>::value_type;

/// What HTTP/1.1 (RFC 9112 3.2, RFC 9110 5.3) forbids in the header that Beast lets through:
/// no Host in a 1.1 request, and a field that must be single sent twice (a second Content-Type
/// or Authorization would let two readers of the request see two different requests).
std::optional<response> header_problem(const request_header& msg) {
  const auto hosts = msg.count(bhttp::field::host);
  if (hosts == 0 && msg.version() >= 11)
    return error_response(400, "bad_request", "an HTTP/1.1 request needs a Host header");
  if (hosts > 1)
    return error_response(400, "bad_request", "more than one Host header");
  if (msg.count(bhttp::field::content_type) > 1)
    return error_response(400, "bad_request", "more than one Content-Type header");
  if (msg.count(bhttp::field::authorization) > 1)
    return error_response(400, "bad_request", "more than one Authorization header");
  return std::nullopt;
}

/// The codings listed by every `name` field, in order, trimmed; empty list items are void.
std::vector<std::string_view> codings(const request_header& msg, bhttp::field name) {
  std::vector<std::string_view> out;
  const auto [first, last] = msg.equal_range(name);
  for (auto it = first; it != last; ++it) {
    const std::string_view list = it->value();
    std::size_t pos = 0;
    while (pos <= list.size()) {
      auto comma = list.find(',', pos);
      if (comma == std::string_view::npos)
        comma = list.size();
      auto coding = list.substr(pos, comma - pos);
      while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t'))
        coding.remove_prefix(1);
      while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t'))
        coding.remove_suffix(1);
      if (!coding.empty())
        out.push_back(coding);
      pos = comma + 1;
    }
  }
  return out;
}

/// The first content coding other than `identity`, if any. Vigil decodes none: a compressed
/// body would be read as JSON and refused for the wrong reason.
std::optional<std::string> unsupported_coding(const request_header& msg) {
  for (auto coding : codings(msg, bhttp::field::content_encoding))
    if (!beast::iequals(coding, "identity"))
      return std::string{coding.substr(0, 64)};
  return std::nullopt;
}

/// What is wrong with the Transfer-Encoding, if anything (RFC 9112 6.1, 6.3). Beast reads a
/// body whose last coding is not `chunked` as empty and the body's bytes as the next request
/// (request smuggling); it ignores codings before `chunked`. The connection must close after.
std::optional<response> transfer_problem(const request_header& msg) {
  if (msg.count(bhttp::field::transfer_encoding) == 0)
    return std::nullopt;
  const auto list = codings(msg, bhttp::field::transfer_encoding);
  if (list.empty() || !beast::iequals(list.back(), "chunked"))
    return error_response(400, "bad_request",
                          "Transfer-Encoding must end in chunked: the body's length is unknown");
  if (list.size() == 1)
    return std::nullopt;
  for (std::size_t i = 0; i + 1 < list.size(); ++i)
    if (beast::iequals(list[i], "chunked"))
      return error_response(400, "bad_request", "Transfer-Encoding names chunked twice");
  return error_response(501, "not_implemented",
                        "Transfer-Encoding \"" + std::string{list.front().substr(0, 64)}
                          + "\" is not supported; send the body chunked only");
}

} // namespace

// -- implementation state ------------------------------------------------------------

class session;

struct server::impl {
  impl(const model::server_config& c, const router& r, server_hooks h)
    : cfg(c), routes(r), hooks(std::move(h)) {}

  void do_accept();
  void refuse(tcp::socket socket);

  model::server_config cfg;
  const router& routes;
  server_hooks hooks;
  server_stats stats;
  std::atomic<bool> stopping{false};
  std::atomic<bool> serving{false};
  // Declared before the io_context: sessions deregister here when the context destroys them.
  std::mutex sessions_mtx;
  std::unordered_map<session*, std::weak_ptr<session>> sessions;
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
};

// -- one connection ------------------------------------------------------------------

class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket&& socket, server::impl& srv) : stream_(std::move(socket)), srv_(srv) {
    srv_.stats.connections_active.fetch_add(1, std::memory_order_relaxed);
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec)
      remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  ~session() {
    srv_.stats.connections_active.fetch_sub(1, std::memory_order_relaxed);
    std::lock_guard<std::mutex> guard{srv_.sessions_mtx};
    srv_.sessions.erase(this);
  }

  void run() {
    {
      std::lock_guard<std::mutex> guard{srv_.sessions_mtx};
      srv_.sessions.emplace(this, weak_from_this());
    }
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->await_request(); });
  }

  /// Called (on the strand) when the server stops: closes the connection unless a request is
  /// being handled, in which case the response goes out with `Connection: close`.
  void close_if_idle() {
    if (!busy_)
      close();
  }

  /// Posts `close_if_idle` to this connection's strand.
  void post_close_if_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->close_if_idle(); });
  }

private:
  // -- reading ----------------------------------------------------------------------

  void await_request() {
    busy_ = false;
    if (srv_.stopping.load(std::memory_order_acquire))
      return close();
    if (buffer_.size() == 0 && requests_ > 0) {
      // Idle keep-alive connection: wait for the first byte of the next request with the
      // idle timeout; the header itself then gets the (shorter) header timeout.
      stream_.expires_after(srv_.cfg.idle_timeout);
      stream_.async_read_some(buffer_.prepare(4096),
                              [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                if (ec)
                                  return self->close();
                                self->buffer_.commit(n);
                                self->read_header();
                              });
      return;
    }
    read_header();
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(header_limit);
    parser_->body_limit(srv_.cfg.max_body_bytes);
    stream_.expires_after(srv_.cfg.header_timeout);
    bhttp::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof
        || ec == net::error::operation_aborted)
      return close();
    if (ec == beast::error::timeout) {
      // The stream has already closed the socket: a slow client is simply cut off.
      srv_.stats.timeouts.fetch_add(1, std::memory_order_relaxed);
      return close();
    }
    if (ec == bhttp::error::body_limit)
      return refuse(error_response(413, "payload_too_large",
                                   "the body is larger than "
                                     + std::to_string(srv_.cfg.max_body_bytes) + " bytes"));
    if (ec == bhttp::error::header_limit)
      return refuse_and_close(
        error_response(431, "header_too_large", "the request header is larger than 16 KiB"));
    if (ec)
      return refuse_and_close(
        error_response(400, "bad_request", "malformed HTTP request: " + ec.message()));

    busy_ = true;
    ++requests_;
    started_ = steady_clock::now();
    auto& msg = parser_->get();
    request_ = request{};
    request_.method = from_verb(msg.method());
    request_.target = std::string{msg.target()};
    request_.remote = remote_;
    if (auto it = msg.find(bhttp::field::content_type); it != msg.end())
      request_.content_type = media_type(it->value());
    if (auto it = msg.find(bhttp::field::authorization); it != msg.end())
      request_.authorization = std::string{it->value()};
    keep_alive_ = msg.keep_alive();

    if (auto problem = header_problem(msg))
      return refuse(std::move(*problem));
    if (auto problem = transfer_problem(msg))
      return refuse_and_close(std::move(*problem));
    if (!parse_target(request_.target, request_))
      return refuse(error_response(400, "bad_request", "malformed request target"));
    auto match = srv_.routes.match(request_.method, request_.path);
    if (match.route == nullptr) {
      if (match.path_known) {
        auto res = error_response(405, "method_not_allowed",
                                  std::string{to_string(request_.method)} + " is not allowed on "
                                    + request_.path);
        res.headers.emplace_back("Allow", match.allow);
        return refuse(std::move(res));
      }
      return refuse(error_response(404, "not_found", "no such endpoint: " + request_.path));
    }
    route_ = match.route;
    request_.path_params = std::move(match.path_params);
    request_.scope = route_->scope;

    const bool has_body = !parser_->is_done();
    if (auto len = parser_->content_length(); len && *len > srv_.cfg.max_body_bytes)
      return refuse(error_response(413, "payload_too_large",
                                   "the body is " + std::to_string(*len) + " bytes; the limit is "
                                     + std::to_string(srv_.cfg.max_body_bytes)));
    if (has_body && !route_->content_types.empty()) {
      bool accepted = false;
      for (const auto& t : route_->content_types)
        accepted = accepted || t == request_.content_type;
      if (!accepted) {
        std::string list;
        for (const auto& t : route_->content_types)
          list += (list.empty() ? "" : ", ") + t;
        return refuse(error_response(415, "unsupported_media_type",
                                     "Content-Type \"" + request_.content_type
                                       + "\" is not accepted here; use " + list));
      }
    }
    if (has_body) {
      if (auto coding = unsupported_coding(msg)) {
        auto res = error_response(415, "unsupported_media_type",
                                  "Content-Encoding \"" + *coding
                                    + "\" is not supported; send the body uncompressed");
        res.headers.emplace_back("Accept-Encoding", "identity");
        return refuse(std::move(res));
      }
    }
    if (srv_.hooks.authorize) {
      if (auto refusal = srv_.hooks.authorize(request_, *route_))
        return refuse(std::move(*refusal));
    }
    if (!has_body)
      return dispatch();

    // Room for the whole body plus simdjson's padding, so the parser can use it in place.
    if (auto len = parser_->content_length())
      parser_->get().body().reserve(static_cast<std::size_t>(*len) + body_padding);
    body_deadline_ = steady_clock::now() + srv_.cfg.header_timeout
                     + std::chrono::milliseconds{srv_.cfg.max_body_bytes / 1024};
    if (auto it = msg.find(bhttp::field::expect);
        it != msg.end() && beast::iequals(it->value(), "100-continue")) {
      auto cont =
        std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
      stream_.expires_after(srv_.cfg.header_timeout);
      bhttp::async_write(stream_, *cont,
                         [self = shared_from_this(), cont](beast::error_code wec, std::size_t) {
                           if (wec)
                             return self->close();
                           self->read_body();
                         });
      return;
    }
    read_body();
  }

  void read_body() {
    const auto now = steady_clock::now();
    if (now >= body_deadline_) {
      srv_.stats.timeouts.fetch_add(1, std::memory_order_relaxed);
      return close();
    }
    // Each chunk must arrive within the header timeout, and the whole body by its deadline:
    // a client that trickles bytes cannot hold the connection forever.
    auto budget = std::min<steady_clock::duration>(srv_.cfg.header_timeout, body_deadline_ - now);
    stream_.expires_after(budget);
    bhttp::async_read_some(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
  }

  void on_body(beast::error_code ec) {
    if (ec == bhttp::error::body_limit)
      return refuse(error_response(413, "payload_too_large",
                                   "the body is larger than "
                                     + std::to_string(srv_.cfg.max_body_bytes) + " bytes"));
    if (ec == beast::error::timeout) {
      srv_.stats.timeouts.fetch_add(1, std::memory_order_relaxed);
      return close();
    }
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof)
      return close();
    if (ec)
      return refuse_and_close(
        error_response(400, "bad_request", "malformed body: " + ec.message()));
    if (!parser_->is_done())
      return read_body();
    dispatch();
  }

  // -- handling -----------------------------------------------------------------------

  void dispatch() {
    request_.body = std::move(parser_->get().body());
    srv_.stats.requests.fetch_add(1, std::memory_order_relaxed);
    auto self = shared_from_this();
    responder reply{[self](response res) {
                      net::post(
                        self->stream_.get_executor(),
                        [self, res = std::move(res)]() mutable { self->write(std::move(res)); });
                    },
                    [self](std::function<response()> make) {
                      net::post(self->stream_.get_executor(),
                                [self, make = std::move(make)] { self->write(make()); });
                    }};
    try {
      route_->handler(request_, reply);
    } catch (const std::exception& e) {
      reply(error_response(500, "internal", std::string{"internal error: "} + e.what()));
    }
  }

  /// Answers without reading the body; the connection closes unless the request had none.
  void refuse(response res) {
    busy_ = true;
    if (parser_ && !parser_->is_done())
      res.close = true;
    write(std::move(res));
  }

  void refuse_and_close(response res) {
    busy_ = true;
    res.close = true;
    write(std::move(res));
  }

  // -- writing ------------------------------------------------------------------------

  void write(response res) {
    auto msg = std::make_shared<bhttp::response<bhttp::string_body>>(
      static_cast<bhttp::status>(res.status), 11);
    msg->set(bhttp::field::server, "vigil");
    msg->set(bhttp::field::content_type, res.content_type);
    for (auto& [k, v] : res.headers)
      msg->set(k, v);
    const bool close_after =
      res.close || !keep_alive_ || srv_.stopping.load(std::memory_order_acquire);
    msg->keep_alive(!close_after);
    if (srv_.hooks.observe)
      srv_.hooks.observe(request_, res, steady_clock::now() - started_);
    if (request_.method == method::head) {
      msg->content_length(res.body.size());
    } else {
      msg->body() = std::move(res.body);
      msg->prepare_payload();
    }
    stream_.expires_after(srv_.cfg.idle_timeout);
    bhttp::async_write(
      stream_, *msg,
      [self = shared_from_this(), msg, close_after](beast::error_code ec, std::size_t) {
        if (ec)
          return self->close();
        if (close_after)
          return self->linger_close();
        self->parser_.reset();
        self->await_request();
      });
  }

  /// Half-closes, then reads and discards what the client still sends (bounded), so that it
  /// sees our answer instead of a reset.
  void linger_close() {
    busy_ = false;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec)
      return close();
    discard();
  }

  void discard() {
    if (discarded_ >= discard_limit)
      return close();
    stream_.expires_after(std::chrono::seconds{2});
    discard_buf_.resize(16 * 1024);
    stream_.async_read_some(net::buffer(discard_buf_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->discarded_ += n;
                              if (ec)
                                return self->close();
                              self->discard();
                            });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  server::impl& srv_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  request request_;
  const route* route_ = nullptr;
  std::string remote_;
  bool busy_ = false;
  bool keep_alive_ = true;
  uint64_t requests_ = 0;
  steady_clock::time_point started_;
  steady_clock::time_point body_deadline_;
  std::vector<char> discard_buf_;
  std::size_t discarded_ = 0;
};

// -- accepting -------------------------------------------------------------------------

namespace {

/// Asio opens sockets without close-on-exec; a command started later must not inherit them
/// (the child closes every descriptor above 2 too: this is the second lock on the door).
void set_close_on_exec(int fd) {
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0)
    ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

} // namespace

void server::impl::do_accept() {
  acceptor->async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || stopping.load())
        return;
      return do_accept();
    }
    socket.set_option(tcp::no_delay{true}, ec);
    set_close_on_exec(socket.native_handle());
    if (stats.connections_active.load(std::memory_order_relaxed) >= cfg.max_connections) {
      refuse(std::move(socket));
    } else {
      stats.connections_accepted.fetch_add(1, std::memory_order_relaxed);
      std::make_shared<session>(std::move(socket), *this)->run();
    }
    do_accept();
  });
}

void server::impl::refuse(tcp::socket socket) {
  stats.connections_refused.fetch_add(1, std::memory_order_relaxed);
  struct refusal {
    explicit refusal(tcp::socket s) : stream(std::move(s)) {}
    beast::tcp_stream stream;
    bhttp::response<bhttp::string_body> msg;
  };
  auto r = std::make_shared<refusal>(std::move(socket));
  auto body = error_response(503, "too_many_connections",
                             "the server is at its connection limit; retry shortly");
  r->msg.result(bhttp::status::service_unavailable);
  r->msg.version(11);
  r->msg.set(bhttp::field::server, "vigil");
  r->msg.set(bhttp::field::content_type, "application/json");
  r->msg.set(bhttp::field::retry_after, "1");
  r->msg.keep_alive(false);
  r->msg.body() = std::move(body.body);
  r->msg.prepare_payload();
  r->stream.expires_after(std::chrono::seconds{2});
  bhttp::async_write(r->stream, r->msg, [r](beast::error_code, std::size_t) {
    beast::error_code ec;
    r->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  });
}

// -- server ----------------------------------------------------------------------------

server::server(const model::server_config& cfg, const router& routes, server_hooks hooks)
  : impl_(std::make_unique<impl>(cfg, routes, std::move(hooks))) {}

server::~server() {
  stop(std::chrono::milliseconds{0});
}

caf::expected<uint16_t> server::start() {
  auto& s = *impl_;
  beast::error_code ec;
  auto address =
    net::ip::make_address(s.cfg.listen.host == "localhost" ? "127.0.0.1" : s.cfg.listen.host, ec);
  if (ec)
    return make_error(errc::invalid_argument,
                      "cannot listen on " + s.cfg.listen.to_string() + ": not an IP address");
  tcp::endpoint ep{address, s.cfg.listen.port};
  s.acceptor.emplace(s.ioc);
  s.acceptor->open(ep.protocol(), ec);
  if (!ec) {
    set_close_on_exec(s.acceptor->native_handle());
    s.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  }
  if (!ec)
    s.acceptor->bind(ep, ec);
  if (!ec)
    s.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(errc::io_error,
                      "cannot listen on " + s.cfg.listen.to_string() + ": " + ec.message());
  const auto port = s.acceptor->local_endpoint().port();
  s.work.emplace(s.ioc.get_executor());
  s.do_accept();
  for (uint32_t i = 0; i < s.cfg.io_threads; ++i)
    s.threads.emplace_back([&s] { s.ioc.run(); });
  s.serving.store(true);
  return port;
}

void server::stop(std::chrono::milliseconds grace) {
  auto& s = *impl_;
  if (s.threads.empty())
    return;
  s.serving.store(false);
  s.stopping.store(true, std::memory_order_release);
  net::post(s.ioc, [&s] {
    beast::error_code ec;
    if (s.acceptor)
      s.acceptor->close(ec);
  });
  // Collect under the lock, post outside it: dropping the last reference runs a session's
  // destructor, which takes the same lock.
  std::vector<std::shared_ptr<session>> open_sessions;
  {
    std::lock_guard<std::mutex> guard{s.sessions_mtx};
    for (auto& [ptr, weak] : s.sessions)
      if (auto sp = weak.lock())
        open_sessions.push_back(std::move(sp));
  }
  for (auto& sp : open_sessions)
    sp->post_close_if_idle();
  open_sessions.clear();
  // In-flight requests finish and their connections close; wait for that, within the grace.
  const auto deadline = steady_clock::now() + grace;
  while (s.stats.connections_active.load() > 0 && steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  s.work.reset();
  s.ioc.stop();
  for (auto& t : s.threads)
    t.join();
  s.threads.clear();
}

bool server::serving() const noexcept {
  return impl_->serving.load();
}

const server_stats& server::stats() const noexcept {
  return impl_->stats;
}

} // namespace vigil::http
