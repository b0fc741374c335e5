#pragma once

// Private to the runbook library: helpers shared by its source files.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <yaml-cpp/node/node.h>

#include "runtime/model/yaml_reader.hpp"
#include "runtime/runbook/runbook.hpp"

namespace vigil::runbook::detail {

/// Formats a metric value as templates and conditions see it (`95`, `0.25`); borrows `buf`.
std::string_view format_number(double v, char (&buf)[64]) noexcept;

/// `NAME` of a `steps.NAME.output` placeholder path; empty for other paths.
std::string_view step_name_of(std::string_view path) noexcept;

/// What the templates written at one place may read.
struct template_scope {
  /// How many of the runbook's steps, from the first, have results there (the earlier ones);
  /// nullopt: no `steps.*` at all.
  std::optional<std::size_t> readable_steps;
  /// Where a step reads: its own name (for a clearer message); empty elsewhere.
  std::string_view self;
};

/// Reads the parts of one runbook document with a `model::yaml_reader`, which reports every
/// problem with its position. Scalars are taken as written: a runbook's `${VAR}` is not
/// expanded from Vigil's environment (runbooks must not be able to read its secrets).
class document_reader {
public:
  document_reader(model::yaml_reader& r, const integration_names& integrations)
    : r_(r), integrations_(integrations) {}

  // -- context --------------------------------------------------------------------------

  /// Names of every step of the runbook, in order (read before the steps themselves); empty
  /// for a step whose name is missing or repeated.
  std::vector<std::string> all_steps;
  /// Index in `all_steps` of each step name, so a lookup does not scan every step.
  std::unordered_map<std::string, std::size_t> step_index;
  /// Declared parameters; when empty, any `params.NAME` is allowed.
  std::map<std::string, std::string> parameters;

  [[nodiscard]] model::yaml_reader& reader() noexcept { return r_; }

  // -- scalars (nullopt after reporting when the node is not what is asked) -------------

  std::optional<std::string> text(const YAML::Node& n, const std::string& path);
  std::optional<bool> boolean(const YAML::Node& n, const std::string& path);
  std::optional<double> number(const YAML::Node& n, const std::string& path, double min,
                               double max);
  std::optional<uint32_t> whole(const YAML::Node& n, const std::string& path, uint32_t min,
                                uint32_t max);
  std::optional<milliseconds> duration(const YAML::Node& n, const std::string& path,
                                       milliseconds min, milliseconds max);
  /// A scalar that must be one of `choices`.
  std::optional<std::string> choice(const YAML::Node& n, const std::string& path,
                                    std::initializer_list<std::string_view> choices);

  /// Parses `source` as a template and checks what it reads against `scope`.
  std::optional<template_string> templ(const YAML::Node& n, const std::string& path,
                                       const std::string& source, const template_scope& scope);
  /// A scalar node read as a template.
  std::optional<template_string> templ(const YAML::Node& n, const std::string& path,
                                       const template_scope& scope);

  /// A YAML tree (an integration's `params`), each scalar a template.
  param_value params(const YAML::Node& n, const std::string& path, const template_scope& scope);

  // -- actions --------------------------------------------------------------------------

  /// One action map: a step (`is_step`, which also has name/retry/on_failure/rollback and
  /// whose `timeout` is the step's) or a rollback / escalation action.
  void action_map(const YAML::Node& n, const std::string& path, bool is_step, action& out,
                  const template_scope& scope);

  /// One step (its index `index` in `steps`).
  std::optional<step> read_step(const YAML::Node& n, std::size_t index);

  /// A step's `retry`.
  retry_policy retry(const YAML::Node& n, const std::string& path);

private:
  void read_command(const YAML::Node& n, const std::string& path, action& out,
                    const template_scope& scope);
  void read_integration(const YAML::Node& n, const std::string& path, action& out);

  model::yaml_reader& r_;
  const integration_names& integrations_;
};

/// Most steps one runbook may have.
inline constexpr std::size_t max_steps = 1000;

/// Longest duration any runbook setting accepts.
inline constexpr milliseconds longest = milliseconds{365LL * 86'400'000};

/// `base[i]`.
std::string index_path(std::string_view base, std::size_t i);

/// Loads one runbook; also reports where its `name` is written (for duplicate names).
model::expected_or_diagnostics<runbook>
load_text(const std::string& text, const std::string& origin, const std::string& path,
          const integration_names& integrations, int* name_line, int* name_column);

} // namespace vigil::runbook::detail
