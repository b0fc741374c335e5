#include "runtime/app/blocking_http_client.hpp"

#include <charconv>
#include <exception>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "runtime/model/time.hpp"

namespace vigil::app {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// -- URLs -----------------------------------------------------------------------------------------

namespace {

bool host_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
         || c == '.' || c == '_';
}

bool ipv6_char(char c) {
  return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':'
         || c == '.';
}

} // namespace

std::string server_url::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<server_url> parse_server_url(std::string_view text, std::string& error) {
  const std::string shown = "\"" + std::string{text} + "\"";
  constexpr std::string_view scheme = "http://";
  if (text.substr(0, 8) == "https://") {
    error = shown + ": https is not supported; Vigil listens on plain HTTP (http://HOST:PORT)";
    return std::nullopt;
  }
  if (text.substr(0, scheme.size()) != scheme) {
    error = shown + ": expected http://HOST:PORT";
    return std::nullopt;
  }
  auto rest = text.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/')
    rest.remove_suffix(1);
  if (rest.find_first_of("/?#") != std::string_view::npos) {
    error = shown + ": expected http://HOST:PORT with nothing after it (no path or query)";
    return std::nullopt;
  }
  if (rest.find('@') != std::string_view::npos) {
    error = shown + ": user information is not supported; pass a token with --token";
    return std::nullopt;
  }
  server_url out;
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos || close == 1) {
      error = shown + ": bad IPv6 address (expected http://[ADDRESS]:PORT)";
      return std::nullopt;
    }
    const auto addr = rest.substr(1, close - 1);
    for (char c : addr) {
      if (!ipv6_char(c)) {
        error = shown + ": bad IPv6 address \"" + std::string{addr} + "\"";
        return std::nullopt;
      }
    }
    out.host = std::string{addr};
    rest.remove_prefix(close + 1);
    if (rest.empty() || rest.front() != ':') {
      error = shown + ": missing port (expected http://[ADDRESS]:PORT)";
      return std::nullopt;
    }
    port_text = rest.substr(1);
  } else {
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos) {
      error = shown + ": missing port (expected http://HOST:PORT, e.g. http://127.0.0.1:9000)";
      return std::nullopt;
    }
    const auto host = rest.substr(0, colon);
    if (host.empty()) {
      error = shown + ": missing host (expected http://HOST:PORT)";
      return std::nullopt;
    }
    for (char c : host) {
      if (!host_name_char(c)) {
        error = shown + ": bad host name \"" + std::string{host} + "\"";
        return std::nullopt;
      }
    }
    out.host = std::string{host};
    port_text = rest.substr(colon + 1);
  }
  unsigned port = 0;
  const auto* end = port_text.data() + port_text.size();
  auto [ptr, ec] = std::from_chars(port_text.data(), end, port);
  if (port_text.empty() || ec != std::errc{} || ptr != end || port == 0 || port > 65535) {
    error = shown + ": bad port \"" + std::string{port_text} + "\" (expected 1-65535)";
    return std::nullopt;
  }
  out.port = static_cast<uint16_t>(port);
  return out;
}

// -- the client -----------------------------------------------------------------------------------

struct blocking_http_client::impl {
  server_url server;
  std::chrono::milliseconds timeout;
  std::string authorization;
  net::io_context ioc;

  /// Starts one asynchronous operation through `start(handler)` and runs the io_context until
  /// it completes; the stream's timer (when armed) closes the socket once it expires.
  template <class Start>
  beast::error_code await(Start&& start) {
    beast::error_code result = net::error::operation_aborted;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  std::string describe(const beast::error_code& ec, const char* phase) const {
    if (ec == beast::error::timeout)
      return std::string{"timed out after "} + model::format_duration(timeout) + " " + phase;
    return std::string{phase} + ": " + ec.message();
  }

  http_answer get(const std::string& target) {
    http_answer out;
    beast::error_code ec;
    tcp::resolver resolver{ioc};
    auto endpoints = resolver.resolve(server.host, std::to_string(server.port),
                                      tcp::resolver::numeric_service, ec);
    if (ec) {
      out.error = "cannot resolve " + server.host + ": " + ec.message();
      return out;
    }
    beast::tcp_stream stream{ioc};
    stream.expires_after(timeout);
    ec = await([&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
    if (ec) {
      out.error = describe(ec, "connecting");
      return out;
    }
    bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
    req.set(bhttp::field::host, server.host + ":" + std::to_string(server.port));
    req.set(bhttp::field::user_agent, "vigil-status");
    req.set(bhttp::field::accept, "application/json");
    if (!authorization.empty())
      req.set(bhttp::field::authorization, authorization);
    req.keep_alive(false);
    stream.expires_after(timeout);
    ec = await([&](auto handler) { bhttp::async_write(stream, req, std::move(handler)); });
    if (ec) {
      out.error = describe(ec, "sending the request");
      return out;
    }
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    stream.expires_after(timeout);
    ec =
      await([&](auto handler) { bhttp::async_read(stream, buffer, parser, std::move(handler)); });
    if (ec) {
      out.error = describe(ec, "waiting for the answer");
      return out;
    }
    auto res = parser.release();
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return out;
  }
};

blocking_http_client::blocking_http_client(server_url server, std::chrono::milliseconds timeout,
                                           const std::string& bearer_token)
  : impl_(std::make_unique<impl>()) {
  impl_->server = std::move(server);
  impl_->timeout = timeout;
  if (!bearer_token.empty())
    impl_->authorization = "Bearer " + bearer_token;
}

blocking_http_client::~blocking_http_client() = default;

http_answer blocking_http_client::get(const std::string& target) {
  try {
    return impl_->get(target);
  } catch (const std::exception& e) {
    http_answer out;
    out.error = e.what();
    return out;
  }
}

} // namespace vigil::app
