#include "tests/support/process.hpp"

#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace vigil::test {

std::string vigil_binary() {
  return VIGIL_TEST_BINARY;
}

std::string source_dir() {
  return VIGIL_TEST_SOURCE_DIR;
}

child_process::child_process(std::vector<std::string> argv, const std::string& log_prefix,
                             const std::vector<std::string>& extra_env, const std::string& cwd)
  : out_path_(log_prefix + ".out"), err_path_(log_prefix + ".err") {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  if (!cwd.empty())
    posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e)
    env_strings.emplace_back(*e);
  for (const auto& e : extra_env)
    env_strings.push_back(e);
  std::vector<char*> env;
  env.reserve(env_strings.size() + 1);
  for (auto& e : env_strings)
    env.push_back(e.data());
  env.push_back(nullptr);
  // The child starts with default signal dispositions and an empty mask.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const int rc = posix_spawn(&pid_, args[0], &actions, &attr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0)
    throw std::runtime_error("posix_spawn failed for " + argv[0]);
}

child_process::~child_process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds{10});
  }
}

void child_process::signal(int sig) const {
  ::kill(pid_, sig);
}

std::optional<int> child_process::wait(std::chrono::milliseconds timeout) {
  if (exit_code_)
    return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds{2});
  }
}

bool child_process::running() {
  if (exit_code_)
    return false;
  return !wait(std::chrono::milliseconds{0}).has_value();
}

std::string child_process::stdout_text() const {
  return read_file(out_path_);
}

std::string child_process::stderr_text() const {
  return read_file(err_path_);
}

bool child_process::wait_for_stderr(const std::string& needle, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (stderr_text().find(needle) != std::string::npos)
      return true;
    if (!running())
      return stderr_text().find(needle) != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  return false;
}

vigil_server::vigil_server(const std::string& data_dir, const std::string& config_path,
                           const std::vector<std::string>& extra_args,
                           const std::vector<std::string>& extra_env) {
  std::vector<std::string> argv{
    vigil_binary(), "serve",
    "--config",     config_path.empty() ? source_dir() + "/configs/vigil.yaml" : config_path,
    "--listen",     "127.0.0.1:0",
    "--data",       data_dir};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  // From the source tree, like `make run`: the shipped config's relative paths
  // (./configs/runbooks) then resolve.
  proc_ = std::make_unique<child_process>(argv, data_dir + "-vigil", extra_env, source_dir());
  const std::string marker = "\"msg\":\"serving\",\"listen\":\"127.0.0.1:";
  if (!proc_->wait_for_stderr(marker, std::chrono::seconds{20}))
    throw std::runtime_error("vigil serve did not come up:\n" + proc_->stderr_text());
  const auto text = proc_->stderr_text();
  const auto pos = text.find(marker) + marker.size();
  port_ = static_cast<uint16_t>(std::stoi(text.substr(pos)));
}

std::optional<int> vigil_server::stop(std::chrono::milliseconds timeout) {
  proc_->signal(SIGTERM);
  return proc_->wait(timeout);
}

void vigil_server::kill() {
  proc_->signal(SIGKILL);
  proc_->wait(std::chrono::seconds{10});
}

} // namespace vigil::test
