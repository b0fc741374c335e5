#pragma once

#include <iosfwd>
#include <string>

namespace CLI {
class App;
} // namespace CLI

namespace vigil::app {

/// Options of `vigil status`.
struct status_options {
  std::string url = "http://127.0.0.1:9000"; ///< the server: http://HOST:PORT
  std::string token;                         ///< bearer token with the `read` scope, if needed
  std::string timeout = "5s";                ///< bound of each connect, send and answer
};

/// Exit codes of `vigil status`; its --help lists them.
inline constexpr int status_healthy = 0;     ///< health ok, no circuit open
inline constexpr int status_unhealthy = 1;   ///< health not ok, a circuit open, or degraded
inline constexpr int status_unreachable = 2; ///< no answer to /api/health, or bad flags

/// Adds the options of `vigil status` to `sub`, with the exit codes in its help footer.
void add_status_options(CLI::App& sub, status_options& opts);

/// `vigil status`: asks the server at `opts.url` for its health, metrics, circuit breakers,
/// approval gates and recent failures, and prints a one-screen summary to `out`; bad flags and
/// an unreachable server are reported on `err`. Returns `status_healthy`, `status_unhealthy`
/// (health not ok, an enabled integration's circuit open, or another endpoint failing with no
/// answer or a 5xx) or `status_unreachable` (bad flags, or no answer to /api/health). Endpoints
/// a server does not have (404: /api/metrics, /api/integrations/health) show as "n/a".
/// Blocks for at most a few timeouts; never throws. Safe to call from any thread.
[[nodiscard]] int run_status(const status_options& opts, std::ostream& out, std::ostream& err);

} // namespace vigil::app
