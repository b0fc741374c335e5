#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace vigil::loadtest {

/// A small HTTP/1.1 keep-alive server on Boost.Beast: the end-to-end sink, and the stand-in
/// server of the generator's tests. Each request is handed to `handler` on the connection's
/// strand; the handler answers through `reply`, now or later and from any thread (exactly once;
/// a reply holds its connection, so none may be kept past the server's destruction).
/// `start` and `stop` are called from one controlling thread.
class mini_server {
public:
  /// Sends the answer of one request.
  using reply_fn = std::function<void(unsigned status, std::string body)>;
  /// Handles one request: method (`GET`, ...), target (path and query) and body.
  using handler = std::function<void(const std::string& method, const std::string& target,
                                     std::string& body, reply_fn reply)>;

  explicit mini_server(handler h, unsigned threads = 1);
  ~mini_server();
  mini_server(const mini_server&) = delete;
  mini_server& operator=(const mini_server&) = delete;

  /// Listens on host:port (port 0: any free port); an error message, empty on success.
  [[nodiscard]] std::string start(const std::string& host, uint16_t port);

  /// The bound port, after `start` succeeded.
  [[nodiscard]] uint16_t port() const noexcept { return port_; }

  /// Closes the listener and every connection, joins the threads. Idempotent.
  void stop();

  struct impl;

private:
  std::unique_ptr<impl> impl_;
  uint16_t port_ = 0;
};

} // namespace vigil::loadtest
