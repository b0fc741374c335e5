#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::app {

/// The address of a Vigil HTTP listener, from a `http://HOST:PORT` URL.
struct server_url {
  std::string host; ///< a name or an address; an IPv6 address without its brackets
  uint16_t port = 0;

  /// `http://HOST:PORT`, IPv6 addresses bracketed.
  [[nodiscard]] std::string to_string() const;
};

/// Parses `http://HOST:PORT` or `http://HOST:PORT/` strictly: the port is required (1-65535),
/// HOST is a name, an IPv4 address or a bracketed IPv6 address; no user, path, query or
/// fragment; https is refused (Vigil listens on plain HTTP). On failure `error` says why.
[[nodiscard]] std::optional<server_url> parse_server_url(std::string_view text, std::string& error);

/// What one request got back.
struct http_answer {
  int status = 0; ///< HTTP status; 0 when there was no answer (see `error`)
  std::string body;
  std::string error; ///< why there was no answer: refused, timed out, unresolvable host, ...

  /// True when the server answered at all (any status).
  [[nodiscard]] bool answered() const noexcept { return status != 0; }
};

/// A small blocking HTTP/1.1 client for command-line tools (`vigil status`): one connection per
/// request, and connecting, sending and reading the answer are each bounded by `timeout`. The
/// calls block, but run asynchronous Beast operations on a private io_context underneath,
/// because Beast's synchronous operations ignore stream timeouts. Name resolution is not bounded
/// (it is the system resolver's; numeric addresses never wait on it).
/// Not thread-safe: use one per thread.
class blocking_http_client {
public:
  /// A client of `server`; `bearer_token`, when not empty, goes out as `Authorization: Bearer`.
  blocking_http_client(server_url server, std::chrono::milliseconds timeout,
                       const std::string& bearer_token = {});
  ~blocking_http_client();
  blocking_http_client(const blocking_http_client&) = delete;
  blocking_http_client& operator=(const blocking_http_client&) = delete;

  /// GET `target` (path and query). Never throws: network failures, and answers larger than
  /// 16 MiB, come back in `http_answer::error`.
  [[nodiscard]] http_answer get(const std::string& target);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace vigil::app
