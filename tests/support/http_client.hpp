#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vigil::test {

/// A response as the test client saw it.
struct http_result {
  int status = 0; ///< 0 when the request failed at the socket level
  std::string body;
  std::map<std::string, std::string> headers; ///< lowercase names
  std::string error;                          ///< socket-level error, if any

  [[nodiscard]] std::string header(const std::string& lowercase_name) const {
    auto it = headers.find(lowercase_name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

/// A blocking HTTP/1.1 client over one keep-alive connection to 127.0.0.1:port, for tests.
/// Reconnects when the server closed the connection. Not thread-safe: one per thread.
class http_client {
public:
  explicit http_client(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds{10});
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  http_result get(const std::string& target,
                  const std::map<std::string, std::string>& headers = {});
  http_result post(const std::string& target, const std::string& body,
                   const std::string& content_type = "application/json",
                   const std::map<std::string, std::string>& headers = {});
  http_result request(const std::string& method, const std::string& target, const std::string& body,
                      const std::map<std::string, std::string>& headers);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Polls `GET path` every 20 ms, for up to 10 s, until the body contains `needle` (what a test
/// waits for is asynchronous); returns the last body, and records a test failure when the
/// needle never came.
std::string wait_for_body(http_client& client, const std::string& path, const std::string& needle);

/// Opens a raw TCP connection to 127.0.0.1:port and returns its file descriptor (-1 on failure),
/// for tests that misbehave on purpose (slow clients, partial headers).
int connect_raw(uint16_t port);

} // namespace vigil::test
