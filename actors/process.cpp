#include "actors/process.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace vigil::actors {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr const char* inherited_env[] = {"PATH", "HOME", "LANG",    "LC_ALL",
                                         "TZ",   "USER", "LOGNAME", "TMPDIR"};

std::vector<std::string> child_environment(const exec_request& req) {
  std::vector<std::string> env;
  for (const char* name : inherited_env)
    if (const char* v = std::getenv(name))
      env.push_back(std::string{name} + "=" + v);
  if (std::getenv("PATH") == nullptr)
    env.emplace_back("PATH=/usr/local/bin:/usr/bin:/bin");
  env.push_back("VIGIL_IDEMPOTENCY_KEY=" + req.key);
  for (const auto& [k, v] : req.env)
    env.push_back(k + "=" + v);
  return env;
}

} // namespace

bool process_registry::add(const std::string& key, pid_t pgid) {
  std::lock_guard<std::mutex> guard{mtx_};
  running_[key] = pgid;
  if (cancelled_before_start_.erase(key) == 0)
    return false;
  ::kill(-pgid, SIGTERM);
  terminating_.insert(key);
  killed_[key] = true;
  return true;
}

void process_registry::remove(const std::string& key) {
  std::lock_guard<std::mutex> guard{mtx_};
  running_.erase(key);
  terminating_.erase(key);
}

bool process_registry::terminate(const std::string& key) {
  std::lock_guard<std::mutex> guard{mtx_};
  killed_[key] = true;
  auto it = running_.find(key);
  if (it == running_.end()) {
    cancelled_before_start_.insert(key);
    return false;
  }
  ::kill(-it->second, SIGTERM);
  terminating_.insert(key);
  return true;
}

bool process_registry::terminating(const std::string& key) const {
  std::lock_guard<std::mutex> guard{mtx_};
  return terminating_.count(key) > 0;
}

bool process_registry::take_cancelled_before_start(const std::string& key) {
  std::lock_guard<std::mutex> guard{mtx_};
  return cancelled_before_start_.erase(key) > 0;
}

bool process_registry::kill(const std::string& key) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto it = running_.find(key);
  if (it == running_.end())
    return false;
  ::kill(-it->second, SIGKILL);
  killed_[key] = true;
  return true;
}

bool process_registry::take_killed(const std::string& key) {
  std::lock_guard<std::mutex> guard{mtx_};
  return killed_.erase(key) > 0;
}

void process_registry::kill_all() {
  std::lock_guard<std::mutex> guard{mtx_};
  for (const auto& [key, pgid] : running_) {
    ::kill(-pgid, SIGKILL);
    killed_[key] = true;
  }
}

std::size_t process_registry::running() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return running_.size();
}

exec_result run_process(const exec_request& req, process_registry* registry) {
  exec_result out;
  if (req.argv.empty() || req.argv.front().empty()) {
    out.error = "empty command";
    return out;
  }
  if (registry != nullptr && registry->take_cancelled_before_start(req.key)) {
    out.error = "cancelled before it started";
    out.killed = registry->take_killed(req.key);
    return out;
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    out.error = std::string{"pipe: "} + std::strerror(errno);
    return out;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  // The command gets stdin, stdout and stderr and nothing else: not Vigil's listening socket
  // (which would keep the port after Vigil dies), client connections, RocksDB's files or the
  // data directory's lock, whether or not whoever opened them asked for close-on-exec.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0); // its own process group, so a kill reaches its children
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::vector<std::string> argv_copy = req.argv;
  std::vector<char*> argv;
  argv.reserve(argv_copy.size() + 1);
  for (auto& a : argv_copy)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  auto env_strings = child_environment(req);
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& e : env_strings)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  // posix_spawnp looks argv[0] up in PATH of *our* environment; resolve against the child's.
  const int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    out.error = "cannot start " + req.argv.front() + ": " + std::strerror(rc);
    return out;
  }
  bool terminating = registry != nullptr && registry->add(req.key, pid);
  const auto deadline = clock_type::now() + req.timeout;
  auto kill_at = terminating ? clock_type::now() + req.kill_grace : clock_type::time_point::max();
  bool open = true;
  int status = 0;
  bool exited = false;
  char buf[8192];
  while (!exited) {
    const auto now = clock_type::now();
    if (!out.timed_out && now >= deadline) {
      out.timed_out = true;
      ::kill(-pid, SIGTERM);
      kill_at = now + req.kill_grace;
    }
    if (!terminating && registry != nullptr && registry->terminating(req.key)) {
      terminating = true; // a cancel sent SIGTERM: SIGKILL after the grace
      kill_at = std::min(kill_at, now + req.kill_grace);
    }
    if (now >= kill_at) {
      ::kill(-pid, SIGKILL);
      kill_at = clock_type::time_point::max();
    }
    auto next =
      std::min({out.timed_out ? kill_at : deadline, kill_at, now + std::chrono::milliseconds{50}});
    const int wait_ms = static_cast<int>(std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count()));
    if (open) {
      pollfd pfd{pipe_fds[0], POLLIN, 0};
      const int pr = ::poll(&pfd, 1, wait_ms);
      if (pr > 0) {
        const auto n = ::read(pipe_fds[0], buf, sizeof(buf));
        if (n > 0) {
          const auto room =
            req.output_limit > out.output.size() ? req.output_limit - out.output.size() : 0;
          const auto take = std::min<std::size_t>(room, static_cast<std::size_t>(n));
          out.output.append(buf, take);
          out.truncated = out.truncated || take < static_cast<std::size_t>(n);
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
          open = false; // every writer closed it; the process may still run
        }
      }
    } else {
      ::usleep(static_cast<useconds_t>(std::min(wait_ms, 20)) * 1000);
    }
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid)
      exited = true;
  }
  // Drain what is left in the pipe (the group may have left output behind).
  for (;;) {
    pollfd pfd{pipe_fds[0], POLLIN, 0};
    if (!open || ::poll(&pfd, 1, 0) <= 0)
      break;
    const auto n = ::read(pipe_fds[0], buf, sizeof(buf));
    if (n <= 0)
      break;
    const auto room =
      req.output_limit > out.output.size() ? req.output_limit - out.output.size() : 0;
    const auto take = std::min<std::size_t>(room, static_cast<std::size_t>(n));
    out.output.append(buf, take);
    out.truncated = out.truncated || take < static_cast<std::size_t>(n);
  }
  ::close(pipe_fds[0]);
  // Children left behind in the group do not outlive the step.
  ::kill(-pid, SIGKILL);
  if (registry != nullptr) {
    registry->remove(req.key);
    out.killed = registry->take_killed(req.key);
  }
  if (WIFEXITED(status)) {
    out.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    out.signal = WTERMSIG(status);
    out.exit_code = -1;
  }
  return out;
}

} // namespace vigil::actors
