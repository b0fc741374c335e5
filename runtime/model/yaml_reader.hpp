#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <yaml-cpp/node/node.h>

#include "runtime/model/diagnostic.hpp"

namespace vigil::model {

/// Strict reader over a yaml-cpp document: every accessor validates the node and records a
/// diagnostic (file, key path, line:column, reason) instead of throwing, so one pass reports
/// every problem. Scalars have `${VAR}` and `${VAR:-default}` expanded from the environment.
/// Not thread-safe; one reader per document.
class yaml_reader {
public:
  yaml_reader(std::string file, env_lookup_fn env);

  // -- diagnostics ---------------------------------------------------------------

  /// Records a problem at `node`'s position.
  void error(const YAML::Node& node, std::string_view path, std::string message);

  /// Records a problem with no usable position.
  void error(std::string_view path, std::string message);

  [[nodiscard]] const diagnostics& errors() const noexcept { return errors_; }
  [[nodiscard]] diagnostics take_errors() { return std::move(errors_); }
  [[nodiscard]] bool ok() const noexcept { return errors_.empty(); }
  [[nodiscard]] const std::string& file() const noexcept { return file_; }

  // -- structure -----------------------------------------------------------------

  /// True when `node` is a map; reports every key not in `allowed` (when given) and keys
  /// that repeat.
  bool expect_map(const YAML::Node& node, std::string_view path,
                  std::initializer_list<std::string_view> allowed);

  /// True when `node` is a map with any keys (repeats still reported).
  bool expect_map(const YAML::Node& node, std::string_view path);

  /// True when `node` is a sequence.
  bool expect_sequence(const YAML::Node& node, std::string_view path);

  // -- scalars (each leaves `out` unchanged when the key is absent or invalid) --------

  /// The expanded text of a scalar node; reports and returns nullopt otherwise.
  std::optional<std::string> scalar(const YAML::Node& node, std::string_view path);

  void read(const YAML::Node& map, std::string_view key, std::string_view path, std::string& out);
  void read(const YAML::Node& map, std::string_view key, std::string_view path, bool& out);
  void read(const YAML::Node& map, std::string_view key, std::string_view path, uint32_t& out,
            uint64_t min, uint64_t max);
  void read(const YAML::Node& map, std::string_view key, std::string_view path, uint64_t& out,
            uint64_t min, uint64_t max);
  void read(const YAML::Node& map, std::string_view key, std::string_view path, double& out,
            double min, double max);
  /// A duration: `30s`, `5m`, `1h`, or a bare number of seconds.
  void read(const YAML::Node& map, std::string_view key, std::string_view path,
            std::chrono::milliseconds& out, std::chrono::milliseconds min,
            std::chrono::milliseconds max);
  /// One of a fixed set of words.
  void read_choice(const YAML::Node& map, std::string_view key, std::string_view path,
                   std::string& out, std::initializer_list<std::string_view> choices);

  /// Parses an unsigned integer scalar (already expanded).
  static std::optional<uint64_t> parse_uint(std::string_view text) noexcept;

  /// Joins a key path: `join("a.b", "c")` is `a.b.c`.
  static std::string join(std::string_view path, std::string_view key);

private:
  /// Expands `${VAR}`; records an error naming a missing variable.
  std::optional<std::string> expand(const YAML::Node& node, std::string_view path,
                                    const std::string& text);

  std::string file_;
  env_lookup_fn env_;
  diagnostics errors_;
};

/// The process environment, for `yaml_reader`.
std::optional<std::string> process_env(const std::string& name);

} // namespace vigil::model
