#pragma once

#include <string>
#include <sys/types.h>

#include <caf/expected.hpp>

namespace vigil::storage {

/// Exclusive ownership of a data directory by one live process: a `vigil.lock` file holding
/// the owner's PID under an advisory `flock`. The kernel drops the lock when the owner dies,
/// however it dies, so a stale file left by `kill -9` is taken over (and reported) rather
/// than blocking the next start. Move-only; releases on destruction.
class data_dir_lock {
public:
  /// Takes the lock, creating the directory when missing. Fails with `errc::conflict` naming
  /// the owner's PID when a live process holds it.
  [[nodiscard]] static caf::expected<data_dir_lock> acquire(const std::string& dir);

  data_dir_lock(data_dir_lock&& other) noexcept;
  data_dir_lock& operator=(data_dir_lock&& other) noexcept;
  data_dir_lock(const data_dir_lock&) = delete;
  data_dir_lock& operator=(const data_dir_lock&) = delete;
  ~data_dir_lock();

  /// PID recorded by a previous owner that died without releasing, or 0.
  [[nodiscard]] pid_t stale_owner() const noexcept { return stale_owner_; }

  /// Path of the lock file.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
  data_dir_lock(int fd, std::string path, pid_t stale_owner) noexcept
    : fd_(fd), path_(std::move(path)), stale_owner_(stale_owner) {}

  int fd_ = -1;
  std::string path_;
  pid_t stale_owner_ = 0;
};

} // namespace vigil::storage
