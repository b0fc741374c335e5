#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/model/clock.hpp"
#include "runtime/model/config.hpp"

namespace vigil::actors {
class workflow_service;
}
namespace vigil::storage {
class event_log;
struct dead_letter;
} // namespace vigil::storage

namespace vigil::app {

/// The whole running engine of one process: storage, actors, ingest and the HTTP server,
/// wired from a config. `vigil serve` is a thin shell around it; tests start it in-process
/// on an ephemeral port. `start` and `stop` are called from one controlling thread.
class application {
public:
  /// Opens the data directory, starts the actors and the server. Errors name what failed
  /// (`conflict` when another live process owns the data directory).
  [[nodiscard]] static caf::expected<std::unique_ptr<application>> start(model::config cfg);

  /// Same, on `clk` (tests: times a manual clock sets); `clk` outlives the application.
  [[nodiscard]] static caf::expected<std::unique_ptr<application>> start(model::config cfg,
                                                                         const model::clock& clk);

  ~application();
  application(const application&) = delete;
  application& operator=(const application&) = delete;

  /// The bound HTTP port.
  [[nodiscard]] uint16_t port() const noexcept;

  /// The config it runs with.
  [[nodiscard]] const model::config& config() const noexcept;

  // -- operator actions on processing (the admin API exposes them) ---------------------

  /// Emergency drain: stops dispatching and sets every queued event aside as `drained` (kept
  /// in the log, not deleted); events arriving meanwhile are set aside too. How many.
  caf::expected<std::size_t> drain();

  /// Ends a drain: drained events go back to the queue, in order, and dispatching resumes.
  caf::expected<std::size_t> resume_processing();

  /// True between `drain` and `resume_processing`.
  [[nodiscard]] bool draining() const noexcept;

  /// The events the engine set aside as poison.
  [[nodiscard]] caf::expected<std::vector<storage::dead_letter>> poison_events() const;

  /// Puts poison events back into the queue (all when `seqs` is empty); how many.
  caf::expected<std::size_t> requeue_poison(const std::vector<uint64_t>& seqs);

  /// Throws poison events away (all when `seqs` is empty): the explicit purge; how many.
  caf::expected<std::size_t> purge_poison(const std::vector<uint64_t>& seqs);

  /// Reloads the runbooks (SIGHUP, the admin API); on any error the previous set stays and the
  /// errors are returned.
  model::diagnostics reload_runbooks();

  /// The event log and the workflow engine (tests, the API).
  [[nodiscard]] storage::event_log& events() noexcept;
  [[nodiscard]] actors::workflow_service& workflows() noexcept;

  /// Graceful stop: stop accepting, finish in-flight requests (within `grace`), drain the
  /// actors, write the clean-shutdown marker, close the database. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds{3000});

  struct impl;

private:
  explicit application(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace vigil::app
