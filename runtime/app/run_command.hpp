#pragma once

#include <string>
#include <vector>

namespace vigil::app {

/// Options of `vigil run`.
struct run_options {
  std::string file;                ///< the runbook
  std::vector<std::string> params; ///< `k=v`: params.k
  std::vector<std::string> labels; ///< `k=v`: labels.k, as if an alert carried them
  std::string config_path;         ///< integrations the steps may name (optional)
  bool dry_run = false;
  bool json = false; ///< dry run: print the plan as JSON
};

/// `vigil run`: with `--dry-run` renders every step with its parameters and runs nothing;
/// without, runs the runbook here, in a temporary data directory, and prints each step's
/// result. Exit code: 0 completed (or a plan printed), 1 the run did not complete (failed,
/// cancelled, needs a human or waits at a gate), 2 bad arguments or an invalid runbook.
int run_runbook(const run_options& opts);

} // namespace vigil::app
