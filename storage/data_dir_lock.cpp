#include "storage/data_dir_lock.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>
#include <utility>

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

/// True when `pid` names a live process (or one we may not signal, which is alive too).
bool alive(pid_t pid) {
  return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

std::string process_name(const std::string& pid) {
  std::ifstream in{"/proc/" + pid + "/comm"};
  std::string name;
  std::getline(in, name);
  return name;
}

} // namespace

std::string data_dir_lock::holders_of(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto target = fs::weakly_canonical(path, ec);
  if (ec)
    return {};
  std::string out;
  for (fs::directory_iterator proc{"/proc", ec}, end; !ec && proc != end; proc.increment(ec)) {
    const auto pid = proc->path().filename().string();
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos)
      continue;
    std::error_code fd_ec;
    for (fs::directory_iterator fd{proc->path() / "fd", fd_ec}; !fd_ec && fd != end;
         fd.increment(fd_ec)) {
      std::error_code link_ec;
      if (fs::read_symlink(fd->path(), link_ec) != target || link_ec)
        continue;
      if (!out.empty())
        out += ", ";
      out += "pid " + pid + " (" + process_name(pid) + ")";
      break;
    }
  }
  return out;
}

caf::expected<data_dir_lock> data_dir_lock::acquire(const std::string& dir,
                                                    std::chrono::milliseconds wait) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return make_error(errc::io_error, "cannot create data directory " + dir + ": " + ec.message());
  auto path = (std::filesystem::path{dir} / "vigil.lock").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return make_error(errc::io_error, "cannot open " + path + ": " + std::strerror(errno));
  const auto started = std::chrono::steady_clock::now();
  std::string held_by;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EINTR)
      continue;
    const pid_t owner = read_pid(fd);
    if (err != EWOULDBLOCK) {
      ::close(fd);
      return make_error(errc::io_error, "cannot lock " + path + ": " + std::strerror(err));
    }
    // A dead owner's lock held by someone else: a process that inherited the descriptor
    // (a command between spawn and exec, say). It lets go by itself; wait a bounded time.
    const auto elapsed = std::chrono::steady_clock::now() - started;
    if (!alive(owner) && elapsed < wait) {
      if (held_by.empty())
        held_by = holders_of(path);
      ::usleep(20'000);
      continue;
    }
    ::close(fd);
    std::string msg = "data directory " + dir + " is in use by another Vigil process";
    if (owner > 0)
      msg += " (pid " + std::to_string(owner) + (alive(owner) ? "" : ", which is dead") + ")";
    if (!alive(owner)) {
      const auto now_held = holders_of(path);
      msg += "; the lock is held by "
             + (now_held.empty() ? std::string{"an unknown process"} : now_held) + " after "
             + std::to_string(wait.count()) + " ms of waiting";
    }
    msg += "; stop it first or choose another --data directory";
    return make_error(errc::conflict, std::move(msg));
  }
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - started);
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
  data_dir_lock lock{fd, std::move(path), stale};
  if (!held_by.empty() || waited.count() >= 20) {
    lock.waited_ = waited;
    lock.held_by_ = held_by.empty() ? std::string{"an unknown process"} : std::move(held_by);
  }
  return lock;
}

data_dir_lock::data_dir_lock(data_dir_lock&& other) noexcept
  : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)),
    stale_owner_(other.stale_owner_), waited_(other.waited_), held_by_(std::move(other.held_by_)) {}

data_dir_lock& data_dir_lock::operator=(data_dir_lock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    stale_owner_ = other.stale_owner_;
    waited_ = other.waited_;
    held_by_ = std::move(other.held_by_);
  }
  return *this;
}

data_dir_lock::~data_dir_lock() {
  release();
}

void data_dir_lock::release() noexcept {
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
