#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "actors/engine.hpp"
#include "actors/messages.hpp"
#include "runtime/runbook/matcher.hpp"

namespace vigil::storage {
class database;
class event_log;
} // namespace vigil::storage

namespace vigil::actors {

/// A loaded set of runbooks with its matcher. Immutable; replaced whole on reload, so a
/// dispatcher always sees one consistent set.
struct runbook_set {
  explicit runbook_set(std::vector<runbook::runbook_ptr> books);

  runbook::matcher matcher;
  std::unordered_map<const runbook::runbook*, runbook::runbook_ptr> by_address;
};

/// How to run the workflow engine.
struct workflow_service_options {
  std::string repository;                  ///< runbooks folder
  runbook::integration_names integrations; ///< configured integration names
  engine_options engine;
  model::sync_policy sync = model::sync_policy::batch;
  bool inline_exec = false; ///< run commands inside the executor (tests)
  /// Failed processing attempts before an event is set aside as poison.
  uint32_t max_attempts = 3;
  /// Puts an event back into the dispatch queue (after a failed attempt).
  std::function<void(model::event)> requeue;
  /// Test hook: true makes the engine fail on that event, as a bug would.
  std::function<bool(const model::event&)> test_fail_dispatch;
};

/// The workflow engine of a process: runbooks, the workflow store, the manager actor and its
/// runs, the command executor. Dispatchers hand it events; operators (C++ now, the API later)
/// drive runs through it. Thread-safety: every member may be called from any thread, except
/// `stop`, which the owner calls once.
class workflow_service {
public:
  workflow_service(caf::actor_system& sys, storage::database& db, storage::event_log& log,
                   const model::clock& clk, workflow_service_options opts);
  ~workflow_service();
  workflow_service(const workflow_service&) = delete;
  workflow_service& operator=(const workflow_service&) = delete;

  // -- runbooks ------------------------------------------------------------------------

  /// Loads the repository again. When any file fails validation, the valid ones are loaded and
  /// the report lists the errors. Running runs keep the version they started with.
  runbook::repository_report reload();

  /// Replaces the loaded set (tests, `vigil run`).
  void install(std::vector<runbook::runbook_ptr> books);

  /// The loaded set.
  [[nodiscard]] std::shared_ptr<const runbook_set> runbooks() const;

  /// Loads the repository again, but installs it only when every file is valid; otherwise the
  /// loaded set stays as it was. The report says which.
  runbook::repository_report reload_strict();

  /// The files of the repository that failed validation at the last reload (relative path →
  /// problems). A runbook whose file is among them still runs its last good version when
  /// triggered; `execute` refuses it (the file no longer says what would run).
  [[nodiscard]] std::map<std::string, model::diagnostics> rejected_files() const;

  /// Enables or disables a loaded runbook (by name or path) for matching; the choice survives
  /// reloads for as long as the process runs. `not_found` for an unknown runbook.
  caf::error set_enabled(const std::string& name_or_path, bool enabled);

  /// The repository folder and the integration names steps may use.
  [[nodiscard]] const workflow_service_options& options() const noexcept { return opts_; }

  // -- events --------------------------------------------------------------------------

  /// Matches a batch of events and starts their runs; events that match nothing are marked
  /// dispatched. Called by the dispatcher actors.
  void dispatch(std::vector<model::event>& batch);

  // -- runs ----------------------------------------------------------------------------

  /// Resumes the runs a previous process left unfinished; how many.
  caf::expected<uint64_t> recover();

  /// Starts `book` by hand; the new run's id. `labels` are what its templates see as labels.
  caf::expected<std::string> execute(runbook::runbook_ptr book,
                                     std::map<std::string, std::string> params,
                                     model::label_set labels = {});

  /// The engine failed on `e` (not a remediation failure): counts the attempt, then requeues
  /// it, or after `max_attempts` moves it to the dead letters with the reason.
  void processing_failed(const model::event& e, const std::string& reason);

  /// Operator commands; each answers the run's new state.
  caf::expected<std::string> cancel(const std::string& id);
  caf::expected<std::string> kill(const std::string& id);
  caf::expected<std::string> pause(const std::string& id);
  caf::expected<std::string> resume(const std::string& id, resume_options opts);
  caf::expected<std::string> approve(const std::string& id, gate_decision d);
  caf::expected<std::string> reject(const std::string& id, gate_decision d);

  [[nodiscard]] storage::workflow_store& store() noexcept { return *store_; }
  [[nodiscard]] engine& context() noexcept { return *engine_; }
  [[nodiscard]] const caf::actor& manager() const noexcept { return manager_; }

  /// Stops the manager and every run (their state is checkpointed; commands still running are
  /// killed and run again after a restart), then closes the store.
  void stop();

private:
  template <class... Ts>
  caf::expected<std::string> ask(Ts&&... xs);

  caf::actor_system& sys_;
  storage::event_log& log_;
  workflow_service_options opts_;
  std::unique_ptr<storage::workflow_store> store_;
  std::unique_ptr<engine> engine_;
  caf::actor manager_;
  std::shared_ptr<const runbook_set> set_;
  mutable std::mutex overrides_mtx_;
  std::map<std::string, bool> enabled_overrides_;      ///< runbook name → enabled
  std::map<std::string, model::diagnostics> rejected_; ///< guarded by overrides_mtx_
  bool stopped_ = false;
};

} // namespace vigil::actors
