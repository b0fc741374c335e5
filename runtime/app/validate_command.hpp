#pragma once

#include <string>
#include <vector>

namespace vigil::app {

/// `vigil validate PATH...`: checks runbook files and folders (recursively, `*.yaml`/`*.yml`).
/// Integration names are taken from `config_path` when it is given and readable (a step naming
/// an unconfigured integration is an error); otherwise any integration name is accepted with a
/// note. Prints every problem as `file:line:column: key.path: reason` on stderr and a summary
/// line; exit code 0 when all are valid, 1 when any is not, 2 when a path does not exist.
int run_validate(const std::vector<std::string>& paths, const std::string& config_path);

} // namespace vigil::app
