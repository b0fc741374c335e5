// The runbook watcher on a real folder: one callback per burst, editor files ignored, folders
// created later watched, a prompt stop. Waits are bounded condition-variable waits; the only
// durations are the quiet period configured here and the bounds themselves.

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <gtest/gtest.h>
#include <mutex>
#include <unistd.h>

#include "runtime/app/runbook_watcher.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr auto quiet = 150ms;      ///< the watchers' quiet period in these tests
constexpr auto bound = 10s;        ///< how long anything expected may take, at most
constexpr auto settle = quiet * 4; ///< how long to wait to see that nothing happens

/// Counts callbacks and records what the watcher looked at, for bounded waits.
class recorder {
public:
  /// A watcher of `dir` reporting here.
  std::unique_ptr<app::runbook_watcher> watch(const std::string& dir,
                                              std::chrono::milliseconds quiet_period = quiet) {
    app::runbook_watcher_options opts;
    opts.quiet_period = quiet_period;
    opts.test_on_event = [this](const std::string& path, bool counted) {
      std::lock_guard<std::mutex> lock{mtx_};
      events_.emplace_back(path, counted);
      cv_.notify_all();
    };
    return std::make_unique<app::runbook_watcher>(
      dir,
      [this] {
        std::lock_guard<std::mutex> lock{mtx_};
        ++calls_;
        cv_.notify_all();
      },
      std::move(opts));
  }

  /// Waits until the callback ran at least `n` times (false after `timeout`).
  bool wait_calls(int n, std::chrono::milliseconds timeout = bound) {
    std::unique_lock<std::mutex> lock{mtx_};
    return cv_.wait_for(lock, timeout, [&] { return calls_ >= n; });
  }

  /// Waits until the watcher looked at `path` and counted it as a change or not, as `counted`
  /// says (false after `bound`).
  bool wait_event(const std::string& path, bool counted) {
    std::unique_lock<std::mutex> lock{mtx_};
    return cv_.wait_for(lock, bound, [&] {
      return std::find(events_.begin(), events_.end(), std::make_pair(path, counted))
             != events_.end();
    });
  }

  int calls() {
    std::lock_guard<std::mutex> lock{mtx_};
    return calls_;
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  int calls_ = 0;
  std::vector<std::pair<std::string, bool>> events_;
};

const char* const runbook_text = "name: note\ntriggers: [{type: alert}]\nsteps: [{name: a, "
                                 "action: noop}]\n";

TEST(runbook_watcher, recognises_the_files_the_loader_reads) {
  using app::runbook_watcher;
  EXPECT_TRUE(runbook_watcher::is_runbook_file_name("disk.yaml"));
  EXPECT_TRUE(runbook_watcher::is_runbook_file_name("disk.yml"));
  for (auto name : {".disk.yaml.swp", "disk.yaml.swp", "disk.yaml~", ".#disk.yaml", "#disk.yaml#",
                    "4913", "notes.txt", ".hidden.yaml", "disk.yaml.tmp", "yaml"})
    EXPECT_FALSE(runbook_watcher::is_runbook_file_name(name)) << name;
}

TEST(runbook_watcher, a_burst_of_writes_fires_once) {
  test::temp_dir dir;
  recorder rec;
  // A longer quiet period: the writes below must stay one burst on a loaded machine.
  auto watcher = rec.watch(dir.path(), 300ms);
  ASSERT_TRUE(watcher->running());
  for (int i = 0; i < 5; ++i)
    test::write_file(dir.file("disk.yaml"),
                     runbook_text + std::string(static_cast<size_t>(i), '#'));
  test::write_file(dir.file("cpu.yml"), runbook_text);
  ASSERT_TRUE(rec.wait_calls(1)) << "no callback after the burst";
  EXPECT_FALSE(rec.wait_calls(2, settle)) << "one burst, more than one callback";
  EXPECT_EQ(rec.calls(), 1);

  // A later change is a new burst.
  test::write_file(dir.file("disk.yaml"), runbook_text);
  EXPECT_TRUE(rec.wait_calls(2));
}

TEST(runbook_watcher, editor_files_do_not_fire) {
  test::temp_dir dir;
  recorder rec;
  auto watcher = rec.watch(dir.path());
  for (auto name : {".disk.yaml.swp", "disk.yaml~", "4913", "notes.txt", "disk.yaml.kate-swp"}) {
    test::write_file(dir.file(name), "scratch");
    EXPECT_TRUE(rec.wait_event(dir.file(name), false)) << name;
  }
  // An Emacs lock is a dangling symlink named .#file.
  ASSERT_EQ(::symlink("user@host.1234:1700000000", dir.file(".#disk.yaml").c_str()), 0);
  EXPECT_TRUE(rec.wait_event(dir.file(".#disk.yaml"), false));
  // A hidden folder (.git) is neither counted nor watched.
  fs::create_directories(dir.file(".git"));
  EXPECT_TRUE(rec.wait_event(dir.file(".git"), false));
  test::write_file(dir.file(".git/config.yaml"), "x");
  EXPECT_FALSE(rec.wait_calls(1, settle)) << "an ignored file fired the callback";

  // Still alive: a runbook write fires.
  test::write_file(dir.file("disk.yaml"), runbook_text);
  EXPECT_TRUE(rec.wait_calls(1));
}

TEST(runbook_watcher, files_in_a_new_subfolder_fire) {
  test::temp_dir dir;
  recorder rec;
  auto watcher = rec.watch(dir.path());
  // Made at once: the files may be there before the watcher sees the folders.
  fs::create_directories(dir.file("team/storage"));
  test::write_file(dir.file("team/storage/disk.yaml"), runbook_text);
  ASSERT_TRUE(rec.wait_calls(1));
  // Now certainly watched: a write there is a new burst.
  EXPECT_FALSE(rec.wait_calls(2, settle));
  test::write_file(dir.file("team/storage/inodes.yaml"), runbook_text);
  EXPECT_TRUE(rec.wait_event(dir.file("team/storage/inodes.yaml"), true));
  EXPECT_TRUE(rec.wait_calls(2));
}

TEST(runbook_watcher, an_empty_new_folder_does_not_fire) {
  test::temp_dir dir;
  recorder rec;
  auto watcher = rec.watch(dir.path());
  fs::create_directories(dir.file("later"));
  EXPECT_TRUE(rec.wait_event(dir.file("later"), false));
  EXPECT_FALSE(rec.wait_calls(1, settle));
  test::write_file(dir.file("later/x.yaml"), runbook_text);
  EXPECT_TRUE(rec.wait_calls(1));
}

TEST(runbook_watcher, delete_and_rename_fire) {
  test::temp_dir dir;
  test::write_file(dir.file("a.yaml"), runbook_text);
  fs::create_directories(dir.file("sub"));
  test::write_file(dir.file("sub/b.yaml"), runbook_text);
  recorder rec;
  auto watcher = rec.watch(dir.path());

  fs::remove(dir.file("a.yaml"));
  ASSERT_TRUE(rec.wait_calls(1));
  // An editor's atomic save: write a temp file, rename it over the runbook.
  test::write_file(dir.file("sub/.b.yaml.tmp"), runbook_text);
  fs::rename(dir.file("sub/.b.yaml.tmp"), dir.file("sub/b.yaml"));
  ASSERT_TRUE(rec.wait_calls(2));
  // A folder moved out of the repository takes its runbooks with it; its watch goes too.
  test::temp_dir outside;
  fs::rename(dir.file("sub"), outside.file("sub"));
  ASSERT_TRUE(rec.wait_calls(3));
  test::write_file(outside.file("sub/c.yaml"), runbook_text);
  EXPECT_FALSE(rec.wait_calls(4, settle)) << "a folder moved out is still watched";
}

TEST(runbook_watcher, a_repository_removed_and_recreated_is_watched_again) {
  test::temp_dir dir;
  const auto repo = dir.file("runbooks");
  fs::create_directories(repo);
  recorder rec;
  auto watcher = rec.watch(repo);
  fs::remove_all(repo);
  ASSERT_TRUE(rec.wait_calls(1));
  fs::create_directories(repo);
  test::write_file(repo + "/disk.yaml", runbook_text);
  ASSERT_TRUE(rec.wait_calls(2)) << "the recreated folder is not watched";
}

TEST(runbook_watcher, destruction_with_a_pending_burst_is_prompt) {
  test::temp_dir dir;
  recorder rec;
  auto watcher = rec.watch(dir.path(), std::chrono::minutes{10});
  test::write_file(dir.file("disk.yaml"), runbook_text);
  ASSERT_TRUE(rec.wait_event(dir.file("disk.yaml"), true));
  const auto t0 = std::chrono::steady_clock::now();
  watcher.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_EQ(rec.calls(), 0) << "a burst still in its quiet period is dropped";
}

TEST(runbook_watcher, a_throwing_callback_does_not_stop_it) {
  test::temp_dir dir;
  std::mutex mtx;
  std::condition_variable cv;
  int calls = 0;
  app::runbook_watcher_options opts;
  opts.quiet_period = quiet;
  app::runbook_watcher watcher{dir.path(),
                               [&] {
                                 {
                                   std::lock_guard<std::mutex> lock{mtx};
                                   ++calls;
                                 }
                                 cv.notify_all();
                                 throw std::runtime_error("reload exploded");
                               },
                               opts};
  auto wait_calls = [&](int n) {
    std::unique_lock<std::mutex> lock{mtx};
    return cv.wait_for(lock, bound, [&] { return calls >= n; });
  };
  test::write_file(dir.file("a.yaml"), runbook_text);
  ASSERT_TRUE(wait_calls(1));
  test::write_file(dir.file("a.yaml"), runbook_text);
  EXPECT_TRUE(wait_calls(2));
}

TEST(runbook_watcher, a_missing_repository_is_waited_for) {
  test::temp_dir dir;
  recorder rec;
  auto watcher = rec.watch(dir.file("not-yet"));
  EXPECT_TRUE(watcher->running());
  fs::create_directories(dir.file("not-yet"));
  test::write_file(dir.file("not-yet/a.yaml"), runbook_text);
  EXPECT_TRUE(rec.wait_calls(1));
}

} // namespace
} // namespace vigil
