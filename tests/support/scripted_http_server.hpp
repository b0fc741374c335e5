#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vigil::test {

/// One request the server received.
struct recorded_request {
  std::string method;
  std::string target;                         ///< path and query, as sent
  std::map<std::string, std::string> headers; ///< names lowercase
  std::string body;
  std::chrono::steady_clock::time_point at; ///< when it was read completely

  /// A header's value (lowercase name), empty when absent.
  [[nodiscard]] std::string header(const std::string& lowercase_name) const {
    auto it = headers.find(lowercase_name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

/// What the server does with one request.
struct scripted_response {
  int status = 200;
  std::string body = "ok";
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0}; ///< answer this much later (slow service)
  bool reset = false;                 ///< close the connection with a TCP reset instead

  /// 200 with `body` (`content_type` text/plain unless said).
  static scripted_response ok(std::string body = "ok", std::string content_type = "text/plain");
  /// `status` with a JSON body.
  static scripted_response json(int status, std::string body);
  /// `status` with a text body.
  static scripted_response with_status(int status, std::string body = "");
  /// 429 with `Retry-After: retry_after`.
  static scripted_response too_many(std::string retry_after);
  /// `status` after `delay`.
  static scripted_response slow(std::chrono::milliseconds delay, int status = 200,
                                std::string body = "ok");
  /// A TCP reset, no answer.
  static scripted_response connection_reset();
};

/// An HTTP/1.1 server on 127.0.0.1 (an ephemeral port) for tests that need a real service that
/// can fail: it answers as scripted and records every request. Boost.Beast on its own thread;
/// every member may be called from any thread.
class scripted_http_server {
public:
  /// Binds and starts; throws std::runtime_error when it cannot bind.
  scripted_http_server();
  ~scripted_http_server();
  scripted_http_server(const scripted_http_server&) = delete;
  scripted_http_server& operator=(const scripted_http_server&) = delete;

  [[nodiscard]] uint16_t port() const noexcept;
  /// `http://127.0.0.1:PORT`.
  [[nodiscard]] std::string url() const;

  /// Answers the next request(s) so (first in, first out), `times` times.
  void push(const scripted_response& r, std::size_t times = 1);
  /// The answer when the script is empty (at first: 200 `ok`).
  void set_fallback(scripted_response r);
  /// Decides every answer from the request instead (nullopt: script, then fallback).
  void set_handler(std::function<std::optional<scripted_response>(const recorded_request&)> fn);

  /// Every request so far, in arrival order.
  [[nodiscard]] std::vector<recorded_request> requests() const;
  /// How many requests arrived.
  [[nodiscard]] std::size_t count() const;
  /// Waits until `n` requests arrived; false when `timeout` passed first.
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout) const;
  /// The most requests it was answering at once (read, not yet answered).
  [[nodiscard]] std::size_t peak_concurrency() const;

  /// Stops serving (idempotent; the destructor calls it).
  void stop();

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace vigil::test
