#pragma once

#include <chrono>
#include <iosfwd>
#include <string>

namespace vigil::app {

/// `vigil doctor`: checks that the environment can run what the config and the runbooks ask,
/// without starting the server (the stability runbook's `check_execution_environment()` and
/// `verify_credentials()`).
struct doctor_options {
  std::string config_path = "configs/vigil.yaml";
  std::string data_dir; ///< overrides storage.path
  bool json = false;
  std::chrono::milliseconds probe_timeout{5000}; ///< bound of each integration probe
  /// The PATH the service runs with (empty: this process's `PATH`).
  std::string path;
};

/// Runs every check and prints one line per check (`--json`: one JSON object): the config
/// loads; the data directory exists (or can be created), is writable and has
/// `storage.min_free_bytes` free; the runbook repository loads; every program an `exec` step,
/// rollback or escalation names is an executable on the PATH (or at its absolute path); every
/// enabled integration has the settings its type needs and answers one probe without refusing
/// its credentials. Exit code 0 when nothing failed, 1 when a check failed, 2 for bad options.
int run_doctor(const doctor_options& opts, std::ostream& out, std::ostream& err);

} // namespace vigil::app
