#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>

namespace vigil::actors {

/// One outbound HTTP request, fully formed by an adapter.
struct http_request {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{10'000};        ///< whole exchange
  std::chrono::milliseconds connect_timeout{3'000}; ///< TCP and TLS handshake
  bool follow_redirects = false;
  std::size_t max_body = std::size_t{1} << 20; ///< response bytes kept; the rest is cut off
};

/// How an exchange ended below HTTP.
enum class transport_error : uint8_t {
  none,
  timeout,    ///< connect or total timeout
  connection, ///< refused, reset, DNS, TLS, nothing received
  other,      ///< a bad URL, an unsupported scheme, out of memory
  cancelled,  ///< the transport shut down
};

/// What came back.
struct http_response {
  int status = 0; ///< 0 when no response arrived
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers; ///< names lowercase
  bool truncated = false;                                   ///< the body was over `max_body`
  transport_error error = transport_error::none;
  std::string error_text; ///< the transport's words (may name the host, never the path)
  std::chrono::microseconds elapsed{0};

  /// The first value of a header (lowercase name), empty when absent.
  [[nodiscard]] std::string_view header(std::string_view lowercase_name) const noexcept;
};

/// Called once per submitted request, on the transport's thread: keep it short (send a message).
using http_completion = std::function<void(http_response)>;

/// Sends HTTP requests. Thread-safe: `submit` may be called from any thread.
class http_transport {
public:
  virtual ~http_transport() = default;

  /// Starts `req`; `done` runs once when it ends (not at all when the transport is destroyed
  /// first).
  virtual void submit(http_request req, http_completion done) = 0;
};

/// The libcurl transport: one thread running a curl multi handle for every request (no thread
/// per call), TLS verification on, redirects only when asked, bodies cut at `max_body`.
/// Destroying it stops the thread and drops what is still running.
[[nodiscard]] std::shared_ptr<http_transport> make_curl_transport();

} // namespace vigil::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::actors::http_response)
