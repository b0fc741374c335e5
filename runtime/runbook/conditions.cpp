// Trigger conditions: what an event must carry for a runbook to run (conditions_impl.hpp).

#include "runtime/runbook/conditions_impl.hpp"

namespace vigil::runbook {

bool condition::holds(const model::event& e) const {
  return detail::holds(*this, e, e.labels);
}

bool trigger::matches(const model::event& e) const {
  return detail::matches(*this, e, e.labels);
}

} // namespace vigil::runbook
