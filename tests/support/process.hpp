#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace vigil::test {

/// Path of the `vigil` binary under test (set by CMake).
[[nodiscard]] std::string vigil_binary();

/// Path of the source tree (set by CMake), for configs and example runbooks.
[[nodiscard]] std::string source_dir();

/// A child process with stdout and stderr captured to files. Killed (SIGKILL) on destruction
/// if still running.
class child_process {
public:
  /// Starts `argv[0]` with `argv`; output goes to `log_prefix + ".out"` / `".err"`. `cwd`, when
  /// given, is the child's working directory.
  child_process(std::vector<std::string> argv, const std::string& log_prefix,
                const std::vector<std::string>& extra_env = {}, const std::string& cwd = {});
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  /// Sends a signal.
  void signal(int sig) const;

  /// Waits for exit up to `timeout`; the exit code, or 128+signal, or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);

  /// True while running (not yet reaped).
  [[nodiscard]] bool running();

  [[nodiscard]] std::string stdout_text() const;
  [[nodiscard]] std::string stderr_text() const;

  /// Waits until stderr contains `needle`; false on timeout or exit.
  bool wait_for_stderr(const std::string& needle, std::chrono::milliseconds timeout);

private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string out_path_;
  std::string err_path_;
};

/// `vigil serve` on an ephemeral port with its own data dir and config, for end-to-end tests.
class vigil_server {
public:
  /// Starts the server and waits (up to 20 s) until it serves; `config_path` empty uses
  /// configs/vigil.yaml. Throws std::runtime_error when it does not come up.
  vigil_server(const std::string& data_dir, const std::string& config_path = {},
               const std::vector<std::string>& extra_args = {},
               const std::vector<std::string>& extra_env = {});

  [[nodiscard]] uint16_t port() const noexcept { return port_; }
  [[nodiscard]] child_process& process() noexcept { return *proc_; }

  /// SIGTERM and wait; the exit code.
  std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds{10});

  /// SIGKILL and reap.
  void kill();

private:
  std::unique_ptr<child_process> proc_;
  uint16_t port_ = 0;
};

} // namespace vigil::test
