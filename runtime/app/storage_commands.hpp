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

/// `vigil archive --data DIR --before 90d|RFC3339 --to FILE`: writes the finished runs created
/// before then to FILE as NDJSON (synced), then removes them from the data directory. For a
/// stopped server (a running one answers `POST /api/admin/archive-workflows?before=90d`).
/// Exit 0 with the count, 1 on failure, 2 on a bad `--before`.
int run_archive(const std::string& data_dir, const std::string& before, const std::string& file);

} // namespace vigil::app
