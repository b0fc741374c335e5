#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::http {

/// HTTP methods the API uses.
enum class method : uint8_t { get, head, post, put, delete_, patch, options, other };

[[nodiscard]] std::string_view to_string(method m) noexcept;

/// One parsed request. Owned by the connection; valid until its responder has been called.
/// The body's capacity has at least 64 spare bytes past its size (simdjson padding) when the
/// server could arrange it; see `padded_capacity`.
struct request {
  http::method method = method::other;
  std::string target;                                     ///< as sent, path + query
  std::string path;                                       ///< decoded path, no query
  std::vector<std::pair<std::string, std::string>> query; ///< decoded query parameters
  std::vector<std::string> path_params;                   ///< `{...}` segments of the route
  std::string content_type;                               ///< media type, lowercased, no params
  std::string authorization;                              ///< raw Authorization header
  std::string body;
  std::string remote;    ///< peer address
  std::string principal; ///< the token's name, once authenticated
  std::string scope;     ///< the scope the route needs

  /// The first value of query parameter `name`, or nullptr.
  [[nodiscard]] const std::string* query_param(std::string_view name) const noexcept;
};

/// One response; JSON unless `content_type` says otherwise.
struct response {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  /// Close the connection after sending (e.g. after refusing an unread body).
  bool close = false;
};

/// Completes a request: call exactly once, from any thread; the connection serializes the
/// write. A second call is ignored. Cheap to move; copies share the same "answered" state.
class responder {
public:
  using sink = std::function<void(response)>;
  using deferred_sink = std::function<void(std::function<response()>)>;

  responder() = default;
  explicit responder(sink s, deferred_sink later = {})
    : state_(std::make_shared<state>(std::move(s), std::move(later))) {}

  /// Sends the answer (the first call wins).
  void operator()(response r) {
    if (state_ && !state_->answered.exchange(true))
      state_->send(std::move(r));
  }

  /// Sends the answer that `make` builds; `make` runs on the connection's own thread, so a
  /// caller on a busy thread (the event log's writer) hands the work of rendering away.
  void later(std::function<response()> make) {
    if (state_ && !state_->answered.exchange(true))
      state_->send_later(std::move(make));
  }

  /// True when it can still send.
  explicit operator bool() const noexcept { return state_ && !state_->answered.load(); }

private:
  struct state {
    state(sink s, deferred_sink l) : send(std::move(s)), later(std::move(l)) {}
    void send_later(std::function<response()> make) {
      if (later)
        later(std::move(make));
      else
        send(make());
    }
    sink send;
    deferred_sink later;
    std::atomic<bool> answered{false};
  };
  std::shared_ptr<state> state_;
};

/// Handles one request. Runs on an io thread: do not block; hand slow work elsewhere and answer
/// through the responder when it is done. The request is the handler's to modify (a parser may
/// grow the body's padding); it stays valid until the responder has been called.
using handler = std::function<void(request&, responder)>;

// -- responses -----------------------------------------------------------------

/// One entry of an error's `details`.
struct error_detail {
  std::string field;
  std::string reason;
  long index = -1; ///< position in a batch, -1 when not applicable
};

/// `{"error": code, "message": message, "details": [...]}` with `status`.
[[nodiscard]] response error_response(unsigned status, std::string_view code,
                                      std::string_view message,
                                      const std::vector<error_detail>& details = {});

/// A 200 (or `status`) response with a JSON body.
[[nodiscard]] response json_response(std::string body, unsigned status = 200);

/// Decodes %XX and '+' in a query component; nullopt-like empty+false on malformed input.
[[nodiscard]] bool url_decode(std::string_view in, std::string& out, bool plus_is_space);

} // namespace vigil::http
