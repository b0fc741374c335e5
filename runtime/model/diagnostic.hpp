#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace vigil::model {

/// Looks up an environment variable for `${VAR}` expansion (nullptr: the process environment).
using env_lookup_fn = std::optional<std::string> (*)(const std::string& name);

/// One problem found in a user-supplied document (config, runbook): where and what.
struct diagnostic {
  std::string file;    ///< file name or origin ("<inline>")
  std::string path;    ///< key path, e.g. `engine.event_processing.workers`
  int line = 0;        ///< 1-based; 0 when unknown
  int column = 0;      ///< 1-based; 0 when unknown
  std::string message; ///< what is wrong, for a human

  /// `file:line:column: path: message`
  [[nodiscard]] std::string to_string() const;
};

using diagnostics = std::vector<diagnostic>;

/// Orders diagnostics by file, line and column, as a reader goes through a document.
void sort_by_position(diagnostics& ds);

/// A value, or every problem that prevented it.
template <class T>
class expected_or_diagnostics {
public:
  expected_or_diagnostics(T value) : state_(std::move(value)) {}
  expected_or_diagnostics(diagnostics errors) : state_(std::move(errors)) {}

  [[nodiscard]] bool ok() const noexcept { return std::holds_alternative<T>(state_); }
  explicit operator bool() const noexcept { return ok(); }

  [[nodiscard]] T& value() & { return std::get<T>(state_); }
  [[nodiscard]] const T& value() const& { return std::get<T>(state_); }
  [[nodiscard]] T&& value() && { return std::get<T>(std::move(state_)); }
  [[nodiscard]] const diagnostics& errors() const& { return std::get<diagnostics>(state_); }

private:
  std::variant<T, diagnostics> state_;
};

} // namespace vigil::model
