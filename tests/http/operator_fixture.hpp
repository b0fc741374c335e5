#pragma once

// A Vigil started in-process on an ephemeral loopback port, with its own RocksDB and runbook
// repository in a temp dir, and the helpers the operator-API tests share: authenticated
// requests, a small JSON reader over the answers and bounded polling.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/app/application.hpp"
#include "runtime/model/config.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::test {

/// One parsed JSON answer. Values are looked up by JSON pointer (`/workers/0/id`); a missing
/// value or one of another type is nullopt. Owns its parser: cheap enough for tests.
class json_answer {
public:
  explicit json_answer(const std::string& text);
  ~json_answer();
  json_answer(json_answer&&) noexcept;
  json_answer& operator=(json_answer&&) noexcept;

  /// True when the text was one JSON document.
  [[nodiscard]] bool valid() const noexcept;

  [[nodiscard]] std::optional<std::string> text(std::string_view pointer) const;
  [[nodiscard]] std::optional<int64_t> integer(std::string_view pointer) const;
  [[nodiscard]] std::optional<bool> boolean(std::string_view pointer) const;
  /// Elements of an array or members of an object.
  [[nodiscard]] std::optional<std::size_t> size(std::string_view pointer) const;
  /// True when the pointer names a value (of any type, null too).
  [[nodiscard]] bool has(std::string_view pointer) const;
  /// `field` of every object in the array at `pointer` (objects without it are skipped).
  [[nodiscard]] std::vector<std::string> texts(std::string_view pointer,
                                               std::string_view field) const;
  /// The members of the object at `pointer` whose values are whole numbers.
  [[nodiscard]] std::map<std::string, int64_t> counts(std::string_view pointer) const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Token values the auth tests configure (each at least 16 characters, as config files need).
inline const std::string ops_token = "ops-token-7f3a9c2e51b84d06";
inline const std::string ingest_token = "ingest-token-0b1c2d3e4f5a6978";
inline const std::string read_token = "reader-token-a1b2c3d4e5f60718";
inline const std::string operate_token = "operator-token-99887766554433";

/// The four tokens above: `ops` (every scope), `ingester`, `reader`, `operator`.
[[nodiscard]] std::vector<model::auth_token> operator_tokens();

/// Counts occurrences of `needle` in `text`.
[[nodiscard]] std::size_t occurrences(const std::string& text, const std::string& needle);

/// Calls `done` until it is true or `limit` has passed, re-checking every few milliseconds;
/// true when it became true.
bool eventually(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::seconds{15});

/// A runbook that only logs, triggered by alerts named `alertname`.
[[nodiscard]] std::string log_runbook(const std::string& name, const std::string& alertname,
                                      const std::string& category = "test",
                                      const std::string& description = "logs a line");

/// An alert event for `alertname` with an `instance` label.
[[nodiscard]] std::string alert_json(const std::string& alertname, const std::string& instance,
                                     const std::string& severity = "warning",
                                     const std::string& source = "prometheus");

/// The fixture: `start()` brings Vigil up with `config()` (tweak it first); requests go over
/// one keep-alive client. The runbook repository is `repo()`.
class operator_fixture : public ::testing::Test {
protected:
  operator_fixture();
  ~operator_fixture() override;

  /// The config `start()` uses: loopback port 0, storage and runbooks in the temp dir.
  model::config& config() noexcept { return cfg_; }

  /// Starts the application (on `clk` when given); fails the test when it does not start.
  void start(const model::clock* clk = nullptr);

  /// Stops the application (also done by the destructor).
  void stop();

  [[nodiscard]] const std::string& repo() const noexcept { return repo_; }
  [[nodiscard]] temp_dir& dir() noexcept { return dir_; }
  [[nodiscard]] app::application& app() { return *app_; }

  /// Writes a runbook file (path relative to the repository; folders are created).
  void write_runbook(const std::string& relative, const std::string& yaml);

  /// A request; `token` empty sends no Authorization header.
  http_result get(const std::string& target, const std::string& token = {});
  http_result post(const std::string& target, const std::string& body,
                   const std::string& token = {},
                   const std::string& content_type = "application/json");
  http_result send(const std::string& method, const std::string& target, const std::string& body,
                   const std::string& token = {},
                   const std::string& content_type = "application/json");

  /// GET `target`, parsed (expects 200).
  json_answer get_json(const std::string& target, const std::string& token = {});

  /// Ids of the workflow runs the API lists.
  std::vector<std::string> workflow_ids();

  /// Number of events the log holds in `state` (accepted, dispatched, drained, quarantined).
  std::size_t events_in_state(const std::string& state);

  /// Waits until the run `id` reaches `status`; false on timeout.
  bool wait_for_workflow(const std::string& id, const std::string& status);

private:
  temp_dir dir_;
  std::string repo_;
  model::config cfg_;
  std::unique_ptr<app::application> app_;
  std::unique_ptr<http_client> client_;
};

/// Success when `r` is the JSON error answer `{"error": code, "message", "details": [...]}`
/// with `status` and, when `field` is given, a detail and the message name that field.
testing::AssertionResult is_error(const http_result& r, int status, const std::string& code,
                                  const std::string& field = {});

} // namespace vigil::test
