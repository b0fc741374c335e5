// Names of the runbook enums, and the small accessors of runbook.hpp.

#include "runtime/runbook/runbook.hpp"

#include <array>

namespace vigil::runbook {

namespace {

constexpr std::array<std::pair<action_kind, std::string_view>, 10> action_names{{
  {action_kind::exec, "exec"},
  {action_kind::wait, "wait"},
  {action_kind::approval, "approval"},
  {action_kind::log, "log"},
  {action_kind::noop, "noop"},
  {action_kind::http, "http"},
  {action_kind::pagerduty, "pagerduty"},
  {action_kind::slack, "slack"},
  {action_kind::alertmanager_silence, "alertmanager_silence"},
  {action_kind::prometheus_query, "prometheus_query"},
}};

constexpr std::array<std::pair<failure_strategy, std::string_view>, 6> strategy_names{{
  {failure_strategy::fail, "fail"},
  {failure_strategy::retry, "retry"},
  {failure_strategy::rollback, "rollback"},
  {failure_strategy::skip, "skip"},
  {failure_strategy::manual, "manual"},
  {failure_strategy::escalate, "escalate"},
}};

} // namespace

std::string_view to_string(action_kind k) noexcept {
  for (const auto& [kind, name] : action_names)
    if (kind == k)
      return name;
  return "noop";
}

std::optional<action_kind> parse_action_kind(std::string_view s) noexcept {
  for (const auto& [kind, name] : action_names)
    if (name == s)
      return kind;
  return std::nullopt;
}

bool calls_integration(action_kind k) noexcept {
  switch (k) {
    case action_kind::http:
    case action_kind::pagerduty:
    case action_kind::slack:
    case action_kind::alertmanager_silence:
    case action_kind::prometheus_query:
      return true;
    default:
      return false;
  }
}

std::string_view to_string(failure_strategy s) noexcept {
  for (const auto& [strategy, name] : strategy_names)
    if (strategy == s)
      return name;
  return "fail";
}

std::optional<failure_strategy> parse_failure_strategy(std::string_view s) noexcept {
  for (const auto& [strategy, name] : strategy_names)
    if (name == s)
      return strategy;
  return std::nullopt;
}

std::string_view to_string(concurrency_policy p) noexcept {
  switch (p) {
    case concurrency_policy::skip:
      return "skip";
    case concurrency_policy::queue:
      return "queue";
    case concurrency_policy::replace:
      return "replace";
  }
  return "skip";
}

const param_value* param_value::field(std::string_view name) const noexcept {
  if (type != kind::map)
    return nullptr;
  for (const auto& [key, value] : fields)
    if (key == name)
      return &value;
  return nullptr;
}

int runbook::step_index(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < steps.size(); ++i)
    if (steps[i].name == name)
      return static_cast<int>(i);
  return -1;
}

} // namespace vigil::runbook
