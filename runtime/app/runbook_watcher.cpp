// Runbook auto-reload (`runbooks.auto_reload`): inotify on the repository, debounced.

#include "runtime/app/runbook_watcher.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <optional>
#include <thread>
#include <unordered_map>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/app/logger.hpp"

namespace vigil::app {

namespace fs = std::filesystem;

namespace {

using clock_type = std::chrono::steady_clock;

/// How often a repository folder that is gone (or not there yet) is looked for.
constexpr std::chrono::milliseconds root_retry_period{1000};

/// Events on folders. Files are taken when written and closed, moved in or out, or deleted;
/// IN_CREATE is for folders (and symlinks, which are never written).
constexpr uint32_t watch_mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE
                                | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

bool hidden(std::string_view name) noexcept {
  return !name.empty() && name.front() == '.';
}

bool ends_with(std::string_view s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string errno_text(int err) {
  return std::strerror(err);
}

} // namespace

bool runbook_watcher::is_runbook_file_name(std::string_view name) noexcept {
  // As the repository loader: *.yaml and *.yml, hidden entries skipped. Editor files (swap
  // files, backups~, Emacs locks .#x.yaml) fail one of the two tests.
  return !hidden(name) && (ends_with(name, ".yaml") || ends_with(name, ".yml"));
}

// -- the watcher's state (touched by its thread only, after the constructor) ---------------------

struct runbook_watcher::impl {
  std::string root;
  std::function<void()> on_change;
  runbook_watcher_options opts;
  int inotify_fd = -1;
  int wake_fd = -1; ///< eventfd: the destructor writes to it to end the thread
  std::thread thread;

  std::unordered_map<int, std::string> folders; ///< watch descriptor -> folder path
  int root_wd = -1;                             ///< -1: the repository folder is not watched
  clock_type::time_point next_root_try{};
  std::optional<clock_type::time_point> burst_end; ///< set while a burst is in its quiet period
  std::size_t burst_changes = 0;

  ~impl() {
    if (inotify_fd >= 0)
      ::close(inotify_fd);
    if (wake_fd >= 0)
      ::close(wake_fd);
  }

  // -- setup ---

  bool open_fds() {
    inotify_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotify_fd < 0) {
      app_log.error("runbook watcher: no inotify, auto-reload is off",
                    {{"error", errno_text(errno)}});
      return false;
    }
    wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd < 0) {
      app_log.error("runbook watcher: no eventfd, auto-reload is off",
                    {{"error", errno_text(errno)}});
      return false;
    }
    return true;
  }

  /// Watches `dir` and the folders under it (hidden ones and symlinks to folders excepted, as
  /// the loader skips them). True when a runbook file is found in them: a folder that arrives
  /// with runbooks is a change, also when they were written before its watch existed.
  bool add_tree(const std::string& dir, bool is_root) {
    uint32_t mask = watch_mask;
    if (!is_root)
      mask |= IN_DONT_FOLLOW; // the repository itself may be a symlink; folders in it are not
    const int wd = ::inotify_add_watch(inotify_fd, dir.c_str(), mask);
    if (wd < 0) {
      const int err = errno;
      if (is_root && (err == ENOENT || err == ENOTDIR))
        return false; // looked for again later
      app_log.warn(err == ENOSPC ? "runbook watcher: inotify watch limit reached (raise "
                                   "fs.inotify.max_user_watches); this folder is not watched"
                                 : "runbook watcher: cannot watch a folder",
                   {{"path", dir}, {"error", errno_text(err)}});
      return false;
    }
    folders[wd] = dir;
    if (is_root)
      root_wd = wd;
    bool found = false;
    std::error_code ec;
    fs::directory_iterator it{dir, ec};
    for (; !ec && it != fs::directory_iterator{}; it.increment(ec)) {
      const auto name = it->path().filename().string();
      if (hidden(name))
        continue;
      std::error_code type_ec;
      if (it->is_symlink(type_ec)) {
        found = found || is_runbook_file_name(name);
        continue;
      }
      if (it->is_directory(type_ec))
        found = add_tree(it->path().string(), false) || found;
      else if (is_runbook_file_name(name))
        found = true;
    }
    if (ec)
      app_log.warn("runbook watcher: cannot list a folder",
                   {{"path", dir}, {"error", ec.message()}});
    return found;
  }

  /// Stops watching `dir` and everything under it (it moved away).
  void forget_tree(const std::string& dir) {
    for (auto it = folders.begin(); it != folders.end();) {
      const auto& p = it->second;
      if (p == dir
          || (p.size() > dir.size() && p.compare(0, dir.size(), dir) == 0
              && p[dir.size()] == '/')) {
        ::inotify_rm_watch(inotify_fd, it->first);
        if (it->first == root_wd)
          root_wd = -1;
        it = folders.erase(it);
      } else {
        ++it;
      }
    }
  }

  /// Looks for the repository folder when it is not watched; when it (re)appears, that is a
  /// change.
  void find_root(clock_type::time_point now) {
    if (root_wd >= 0 || now < next_root_try)
      return;
    next_root_try = now + root_retry_period;
    std::error_code ec;
    if (!fs::is_directory(root, ec))
      return;
    add_tree(root, true);
    if (root_wd >= 0) {
      app_log.info("runbook watcher: watching the repository", {{"repository", root}});
      note_change(root);
    }
  }

  // -- events ---

  void note_change(const std::string& path) {
    if (!burst_end)
      burst_changes = 0;
    ++burst_changes;
    burst_end = clock_type::now() + opts.quiet_period;
    app_log.debug("runbook watcher: change", {{"path", path}});
  }

  void seen(const std::string& path, bool counted) {
    if (counted)
      note_change(path);
    if (opts.test_on_event)
      opts.test_on_event(path, counted);
  }

  void handle(const inotify_event& ev) {
    if ((ev.mask & IN_Q_OVERFLOW) != 0) {
      // Events were lost: assume a change, and catch up on folders created meanwhile.
      app_log.warn("runbook watcher: inotify queue overflowed; reloading to be safe",
                   {{"repository", root}});
      seen(root, true);
      if (root_wd >= 0)
        add_tree(root, true);
      return;
    }
    auto folder = folders.find(ev.wd);
    if (folder == folders.end())
      return; // a folder forgotten a moment ago
    if ((ev.mask & IN_IGNORED) != 0) {
      if (ev.wd == root_wd)
        root_wd = -1;
      folders.erase(folder);
      return;
    }
    if ((ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF)) != 0) {
      if (ev.wd == root_wd) {
        app_log.warn("runbook watcher: the repository folder was removed or renamed; waiting "
                     "for it to come back",
                     {{"repository", root}});
        forget_tree(root);
        next_root_try = clock_type::now() + root_retry_period;
        seen(root, true);
      }
      return; // a folder inside: its parent reports it (IN_DELETE / IN_MOVED_FROM)
    }
    const std::string name = ev.len > 0 ? std::string{ev.name} : std::string{};
    const std::string path = folder->second + "/" + name;
    if (name.empty() || hidden(name)) {
      seen(path, false);
      return;
    }
    if ((ev.mask & IN_ISDIR) != 0) {
      if ((ev.mask & (IN_CREATE | IN_MOVED_TO)) != 0)
        seen(path, add_tree(path, false));
      else if ((ev.mask & IN_MOVED_FROM) != 0) {
        forget_tree(path);
        seen(path, true);
      } else {
        seen(path, (ev.mask & IN_DELETE) != 0);
      }
      return;
    }
    bool counted = is_runbook_file_name(name);
    if (counted && (ev.mask & IN_CREATE) != 0) {
      // A new regular file counts once written and closed; a symlink is never written.
      struct stat st {};
      counted = ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
    }
    seen(path, counted);
  }

  /// Reads and handles every event inotify has queued.
  void drain_inotify() {
    alignas(inotify_event) char buf[16 * 1024];
    for (;;) {
      const ssize_t n = ::read(inotify_fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        if (errno != EAGAIN)
          app_log.error("runbook watcher: cannot read inotify events",
                        {{"error", errno_text(errno)}});
        return;
      }
      if (n == 0)
        return;
      for (const char* p = buf; p < buf + n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(p);
        handle(*ev);
        p += sizeof(inotify_event) + ev->len;
      }
    }
  }

  void end_burst() {
    const auto changes = burst_changes;
    burst_end.reset();
    burst_changes = 0;
    app_log.info("runbook repository changed",
                 {{"repository", root}, {"changes", std::to_string(changes)}});
    try {
      on_change();
    } catch (const std::exception& e) {
      app_log.error("runbook watcher: the reload failed", {{"error", e.what()}});
    } catch (...) {
      app_log.error("runbook watcher: the reload failed", {{"error", "unknown exception"}});
    }
  }

  // -- the thread ---

  int poll_timeout_ms(clock_type::time_point now) const {
    std::optional<clock_type::time_point> wake = burst_end;
    if (root_wd < 0 && (!wake || next_root_try < *wake))
      wake = next_root_try;
    if (!wake)
      return -1;
    if (*wake <= now)
      return 0;
    // Round up: waking early would only spin once more.
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*wake - now).count();
    return static_cast<int>(std::min<int64_t>(ms, 60'000));
  }

  void run() {
    for (;;) {
      try {
        const auto now = clock_type::now();
        find_root(now);
        if (burst_end && now >= *burst_end) {
          end_burst();
          continue;
        }
        pollfd fds[2] = {{wake_fd, POLLIN, 0}, {inotify_fd, POLLIN, 0}};
        const int ready = ::poll(fds, 2, poll_timeout_ms(now));
        if (ready < 0) {
          if (errno == EINTR)
            continue;
          app_log.error("runbook watcher: poll failed", {{"error", errno_text(errno)}});
          pollfd wake{wake_fd, POLLIN, 0};
          ::poll(&wake, 1, 1000); // do not spin on a persistent error
          if ((wake.revents & POLLIN) != 0)
            return;
          continue;
        }
        if ((fds[0].revents & POLLIN) != 0)
          return; // stopping: a burst still in its quiet period is dropped
        if ((fds[1].revents & POLLIN) != 0)
          drain_inotify();
      } catch (const std::exception& e) {
        app_log.error("runbook watcher: unexpected error", {{"error", e.what()}});
      }
    }
  }
};

// -- runbook_watcher ------------------------------------------------------------------------------

runbook_watcher::runbook_watcher(std::string directory, std::function<void()> on_change,
                                 runbook_watcher_options options) {
  try {
    auto p = std::make_unique<impl>();
    p->root = std::move(directory);
    while (p->root.size() > 1 && p->root.back() == '/')
      p->root.pop_back();
    p->on_change = std::move(on_change);
    p->opts = std::move(options);
    if (!p->open_fds())
      return;
    p->add_tree(p->root, true);
    if (p->root_wd < 0)
      app_log.warn("runbook watcher: the repository folder is not there; waiting for it",
                   {{"repository", p->root}});
    p->next_root_try = clock_type::now() + root_retry_period;
    auto* raw = p.get();
    p->thread = std::thread{[raw] { raw->run(); }};
    impl_ = std::move(p);
  } catch (const std::exception& e) {
    app_log.error("runbook watcher: cannot start, auto-reload is off", {{"error", e.what()}});
  }
}

runbook_watcher::~runbook_watcher() {
  if (!impl_)
    return;
  if (impl_->thread.joinable()) {
    const uint64_t one = 1;
    while (::write(impl_->wake_fd, &one, sizeof one) < 0 && errno == EINTR) {
    }
    impl_->thread.join();
  }
}

bool runbook_watcher::running() const noexcept {
  return impl_ != nullptr && impl_->thread.joinable();
}

} // namespace vigil::app
