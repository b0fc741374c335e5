#include "storage/data_dir_lock.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include "runtime/model/errc.hpp"

namespace vigil::storage {

namespace {

pid_t read_pid(int fd) {
  char buf[32] = {};
  const auto n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0)
    return 0;
  return static_cast<pid_t>(std::strtol(buf, nullptr, 10));
}

} // namespace

caf::expected<data_dir_lock> data_dir_lock::acquire(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return make_error(errc::io_error, "cannot create data directory " + dir + ": " + ec.message());
  auto path = (std::filesystem::path{dir} / "vigil.lock").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return make_error(errc::io_error, "cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const pid_t owner = read_pid(fd);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      std::string msg = "data directory " + dir + " is in use by another Vigil process";
      if (owner > 0)
        msg += " (pid " + std::to_string(owner) + ")";
      msg += "; stop it first or choose another --data directory";
      return make_error(errc::conflict, std::move(msg));
    }
    return make_error(errc::io_error, "cannot lock " + path + ": " + std::strerror(err));
  }
  // We hold the lock. A PID still in the file belongs to an owner that died without
  // cleaning up (the kernel released its lock); report it as a takeover.
  pid_t stale = read_pid(fd);
  if (stale == ::getpid())
    stale = 0;
  const auto text = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, text.data(), text.size(), 0) < 0) {
    ::close(fd);
    return make_error(errc::io_error, "cannot write " + path + ": " + std::strerror(errno));
  }
  ::fsync(fd);
  return data_dir_lock{fd, std::move(path), stale};
}

data_dir_lock::data_dir_lock(data_dir_lock&& other) noexcept
  : fd_(other.fd_), path_(std::move(other.path_)), stale_owner_(other.stale_owner_) {
  other.fd_ = -1;
}

data_dir_lock& data_dir_lock::operator=(data_dir_lock&& other) noexcept {
  if (this != &other) {
    this->~data_dir_lock();
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    stale_owner_ = other.stale_owner_;
    other.fd_ = -1;
  }
  return *this;
}

data_dir_lock::~data_dir_lock() {
  if (fd_ >= 0) {
    // Empty the file first so that the next owner does not report a stale takeover.
    if (::ftruncate(fd_, 0) != 0) {
      // Nothing to do: the next owner will report a takeover, which is harmless.
    }
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
    fd_ = -1;
  }
}

} // namespace vigil::storage
