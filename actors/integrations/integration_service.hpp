#pragma once

#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/integrations/http_transport.hpp"
#include "actors/integrations/probe.hpp"
#include "actors/integrations/types.hpp"
#include "runtime/model/clock.hpp"
#include "runtime/model/config.hpp"

namespace vigil::actors {

namespace detail {
struct integration_shared;
} // namespace detail

/// How to run the integrations.
struct integration_service_options {
  /// Sends the HTTP requests; nullptr: libcurl on one I/O thread. Tests give a scripted one.
  std::shared_ptr<http_transport> transport;
  /// Periodic health probes (each integration's `health.interval`); `test` works either way.
  bool health_probes = true;
};

/// The integrations of a process: one adapter actor per configured integration, a circuit
/// breaker actor in front of each, a router that workflow runs talk to, and one HTTP I/O
/// thread shared by all. Runs send `(call_atom, token, call_request)` to `router()` and get
/// `(call_done_atom, token, call_result)` back; `(cancel_atom, token, integration)` withdraws
/// a call that has not gone out yet (it is answered at once). A requester that terminates takes
/// its waiting calls with it.
///
/// Thread-safety: every member may be called from any thread. Operator commands take effect in
/// the order they are called; `health()` reflects enable/disable/pause/resume at once and the
/// breaker's own changes as soon as its actor has made them. Destroy the service (or call
/// `stop`) before the actor system.
class integration_service {
public:
  integration_service(caf::actor_system& sys, const std::vector<model::integration_config>& configs,
                      const model::clock& clk, integration_service_options opts = {});
  ~integration_service();
  integration_service(const integration_service&) = delete;
  integration_service& operator=(const integration_service&) = delete;

  /// The actor workflow runs call (`engine::integrations`).
  [[nodiscard]] caf::actor router() const;

  /// Names of the integrations, sorted.
  [[nodiscard]] std::vector<std::string> names() const;

  // -- health and metrics --------------------------------------------------------------------

  /// Health of every integration, sorted by name.
  [[nodiscard]] std::vector<integration_health> health() const;

  /// Health of one; nullopt when unknown.
  [[nodiscard]] std::optional<integration_health> health(const std::string& name) const;

  /// Counters of every integration, sorted by name.
  [[nodiscard]] std::vector<integration_stats> stats() const;

  /// The configuration in force (secrets included: never show it as is); nullopt when unknown.
  [[nodiscard]] std::optional<model::integration_config> config(const std::string& name) const;

  // -- operator commands (false: unknown integration) ----------------------------------------

  /// Calls go out again.
  bool enable(const std::string& name);
  /// Calls fail at once with `integration_disabled` (queued ones too).
  bool disable(const std::string& name);
  /// Calls wait in the queue until `resume`; none fails.
  bool pause(const std::string& name);
  /// Ends a pause: the queue drains.
  bool resume(const std::string& name);

  /// Runs one health probe now; the future is ready when it answered (at once for an unknown
  /// integration or one without a probe: `ran` false and the reason; a service stopped before
  /// the answer breaks the promise).
  std::future<probe_result> test(const std::string& name);

  /// Replaces an integration's configuration (its breaker keeps its state), or adds a new one.
  /// `cfg.name` is set to `name`; its `enabled` applies.
  void update(const std::string& name, model::integration_config cfg);

  /// Stops every actor of the service and the I/O thread. Idempotent.
  void stop();

private:
  struct entry {
    std::shared_ptr<detail::integration_shared> shared;
    caf::actor breaker;
    model::integration_config cfg;
  };

  /// Starts the actors of one integration (with `mutex_` held).
  entry& add(const model::integration_config& cfg);

  /// The entry of `name`, or nullptr (with `mutex_` held).
  entry* find(const std::string& name);

  /// Sets the operator flag `Atom` stands for and tells the breaker; `what` is for the log.
  template <class Atom>
  bool command(const std::string& name, Atom atom, const char* what);

  caf::actor_system& sys_;
  const model::clock& clock_;
  integration_service_options opts_;
  mutable std::mutex mutex_;
  std::map<std::string, entry> entries_; ///< guarded by mutex_
  caf::actor router_;
  bool stopped_ = false; ///< guarded by mutex_
};

} // namespace vigil::actors
