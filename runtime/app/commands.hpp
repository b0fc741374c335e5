#pragma once

#include <string>
#include <vector>

namespace vigil::app {

/// Options of `vigil serve`.
struct serve_options {
  std::string config_path;
  std::string listen;   ///< overrides server.listen when set
  std::string data_dir; ///< overrides storage.path when set
  std::string log_level;
  bool insecure = false; ///< allow a non-loopback listen without auth tokens
};

/// `vigil serve`: runs until SIGTERM/SIGINT. Exit code: 0 after a clean stop, 1 when it could
/// not start (bad config, data directory in use, port taken).
int run_serve(const serve_options& opts);

/// `vigil validate-config FILE`: 0 when valid, 1 with every problem printed.
int run_validate_config(const std::string& path);

/// Placeholder for subcommands that later work fills in: says so and exits 2.
int not_yet_available(const std::string& name);

} // namespace vigil::app
