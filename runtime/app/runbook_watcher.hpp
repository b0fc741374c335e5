#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace vigil::app {

/// Settings of a `runbook_watcher`.
struct runbook_watcher_options {
  /// A burst of changes ends once nothing changed for this long; then the callback runs once.
  std::chrono::milliseconds quiet_period{500};

  /// Test hook: called on the watcher's thread for every file-system event it looked at, with
  /// the path and whether it counted as a runbook change. Empty in production.
  std::function<void(const std::string& path, bool counted)> test_on_event;
};

/// Watches a runbook repository (`runbooks.repository`) with inotify, recursively, including
/// folders created later, and calls `on_change` once per burst of changes (a runbook file
/// written, moved in or out, deleted; a folder removed or one arriving with runbooks in it) when
/// the burst has been quiet for `quiet_period`. It looks at the files the repository loader
/// reads: `*.yaml` / `*.yml`, not hidden (so not `.#x.yaml`, nor anything under `.git`), which
/// leaves editor files (`.x.yaml.swp`, `x.yaml~`, `4913`) out.
///
/// Thread-safety: `on_change` and the test hook run on the watcher's own thread, one call at a
/// time; events that arrive while `on_change` runs make a new burst. Construct and destroy from
/// one thread, never from within `on_change` (the destructor joins the watcher's thread). Nothing
/// here throws: errors (no inotify, an unreadable folder, the watch limit, an exception from
/// `on_change`) are logged, and the watcher keeps going with what it can watch. When the
/// repository folder itself is removed or renamed the watcher reports a change and watches for
/// it to come back.
class runbook_watcher {
public:
  /// Starts watching `directory` (the watches exist when the constructor returns, so changes
  /// made right after it are seen).
  runbook_watcher(std::string directory, std::function<void()> on_change,
                  runbook_watcher_options options = {});

  /// Stops promptly, dropping a burst still in its quiet period, and joins the thread (after
  /// the callback, when one is running).
  ~runbook_watcher();

  runbook_watcher(const runbook_watcher&) = delete;
  runbook_watcher& operator=(const runbook_watcher&) = delete;

  /// True when inotify is set up and the thread runs (false: setup failed, see the log).
  [[nodiscard]] bool running() const noexcept;

  /// True when `name` (a file name, no folder) is one the repository loader would read.
  [[nodiscard]] static bool is_runbook_file_name(std::string_view name) noexcept;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace vigil::app
