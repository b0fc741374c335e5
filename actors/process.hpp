#pragma once

#include <mutex>
#include <string>
#include <sys/types.h>
#include <unordered_map>
#include <unordered_set>

#include "actors/messages.hpp"

namespace vigil::actors {

/// The process groups of commands now running, by idempotency key, so that an operator's kill
/// or cancel reaches the whole group at once. Thread-safe.
class process_registry {
public:
  /// Records a started group; true when a cancel for `key` came before it started (the caller
  /// then stops it at once).
  bool add(const std::string& key, pid_t pgid);
  void remove(const std::string& key);

  /// Sends SIGKILL to the group of `key` and marks it killed; false when none runs.
  bool kill(const std::string& key);

  /// Cancel: SIGTERM to the group of `key` now, SIGKILL after its grace (run_process does
  /// that); a command not started yet never starts. Marks it killed. False when none runs yet.
  bool terminate(const std::string& key);

  /// True once `terminate` reached the running `key`.
  [[nodiscard]] bool terminating(const std::string& key) const;

  /// True when `key` was cancelled before it started (and forgets it).
  bool take_cancelled_before_start(const std::string& key);

  /// True when `key` was killed by `kill` (and forgets it).
  bool take_killed(const std::string& key);

  /// SIGKILLs every running group (shutdown).
  void kill_all();

  /// Commands running now.
  [[nodiscard]] std::size_t running() const;

private:
  mutable std::mutex mtx_;
  std::unordered_map<std::string, pid_t> running_;
  std::unordered_map<std::string, bool> killed_;
  std::unordered_set<std::string> terminating_;
  std::unordered_set<std::string> cancelled_before_start_;
};

/// Runs a command and waits for it: argv[0] is looked up in PATH, never a shell; it gets its own
/// process group, stdin from /dev/null, stdout and stderr captured together up to the limit,
/// and an environment of only PATH, HOME, LANG, LC_ALL, TZ, USER, LOGNAME and TMPDIR from
/// Vigil's own plus `VIGIL_IDEMPOTENCY_KEY` and the request's pairs (so Vigil's secrets never
/// reach it). Past the timeout the group gets SIGTERM, then SIGKILL after the grace.
/// Blocking; call it from a thread of its own.
[[nodiscard]] exec_result run_process(const exec_request& req, process_registry* registry);

} // namespace vigil::actors
