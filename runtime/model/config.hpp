#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/model/diagnostic.hpp"

namespace vigil::model {

/// How the event log makes a group of writes durable before answering 202.
enum class sync_policy : uint8_t {
  always, ///< fsync every group
  batch,  ///< fsync every group; the next group forms while the previous fsync runs
  none,   ///< no fsync: the last writes are lost on power loss (not on a process crash)
};

/// RocksDB WAL recovery mode on open.
enum class wal_recovery_mode : uint8_t {
  point_in_time,
  absolute_consistency,
  tolerate_corrupted_tail
};

/// `host:port` to listen on or connect to.
struct endpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 9000;

  [[nodiscard]] std::string to_string() const { return host + ":" + std::to_string(port); }
};

/// Parses `host:port` (port 0 means "pick one"); nullopt when malformed.
[[nodiscard]] std::optional<endpoint> parse_endpoint(std::string_view text);

struct server_config {
  endpoint listen;
  uint32_t io_threads = 2;
  uint64_t max_body_bytes = 8 * 1024 * 1024;
  uint32_t max_connections = 1024;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  /// Listen beyond loopback without auth tokens (`--insecure`; never from the file).
  bool insecure = false;
};

/// One API bearer token.
struct auth_token {
  std::string name;
  std::string token;
  std::vector<std::string> scopes; ///< ingest | read | operate | admin
};

struct auth_config {
  std::vector<auth_token> tokens;
};

struct event_processing_config {
  uint32_t workers = 4;
  uint32_t queue_size = 10'000;
  uint32_t batch_size = 100;
  uint32_t max_attempts = 3;
};

struct workflow_execution_config {
  uint32_t max_concurrent = 20;
  std::chrono::milliseconds timeout{600'000};
  uint32_t retry_attempts = 3;
};

struct engine_config {
  event_processing_config event_processing;
  workflow_execution_config workflow_execution;
};

struct retention_config {
  std::chrono::milliseconds workflows{7 * 86'400'000LL};
  std::chrono::milliseconds events{3 * 86'400'000LL};
};

struct storage_config {
  std::string path = "./data";
  sync_policy sync = sync_policy::batch;
  std::chrono::milliseconds dedup_window{86'400'000};
  wal_recovery_mode wal_recovery = wal_recovery_mode::point_in_time;
  retention_config retention;
  /// Writes stop (ingest answers 503) while the data directory's filesystem has less free
  /// space than this, and resume by themselves when it has more: RocksDB needs room to flush
  /// its memtables, and its recovery from a write that ran out of space is not safe.
  uint64_t min_free_bytes = 256ULL << 20;
  /// RocksDB's block cache, shared by every column family, index and filter blocks included.
  uint64_t cache_bytes = 64ULL << 20;
  /// All memtables together; past it the largest is flushed.
  uint64_t memtable_bytes = 128ULL << 20;
};

struct circuit_breaker_config {
  uint32_t failure_threshold = 5;
  std::chrono::milliseconds window{60'000};
  double failure_rate = 0.5;
  uint32_t min_calls = 20;
  std::chrono::milliseconds cooldown{60'000};
  std::chrono::milliseconds max_cooldown{600'000};
  uint32_t half_open_probes = 1;
};

struct rate_limit_config {
  double per_second = 0; ///< 0: unlimited
  uint32_t burst = 0;
};

struct health_check_config {
  std::string path; ///< empty: the type's default
  std::chrono::milliseconds interval{30'000};
};

/// One configured integration (`integrations.NAME`).
struct integration_config {
  std::string name;
  std::string type; ///< http | pagerduty | slack | alertmanager | prometheus
  std::string url;
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds connect_timeout{3'000};
  std::map<std::string, std::string> headers;
  std::string routing_key;  ///< secret (pagerduty)
  std::string webhook_url;  ///< secret (slack)
  std::string api_key;      ///< secret
  std::string bearer_token; ///< secret
  std::chrono::milliseconds scrape_interval{15'000};
  bool enabled = true;
  bool follow_redirects = false;
  circuit_breaker_config circuit_breaker;
  uint32_t max_in_flight = 32;
  rate_limit_config rate_limit;
  health_check_config health;
};

/// The setting `cfg` needs for its type and lacks, as `what is unset` (`routing_key is unset`);
/// empty when it has all it needs. Such an integration exists, reads `configured: false`, is
/// not probed, and its calls fail with this reason.
[[nodiscard]] std::string missing_setting(const integration_config& cfg);

struct runbooks_config {
  std::string repository = "./configs/runbooks";
  bool auto_reload = true;
  std::string validation = "strict"; ///< strict | warn
};

struct cluster_config {
  std::string mode = "standalone"; ///< standalone | nats
  std::string nats_url;
};

struct logging_config {
  std::string level = "info";
  std::string format = "json"; ///< json | text
};

/// The whole `vigil.yaml`.
struct config {
  server_config server;
  auth_config auth;
  engine_config engine;
  storage_config storage;
  std::vector<integration_config> integrations;
  runbooks_config runbooks;
  cluster_config cluster;
  logging_config logging;
  /// The file it was read from (empty for defaults).
  std::string source_path;
};

/// Reads and validates a config file. Every problem is reported, each with the key path and
/// `line:column`; the config is returned only when there are none.
[[nodiscard]] expected_or_diagnostics<config> load_config_file(const std::string& path,
                                                               env_lookup_fn env = nullptr);

/// Same, from YAML text (`origin` names it in messages).
[[nodiscard]] expected_or_diagnostics<config>
load_config_text(const std::string& text, const std::string& origin, env_lookup_fn env = nullptr);

/// One integration's settings (the body of `integrations.NAME`, YAML or JSON), validated as the
/// config file validates them; `origin` names the text in messages. `${VAR}` is not expanded
/// (`env` nullptr): text from the API must not read the server's environment, where the
/// secrets are.
[[nodiscard]] expected_or_diagnostics<integration_config>
load_integration_text(const std::string& text, const std::string& name, const std::string& origin,
                      env_lookup_fn env = nullptr);

/// An integration after a `PUT /api/integrations/NAME`: what is in force, and the changes to
/// keep (in the database) and lay over the config file's block at every start.
struct integration_patch {
  integration_config merged;
  std::string overrides; ///< JSON: every change so far, `null` for a key reset to its default
};

/// Applies `patch` (a JSON Merge Patch, RFC 7386, in JSON or YAML: the keys given replace those
/// of `base`, maps merge key by key, `null` resets a key to its default) to `base` (nullptr: a
/// new integration), and validates the result as the config file's block would be. `overrides`
/// is the patch kept from earlier changes (empty: none); the answer's `overrides` adds this one.
/// Errors name the key (`integrations.NAME.timeout`).
[[nodiscard]] expected_or_diagnostics<integration_patch>
patch_integration(const integration_config* base, const std::string& overrides,
                  const std::string& patch, const std::string& name, const std::string& origin);

[[nodiscard]] std::string_view to_string(sync_policy x) noexcept;
[[nodiscard]] std::string_view to_string(wal_recovery_mode x) noexcept;

} // namespace vigil::model
