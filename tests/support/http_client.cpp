#include "tests/support/http_client.hpp"

#include <gtest/gtest.h>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace vigil::test {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct http_client::impl {
  uint16_t port;
  std::chrono::milliseconds timeout;
  net::io_context ioc;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  bool ensure_connected(std::string& error) {
    if (stream && stream->socket().is_open())
      return true;
    stream = std::make_unique<beast::tcp_stream>(ioc);
    beast::error_code ec;
    stream->expires_after(timeout);
    stream->connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port}, ec);
    if (ec) {
      error = ec.message();
      stream.reset();
      return false;
    }
    buffer.clear();
    return true;
  }

  http_result once(const std::string& method, const std::string& target, const std::string& body,
                   const std::map<std::string, std::string>& headers, bool& retryable) {
    http_result out;
    retryable = false;
    if (!ensure_connected(out.error))
      return out;
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.keep_alive(true);
    for (const auto& [k, v] : headers)
      req.set(k, v);
    if (!body.empty() || method == "POST" || method == "PUT") {
      req.body() = body;
      req.prepare_payload();
    }
    beast::error_code ec;
    stream->expires_after(timeout);
    bhttp::write(*stream, req, ec);
    if (ec) {
      out.error = ec.message();
      stream.reset();
      retryable = true;
      return out;
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    bhttp::read(*stream, buffer, parser, ec);
    if (ec) {
      out.error = ec.message();
      retryable = ec == bhttp::error::end_of_stream || ec == net::error::connection_reset;
      stream.reset();
      return out;
    }
    auto res = parser.release();
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    for (const auto& f : res) {
      std::string name{f.name_string()};
      for (auto& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string{f.value()};
    }
    if (!res.keep_alive())
      stream.reset();
    return out;
  }
};

http_client::http_client(uint16_t port, std::chrono::milliseconds timeout)
  : impl_(std::make_unique<impl>()) {
  impl_->port = port;
  impl_->timeout = timeout;
}

http_client::~http_client() = default;

http_result http_client::request(const std::string& method, const std::string& target,
                                 const std::string& body,
                                 const std::map<std::string, std::string>& headers) {
  bool retryable = false;
  auto out = impl_->once(method, target, body, headers, retryable);
  // A keep-alive connection the server closed while idle: reconnect once.
  if (retryable)
    out = impl_->once(method, target, body, headers, retryable);
  return out;
}

http_result http_client::get(const std::string& target,
                             const std::map<std::string, std::string>& headers) {
  return request("GET", target, "", headers);
}

http_result http_client::post(const std::string& target, const std::string& body,
                              const std::string& content_type,
                              const std::map<std::string, std::string>& headers) {
  auto h = headers;
  if (!content_type.empty())
    h["Content-Type"] = content_type;
  return request("POST", target, body, h);
}

int connect_raw(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string wait_for_body(http_client& client, const std::string& path, const std::string& needle) {
  std::string body;
  for (int i = 0; i < 500; ++i) {
    body = client.get(path).body;
    if (body.find(needle) != std::string::npos)
      return body;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  ADD_FAILURE() << "timed out waiting for " << needle << " in " << path << ": " << body;
  return body;
}

} // namespace vigil::test
