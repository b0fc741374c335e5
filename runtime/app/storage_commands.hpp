#pragma once

#include <string>

namespace vigil::app {

/// `vigil backup --data DIR --to DIR`: copies a data directory, also while a server runs, and
/// verifies the copy. Exit 0 with a summary, 1 on failure.
int run_backup(const std::string& data_dir, const std::string& target);

/// `vigil restore --from DIR --data DIR [--force]`: restores a backup into a data directory
/// (refuses a non-empty one without --force, and one a live Vigil owns). Exit 0 or 1.
int run_restore(const std::string& backup, const std::string& data_dir, bool force);

/// `vigil repair --data DIR`: RocksDB's repair of a damaged data directory; reports what it
/// kept. Exit 0 or 1.
int run_repair(const std::string& data_dir);

} // namespace vigil::app
