#include "storage/database.hpp"

#include <csignal>
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/model/errc.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::storage {
namespace {

TEST(database, creates_then_reopens_with_clean_shutdown_marker) {
  test::temp_dir dir;
  {
    auto db = database::open({dir.file("data")});
    ASSERT_TRUE(db) << describe(db.error());
    EXPECT_TRUE((*db)->report().created);
    EXPECT_FALSE((*db)->report().clean_shutdown);
    ASSERT_FALSE((*db)->mark_clean_shutdown());
  }
  {
    auto db = database::open({dir.file("data")});
    ASSERT_TRUE(db);
    EXPECT_FALSE((*db)->report().created);
    EXPECT_TRUE((*db)->report().clean_shutdown);
    // No clean-shutdown marker this time: the next open must notice.
  }
  auto db = database::open({dir.file("data")});
  ASSERT_TRUE(db);
  EXPECT_FALSE((*db)->report().clean_shutdown);
}

TEST(database, second_open_of_a_live_directory_is_refused) {
  test::temp_dir dir;
  auto first = database::open({dir.file("data")});
  ASSERT_TRUE(first);
  // A separate process, as a second Vigil would be (flock is per open file description).
  const pid_t child = ::fork();
  if (child == 0) {
    auto second = database::open({dir.file("data")});
    const bool refused =
      !second && code_of(second.error()) == errc::conflict
      && message_of(second.error()).find("in use") != std::string::npos
      && message_of(second.error()).find(std::to_string(::getppid())) != std::string::npos;
    ::_exit(refused ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the second open was not refused with the owner's pid";
}

TEST(database, lock_of_a_killed_owner_is_taken_over) {
  test::temp_dir dir;
  const pid_t child = ::fork();
  if (child == 0) {
    auto db = database::open({dir.file("data")});
    if (!db)
      ::_exit(1);
    ::raise(SIGKILL); // dies holding the lock, as after kill -9
    ::_exit(2);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  auto db = database::open({dir.file("data")});
  ASSERT_TRUE(db) << describe(db.error());
  EXPECT_EQ((*db)->report().stale_lock_owner, child);
  EXPECT_FALSE((*db)->report().clean_shutdown);
}

TEST(database, newer_format_refuses_to_open) {
  test::temp_dir dir;
  {
    auto db = database::open({dir.file("data")});
    ASSERT_TRUE(db);
    auto st = (*db)->db().Put(rocksdb::WriteOptions{}, (*db)->handle(column::meta),
                              "format_version", std::to_string(format_version + 1));
    ASSERT_TRUE(st.ok());
  }
  auto db = database::open({dir.file("data")});
  ASSERT_FALSE(db);
  EXPECT_EQ(code_of(db.error()), errc::format_too_new);
  EXPECT_NE(message_of(db.error()).find("newer"), std::string::npos);
}

} // namespace
} // namespace vigil::storage
