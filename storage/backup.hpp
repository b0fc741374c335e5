#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <caf/expected.hpp>

namespace vigil::storage {

/// What a backup holds: keys per column family and a digest of every key and value in order.
struct backup_report {
  std::string path;
  std::map<std::string, uint64_t> keys; ///< column family → keys
  uint64_t bytes = 0;                   ///< keys + values
  uint64_t digest = 0;                  ///< XXH3 over every (family, key, value), in order

  [[nodiscard]] uint64_t total_keys() const;
};

/// Copies the data directory `data_dir` into a new data directory `target` (which must not
/// exist or be empty), also while a `vigil serve` owns `data_dir`: the source is read as a
/// RocksDB secondary instance, a consistent view as of the moment it caught up with the
/// server's writes. The copy is then opened again and compared with what was read (keys per
/// family and the digest); a mismatch is an error. `target` is itself a data directory that
/// `vigil serve --data` can open (after `vigil restore`, or directly).
[[nodiscard]] caf::expected<backup_report> backup_data_dir(const std::string& data_dir,
                                                           const std::string& target);

/// Reads a backup (or any data directory not in use) and reports what it holds.
[[nodiscard]] caf::expected<backup_report> inspect_data_dir(const std::string& dir);

/// Restores `backup` into `data_dir`: refuses a non-empty `data_dir` unless `force` (then its
/// contents are replaced) and a `data_dir` that a live Vigil owns; verifies the result.
[[nodiscard]] caf::expected<backup_report>
restore_data_dir(const std::string& backup, const std::string& data_dir, bool force);

/// Runs RocksDB's repair on a damaged data directory (not in use) and reports what it kept.
[[nodiscard]] caf::expected<backup_report> repair_data_dir(const std::string& data_dir);

} // namespace vigil::storage
