#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/model/diagnostic.hpp"
#include "runtime/model/event.hpp"

namespace re2 {
class RE2;
}

namespace vigil::runbook {

using std::chrono::milliseconds;

// -- templates ------------------------------------------------------------------------------

/// Output of an earlier step, as templates see it (`{{ steps.NAME.output }}`).
struct step_view {
  std::string output;
  std::string status; ///< succeeded | failed | skipped | ...
};

/// The values a template can read. Every pointer may be null (the value then renders empty);
/// nothing here is owned.
struct render_context {
  const model::event* event = nullptr;                        ///< labels, annotations, event.*
  const std::map<std::string, std::string>* params = nullptr; ///< params.*
  const std::map<std::string, step_view>* steps = nullptr;    ///< steps.NAME.*
  std::string_view workflow_id;                               ///< workflow.id
};

/// A text with `{{ path }}` placeholders, parsed once when the runbook loads. Rendering
/// substitutes values as data: the result is one string (one argv element, one JSON string),
/// never re-parsed and never given to a shell. Allowed paths: `labels.K`, `annotations.K`,
/// `event.id|severity|source|type|status|fingerprint|metric_name|value`, `fingerprint`,
/// `params.K`, `steps.NAME.output|status`, `workflow.id`.
class template_string {
public:
  /// One literal piece or one placeholder path (e.g. `labels.instance`).
  struct segment {
    bool placeholder = false;
    std::string text;
  };

  template_string() = default;

  /// Parses `source`; on failure returns nullopt and sets `error` (e.g. "unclosed {{").
  static std::optional<template_string> parse(std::string_view source, std::string& error);

  /// A template with no placeholders.
  static template_string literal(std::string text);

  /// Renders with the values of `ctx`; a missing label or parameter renders as empty text.
  [[nodiscard]] std::string render(const render_context& ctx) const;

  /// Appends `value` to `out` transformed for where it lands (e.g. percent-encoded).
  using value_encoder = void (*)(std::string_view value, std::string& out);

  /// Renders as above, passing each substituted value (never the literal text) through
  /// `encode`: a URL path keeps its shape whatever the event holds.
  [[nodiscard]] std::string render(const render_context& ctx, value_encoder encode) const;

  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  [[nodiscard]] const std::vector<segment>& segments() const noexcept { return segments_; }
  [[nodiscard]] bool is_literal() const noexcept;

private:
  std::string source_;
  std::vector<segment> segments_;
};

/// A structured parameter tree (an integration step's `params`, an HTTP `body`): YAML maps,
/// lists and scalars, each scalar a template. Rendered to JSON with every string value a
/// JSON string (templates cannot inject structure).
struct param_value {
  enum class kind : uint8_t { string, number, boolean, null, list, map };
  param_value::kind type = kind::null;
  template_string text;                                    ///< string / number / boolean text
  std::vector<param_value> items;                          ///< list
  std::vector<std::pair<std::string, param_value>> fields; ///< map, in file order

  /// The field `name` of a map, or nullptr.
  [[nodiscard]] const param_value* field(std::string_view name) const noexcept;
};

// -- steps ----------------------------------------------------------------------------------

/// What a step does.
enum class action_kind : uint8_t {
  exec,                 ///< run a command (argv, never a shell)
  wait,                 ///< sleep `duration`; `until: resolved` ends early on resolve
  approval,             ///< gate: awaiting_gate until approved, rejected or timed out
  log,                  ///< write `message` to the run's log
  noop,                 ///< nothing
  http,                 ///< integration call (integrations issue)
  pagerduty,            ///< integration call
  slack,                ///< integration call
  alertmanager_silence, ///< integration call
  prometheus_query,     ///< integration call
};

[[nodiscard]] std::string_view to_string(action_kind k) noexcept;
[[nodiscard]] std::optional<action_kind> parse_action_kind(std::string_view s) noexcept;

/// True for the actions that call an integration (they need `integration:`).
[[nodiscard]] bool calls_integration(action_kind k) noexcept;

/// What to do when a step has failed for good (its retries are spent).
enum class failure_strategy : uint8_t {
  fail,     ///< the run ends `failed`
  retry,    ///< retry per the step's `retry` (then needs_human with reason retries_exhausted)
  rollback, ///< run the completed steps' `rollback` actions in reverse, then `failed`
  skip,     ///< mark the step skipped and go on
  manual,   ///< stop as `needs_human` (resumable)
  escalate, ///< `needs_human` plus the runbook's `escalation` action, if any
};

[[nodiscard]] std::string_view to_string(failure_strategy s) noexcept;
[[nodiscard]] std::optional<failure_strategy> parse_failure_strategy(std::string_view s) noexcept;

/// Which failures a retry applies to.
enum retry_on_bits : uint8_t {
  retry_on_error = 1,
  retry_on_timeout = 2,
  retry_on_rate_limited = 4,
};

/// Exponential backoff with jitter: attempt n waits `min(max, initial * multiplier^(n-1))`,
/// less a random share of up to `jitter` of it (jitter 1 is full jitter).
struct retry_policy {
  uint32_t attempts = 1; ///< total attempts, the first included
  milliseconds initial{1000};
  milliseconds max{30'000};
  double multiplier = 2.0;
  double jitter = 1.0;
  uint8_t retry_on = retry_on_error | retry_on_timeout | retry_on_rate_limited;
};

/// One action with its arguments (a step's body, a rollback, the escalation).
struct action {
  action_kind kind = action_kind::noop;
  std::vector<template_string> command;       ///< exec: argv
  std::map<std::string, template_string> env; ///< exec: extra environment
  milliseconds timeout{0};                    ///< 0: the step's or the default
  milliseconds duration{0};                   ///< wait
  bool until_resolved = false;                ///< wait: end early on resolve
  template_string message;                    ///< log
  std::string integration;                    ///< integration actions: its name
  param_value params;                         ///< integration actions: arguments
};

/// One step of a runbook.
struct step {
  std::string name;
  runbook::action action;
  milliseconds timeout{0}; ///< 0: the action's default (exec: 5m)
  retry_policy retry;
  std::optional<failure_strategy> on_failure; ///< unset: the runbook's
  std::optional<runbook::action> rollback;    ///< undo, run by the rollback strategy
  int line = 0;                               ///< where it is declared (for messages)
};

// -- triggers -------------------------------------------------------------------------------

/// Which alert statuses a trigger accepts.
enum class status_filter : uint8_t { firing, resolved, any };

/// One `match:` condition on a label (or, for gt/gte/lt/lte and `value`, the metric value).
struct condition {
  enum class op : uint8_t { eq, ne, in, not_in, regex, exists, gt, gte, lt, lte };
  std::string key; ///< label name, or `value`, `metric_name`, `severity`, `source`
  condition::op operation = op::eq;
  std::string text;                      ///< eq, ne
  std::vector<std::string> values;       ///< in, not_in
  double number = 0;                     ///< gt, gte, lt, lte
  bool exists = true;                    ///< exists
  std::shared_ptr<const re2::RE2> regex; ///< regex (full match)

  /// True when `e` satisfies the condition.
  [[nodiscard]] bool holds(const model::event& e) const;
};

/// When a runbook runs: every field must hold (an unset field holds for all events).
struct trigger {
  std::optional<model::event_type> type;
  status_filter status = status_filter::firing;
  std::vector<std::pair<std::string, std::string>> labels; ///< exact label matches
  std::vector<condition> match;

  /// True when `e` satisfies the whole trigger.
  [[nodiscard]] bool matches(const model::event& e) const;
};

enum class concurrency_policy : uint8_t { skip, queue, replace };

[[nodiscard]] std::string_view to_string(concurrency_policy p) noexcept;

/// Runs sharing a rendered `key` are limited to `max` at once; the policy says what an
/// extra one does: skip (start nothing), queue (wait its turn), replace (cancel the oldest).
struct concurrency {
  std::optional<template_string> key;
  concurrency_policy policy = concurrency_policy::skip;
  uint32_t max = 1;
};

/// Caps on one run, across all its steps and attempts (0: unlimited).
struct budget {
  uint32_t max_attempts = 0;
  milliseconds max_duration{0};
};

/// A runbook as loaded and validated. Immutable once loaded and shared by pointer: a run keeps
/// the version it started with, whatever reloads happen meanwhile.
struct runbook {
  std::string name;
  std::string description;
  std::string category;
  bool enabled = true;
  std::vector<vigil::runbook::trigger> triggers;
  vigil::runbook::concurrency concurrency;
  milliseconds dedup_window{0}; ///< 0: only while a run is active
  milliseconds timeout{0};      ///< whole run; 0: engine.workflow_execution.timeout
  vigil::runbook::budget budget;
  failure_strategy on_failure = failure_strategy::fail;
  std::optional<vigil::runbook::action> escalation;
  std::map<std::string, std::string> parameters; ///< declared `params` and their defaults
  std::vector<step> steps;

  std::string path;   ///< path relative to the repository (`remediation/high-memory.yaml`)
  std::string source; ///< the YAML text it was loaded from
  std::string sha256; ///< hex digest of `source`

  /// Index of the step named `name`, or -1.
  [[nodiscard]] int step_index(std::string_view name) const noexcept;
};

using runbook_ptr = std::shared_ptr<const runbook>;

// -- loading --------------------------------------------------------------------------------

/// Names of the configured integrations (steps may only name these).
using integration_names = std::vector<std::string>;

/// In an `integration_names` list, stands for every name (`vigil validate` without a config).
inline constexpr std::string_view any_integration = "*";

/// Loads and validates one runbook from YAML text. `origin` names it in diagnostics; `path`
/// is recorded as the runbook's path. Every problem is reported with file, line:column and
/// key path; the runbook is returned only when there are none.
[[nodiscard]] model::expected_or_diagnostics<runbook>
load_runbook_text(const std::string& text, const std::string& origin, const std::string& path,
                  const integration_names& integrations);

/// Same, from a file.
[[nodiscard]] model::expected_or_diagnostics<runbook>
load_runbook_file(const std::string& file, const std::string& path,
                  const integration_names& integrations);

/// The valid runbooks of a folder and the problems of the invalid ones.
struct repository_report {
  std::vector<runbook_ptr> runbooks;
  model::diagnostics errors;
  std::size_t files = 0;
  /// The files that failed, by path relative to the repository, with their problems.
  std::map<std::string, model::diagnostics> rejected;
};

/// Loads every `*.yaml` / `*.yml` under `dir` (recursively, sorted by path). A file that fails
/// validation is left out; the others load. Two runbooks with one name: the second is an error.
[[nodiscard]] repository_report load_repository(const std::string& dir,
                                                const integration_names& integrations);

/// Hex SHA-256 of `text`.
[[nodiscard]] std::string sha256_hex(std::string_view text);

} // namespace vigil::runbook
