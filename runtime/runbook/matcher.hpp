#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/runbook/runbook.hpp"

namespace vigil::runbook {

/// Finds the runbooks whose triggers an event satisfies. Triggers are indexed by event type,
/// status and `alertname` (when a trigger requires one), so an event is checked only against
/// the triggers that could match it; the rest (labels, conditions) are checked per candidate.
/// Immutable after construction: share it between dispatchers and replace it on reload.
class matcher {
public:
  explicit matcher(std::vector<runbook_ptr> runbooks);

  /// Appends to `out` every enabled runbook `e` triggers, each once, in load order.
  void match(const model::event& e, std::vector<const runbook*>& out) const;

  /// Every runbook (enabled or not), in load order.
  [[nodiscard]] const std::vector<runbook_ptr>& runbooks() const noexcept { return runbooks_; }

  /// The runbook named `name` or with path `name`, or nullptr.
  [[nodiscard]] runbook_ptr find(std::string_view name) const;

private:
  struct entry {
    const runbook* book;
    const trigger* trig;
    std::size_t order; ///< index of the runbook, for load order and de-duplication
  };

  std::vector<runbook_ptr> runbooks_;
  /// By event type and status, then by required alertname (none for triggers that require
  /// none); keys are built in matcher.cpp.
  std::unordered_map<std::string, std::vector<entry>> by_type_and_alertname_;
};

} // namespace vigil::runbook
