#include "storage/database.hpp"

#include <csignal>
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/model/errc.hpp"
#include "storage/backup.hpp"
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

/// Two steps, 1 → 2 → 3, each leaving a mark and counting its runs in `calls`.
std::vector<format_migration> two_steps(int& calls, bool second_fails = false) {
  return {
    {1, "add mark a",
     [&calls](database& db, rocksdb::WriteBatch& batch) -> caf::error {
       ++calls;
       batch.Put(db.handle(column::meta), "mark_a", "1");
       return caf::none;
     }},
    {2, "add mark b",
     [&calls, second_fails](database& db, rocksdb::WriteBatch& batch) -> caf::error {
       ++calls;
       if (second_fails)
         return make_error(errc::storage_error, "disk said no");
       batch.Put(db.handle(column::meta), "mark_b", "1");
       return caf::none;
     }},
  };
}

std::string meta_value(database& db, const std::string& key) {
  std::string v;
  auto st = db.db().Get(rocksdb::ReadOptions{}, db.handle(column::meta), key, &v);
  return st.ok() ? v : "<absent>";
}

TEST(database, older_format_migrates_in_place_once_and_a_second_run_is_a_no_op) {
  test::temp_dir dir;
  { ASSERT_TRUE(database::open({dir.file("data")})); } // stamped with format 1
  int calls = 0;
  database_options opts{dir.file("data")};
  opts.test_format_version = 3;
  opts.test_migrations = two_steps(calls);
  {
    auto db = database::open(opts);
    ASSERT_TRUE(db) << message_of(db.error());
    EXPECT_EQ((*db)->report().migrated_from, 1U);
    EXPECT_EQ(calls, 2);
    EXPECT_EQ(meta_value(**db, "format_version"), "3");
    EXPECT_EQ(meta_value(**db, "mark_a"), "1");
    EXPECT_EQ(meta_value(**db, "mark_b"), "1");
  }
  auto again = database::open(opts);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->report().migrated_from, 0U);
  EXPECT_EQ(calls, 2) << "nothing left to migrate";
}

TEST(database, a_failed_migration_step_keeps_the_steps_before_it_and_says_which) {
  test::temp_dir dir;
  { ASSERT_TRUE(database::open({dir.file("data")})); }
  int calls = 0;
  database_options opts{dir.file("data")};
  opts.test_format_version = 3;
  opts.test_migrations = two_steps(calls, true);
  {
    auto db = database::open(opts);
    ASSERT_FALSE(db);
    EXPECT_NE(message_of(db.error()).find("from format 2 (add mark b): disk said no"),
              std::string::npos)
      << message_of(db.error());
  }
  // Step one is in, with its version; step two never half-happened. A fixed binary goes on.
  opts.test_migrations = two_steps(calls);
  auto db = database::open(opts);
  ASSERT_TRUE(db) << message_of(db.error());
  EXPECT_EQ((*db)->report().migrated_from, 2U);
  EXPECT_EQ(meta_value(**db, "mark_b"), "1");
}

TEST(database, a_format_without_a_migration_path_refuses_to_open) {
  test::temp_dir dir;
  { ASSERT_TRUE(database::open({dir.file("data")})); }
  database_options opts{dir.file("data")};
  opts.test_format_version = 2; // and no step from 1
  auto db = database::open(opts);
  ASSERT_FALSE(db);
  EXPECT_NE(message_of(db.error()).find("cannot migrate"), std::string::npos);
}

TEST(database, repair_of_a_healthy_directory_keeps_everything_and_it_opens_again) {
  test::temp_dir dir;
  {
    auto db = database::open({dir.file("data")});
    ASSERT_TRUE(db);
    ASSERT_TRUE(
      (*db)->db().Put(rocksdb::WriteOptions{}, (*db)->handle(column::events), "k", "v").ok());
    ASSERT_FALSE((*db)->mark_clean_shutdown());
  }
  auto rep = repair_data_dir(dir.file("data"));
  ASSERT_TRUE(rep) << message_of(rep.error()); // the empty families (dlq, ...) come back
  EXPECT_EQ(rep->keys.at("events"), 1U);
  auto db = database::open({dir.file("data")});
  ASSERT_TRUE(db) << message_of(db.error());
  std::string v;
  EXPECT_TRUE((*db)->db().Get(rocksdb::ReadOptions{}, (*db)->handle(column::events), "k", &v).ok());
  EXPECT_EQ(v, "v");
}

} // namespace
} // namespace vigil::storage
