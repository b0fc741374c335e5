#pragma once

// What a YAML text must be before Vigil builds a tree from it. yaml-cpp builds aliases as shared
// nodes, so a tree is small while a walk over it (every reader of a runbook or the config) is
// not: a self-referencing anchor never ends and ten levels of nine aliases visit 3.5 billion
// nodes. These checks run on the text and on yaml-cpp's event stream, before any tree exists.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/model/diagnostic.hpp"

namespace vigil::model {

/// Largest YAML text (a runbook file, the config file, a request body holding YAML): 1 MiB.
inline constexpr std::size_t max_yaml_bytes = std::size_t{1} << 20;

/// Most nodes a YAML text may expand to, every alias counted as the nodes it stands for.
inline constexpr uint64_t max_yaml_nodes = 100'000;

/// Deepest nesting of lists and maps in a YAML text.
inline constexpr std::size_t max_yaml_depth = 100;

/// Limits for `check_yaml_text` (the defaults are what Vigil uses; tests lower them).
struct yaml_limits {
  std::size_t max_bytes = max_yaml_bytes;
  uint64_t max_nodes = max_yaml_nodes;
  std::size_t max_depth = max_yaml_depth;
};

/// Checks `text` before a tree is built from it: at most `max_bytes`; UTF-8 (an optional BOM);
/// only characters YAML allows (no NUL, no control character but tab, LF and CR); valid YAML
/// syntax; no scalar holding NUL (a `"\0"` escape); no alias inside the node its anchor names;
/// at most `max_nodes` nodes with aliases expanded; lists and maps nested at most `max_depth` deep.
/// Empty when the text may be loaded, else the first problem with its line and column (1-based;
/// columns count bytes, as yaml-cpp's do). Linear in the size of `text`; `origin` names it in the
/// diagnostic. Thread-safe.
[[nodiscard]] diagnostics check_yaml_text(std::string_view text, const std::string& origin,
                                          const yaml_limits& limits = {});

/// Reads a YAML file whole when it holds at most `max_bytes`; a larger one (or one that cannot
/// be read) is refused with one diagnostic, without reading past `max_bytes + 1`.
[[nodiscard]] expected_or_diagnostics<std::string>
read_yaml_file(const std::string& path, std::size_t max_bytes = max_yaml_bytes);

} // namespace vigil::model
