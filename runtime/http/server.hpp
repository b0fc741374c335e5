#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include <caf/expected.hpp>

#include "runtime/http/router.hpp"
#include "runtime/model/config.hpp"

namespace vigil::http {

/// Counters the server keeps; read from any thread.
struct server_stats {
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> connections_refused{0}; ///< over max_connections: answered 503
  std::atomic<uint64_t> connections_active{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> timeouts{0}; ///< slow clients cut off
};

/// Hooks the application installs; each runs on an io thread and must not block.
struct server_hooks {
  /// Decides whether the request may reach its route; a response refuses it (401/403).
  std::function<std::optional<response>(request&, const route&)> authorize;
  /// Observes every completed response (metrics, access logs).
  std::function<void(const request&, const response&, std::chrono::nanoseconds)> observe;
};

/// The Boost.Beast HTTP/1.1 server: keep-alive, `io_threads` threads on one io_context,
/// one strand per connection, limits on header time, body size and rate, and connections.
/// `start` and `stop` are called from one controlling thread; everything else is internal.
class server {
public:
  server(const model::server_config& cfg, const router& routes, server_hooks hooks = {});
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds and starts the io threads. Returns the bound port (useful with port 0).
  [[nodiscard]] caf::expected<uint16_t> start();

  /// Stops accepting, lets in-flight requests finish (up to `grace`), closes every
  /// connection and joins the io threads. Idempotent.
  void stop(std::chrono::milliseconds grace);

  /// True once `start` succeeded and until `stop`.
  [[nodiscard]] bool serving() const noexcept;

  [[nodiscard]] const server_stats& stats() const noexcept;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace vigil::http
