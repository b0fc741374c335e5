#include "runtime/app/storage_commands.hpp"

#include <iostream>

#include "runtime/model/errc.hpp"
#include "storage/backup.hpp"

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

} // namespace vigil::app
