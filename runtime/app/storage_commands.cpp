#include "runtime/app/storage_commands.hpp"

#include <iostream>

#include "runtime/model/clock.hpp"
#include "runtime/model/errc.hpp"
#include "runtime/model/time.hpp"
#include "storage/backup.hpp"
#include "storage/database.hpp"
#include "storage/retention.hpp"
#include "storage/workflow_store.hpp"

namespace vigil::app {

namespace {

void print_report(const storage::backup_report& rep) {
  std::cout << rep.path << ": " << rep.total_keys() << " keys, " << rep.bytes << " bytes";
  for (const auto& [family, n] : rep.keys)
    if (n > 0)
      std::cout << "; " << family << " " << n;
  std::cout << "\n";
}

int fail(const char* what, const caf::error& err) {
  std::cerr << "vigil " << what << ": " << message_of(err) << "\n";
  return 1;
}

} // namespace

int run_backup(const std::string& data_dir, const std::string& target) {
  auto rep = storage::backup_data_dir(data_dir, target);
  if (!rep)
    return fail("backup", rep.error());
  std::cout << "backup written and verified\n";
  print_report(*rep);
  return 0;
}

int run_restore(const std::string& backup, const std::string& data_dir, bool force) {
  auto rep = storage::restore_data_dir(backup, data_dir, force);
  if (!rep)
    return fail("restore", rep.error());
  std::cout << "restored and verified\n";
  print_report(*rep);
  return 0;
}

int run_repair(const std::string& data_dir) {
  auto rep = storage::repair_data_dir(data_dir);
  if (!rep)
    return fail("repair", rep.error());
  std::cout << "repaired; what it kept:\n";
  print_report(*rep);
  return 0;
}

int run_archive(const std::string& data_dir, const std::string& before, const std::string& file) {
  model::timestamp cutoff;
  if (auto at = model::parse_rfc3339(before)) {
    cutoff = *at;
  } else if (auto back = model::parse_duration(before); back && back->count() > 0) {
    cutoff =
      model::clock::system().now() - std::chrono::duration_cast<std::chrono::nanoseconds>(*back);
  } else {
    std::cerr << "vigil archive: --before: \"" << before
              << "\" is neither a duration back from now (90d) nor an RFC 3339 time\n";
    return 2;
  }
  if (file.empty()) {
    std::cerr << "vigil archive: --to: a file name is required\n";
    return 2;
  }
  auto db = storage::database::open({data_dir, model::wal_recovery_mode::point_in_time, false});
  if (!db)
    return fail("archive", db.error());
  storage::workflow_store store{**db, model::sync_policy::always};
  auto n = storage::archive_runs(store, cutoff, file);
  store.close();
  if (!n)
    return fail("archive", n.error());
  if (auto err = (*db)->mark_clean_shutdown())
    return fail("archive", err);
  std::cout << "archived " << *n << " finished runs created before "
            << model::format_rfc3339(cutoff) << " to " << file << "\n";
  return 0;
}

} // namespace vigil::app
