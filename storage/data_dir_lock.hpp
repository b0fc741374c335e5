#pragma once

#include <chrono>
#include <string>
#include <sys/types.h>

#include <caf/expected.hpp>

namespace vigil::storage {

/// Exclusive ownership of a data directory by one live process: a `vigil.lock` file holding
/// the owner's PID under an advisory `flock`. The kernel drops the lock when the owner dies,
/// however it dies, so a stale file left by `kill -9` is taken over (and reported) rather
/// than blocking the next start. When the recorded owner is dead but the lock is still held
/// (a process that inherited the descriptor, e.g. a command caught between spawn and exec),
/// it waits up to `wait` for the lock and reports who held it. Move-only; releases on
/// destruction.
class data_dir_lock {
public:
  /// How long to wait for a lock whose recorded owner is dead.
  static constexpr std::chrono::milliseconds default_wait{5000};

  /// Takes the lock, creating the directory when missing. Fails with `errc::conflict` naming
  /// the owner's PID when a live process holds it, or when a dead owner's lock is still held
  /// after `wait` (naming the processes that hold it).
  [[nodiscard]] static caf::expected<data_dir_lock>
  acquire(const std::string& dir, std::chrono::milliseconds wait = default_wait);

  /// The processes holding `path` open, as `pid 12 (sleep)`, comma-separated (from /proc;
  /// empty when none or unreadable).
  [[nodiscard]] static std::string holders_of(const std::string& path);

  data_dir_lock(data_dir_lock&& other) noexcept;
  data_dir_lock& operator=(data_dir_lock&& other) noexcept;
  data_dir_lock(const data_dir_lock&) = delete;
  data_dir_lock& operator=(const data_dir_lock&) = delete;
  ~data_dir_lock();

  /// PID recorded by a previous owner that died without releasing, or 0.
  [[nodiscard]] pid_t stale_owner() const noexcept { return stale_owner_; }

  /// Path of the lock file.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  /// How long acquire waited for a dead owner's lock (0: it was free).
  [[nodiscard]] std::chrono::milliseconds waited() const noexcept { return waited_; }

  /// Who held the lock while acquire waited (see holders_of), or empty.
  [[nodiscard]] const std::string& held_by() const noexcept { return held_by_; }

private:
  data_dir_lock(int fd, std::string path, pid_t stale_owner) noexcept
    : fd_(fd), path_(std::move(path)), stale_owner_(stale_owner) {}

  /// Empties the file, unlocks and closes (a no-op once released).
  void release() noexcept;

  int fd_ = -1;
  std::string path_;
  pid_t stale_owner_ = 0;
  std::chrono::milliseconds waited_{0};
  std::string held_by_;
};

} // namespace vigil::storage
