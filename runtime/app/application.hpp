#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include <caf/expected.hpp>

#include "runtime/model/config.hpp"

namespace vigil::app {

/// The whole running engine of one process: storage, actors, ingest and the HTTP server,
/// wired from a config. `vigil serve` is a thin shell around it; tests start it in-process
/// on an ephemeral port. `start` and `stop` are called from one controlling thread.
class application {
public:
  /// Opens the data directory, starts the actors and the server. Errors name what failed
  /// (`conflict` when another live process owns the data directory).
  [[nodiscard]] static caf::expected<std::unique_ptr<application>> start(model::config cfg);

  ~application();
  application(const application&) = delete;
  application& operator=(const application&) = delete;

  /// The bound HTTP port.
  [[nodiscard]] uint16_t port() const noexcept;

  /// The config it runs with.
  [[nodiscard]] const model::config& config() const noexcept;

  /// Graceful stop: stop accepting, finish in-flight requests (within `grace`), drain the
  /// actors, write the clean-shutdown marker, close the database. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds{3000});

  struct impl;

private:
  explicit application(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace vigil::app
