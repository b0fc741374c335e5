#include "runtime/model/workflow.hpp"

#include <array>

namespace vigil::model {

namespace {

// Indexed by the enums' values; the order must follow their declarations.
constexpr std::array<std::string_view, 9> workflow_state_names = {
  "pending",     "running",   "waiting", "awaiting_gate", "paused",
  "needs_human", "completed", "failed",  "cancelled",
};

constexpr std::array<std::string_view, 7> step_status_names = {
  "pending", "running", "succeeded", "failed", "skipped", "rolled_back", "cancelled",
};

template <class Enum, std::size_t N>
std::optional<Enum> parse_name(const std::array<std::string_view, N>& names,
                               std::string_view s) noexcept {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == s)
      return static_cast<Enum>(i);
  return std::nullopt;
}

} // namespace

std::string_view to_string(workflow_state s) noexcept {
  const auto i = static_cast<std::size_t>(s);
  return i < workflow_state_names.size() ? workflow_state_names[i] : "pending";
}

std::optional<workflow_state> parse_workflow_state(std::string_view s) noexcept {
  return parse_name<workflow_state>(workflow_state_names, s);
}

std::string_view to_string(step_status s) noexcept {
  const auto i = static_cast<std::size_t>(s);
  return i < step_status_names.size() ? step_status_names[i] : "pending";
}

std::optional<step_status> parse_step_status(std::string_view s) noexcept {
  return parse_name<step_status>(step_status_names, s);
}

bool operator==(const step_record& x, const step_record& y) {
  return x.name == y.name && x.status == y.status && x.attempts == y.attempts
         && x.exit_code == y.exit_code && x.output == y.output && x.error == y.error
         && x.started_at == y.started_at && x.finished_at == y.finished_at;
}

bool operator==(const workflow_record& x, const workflow_record& y) {
  return x.id == y.id && x.runbook == y.runbook && x.runbook_path == y.runbook_path
         && x.runbook_sha256 == y.runbook_sha256 && x.state == y.state && x.reason == y.reason
         && x.error == y.error && x.current_step == y.current_step
         && x.total_attempts == y.total_attempts && x.created_at == y.created_at
         && x.started_at == y.started_at && x.updated_at == y.updated_at
         && x.finished_at == y.finished_at && x.wake_at == y.wake_at && x.params == y.params
         && x.event_seq == y.event_seq && x.trigger == y.trigger && x.resolved == y.resolved
         && x.concurrency_key == y.concurrency_key && x.dry_run == y.dry_run && x.steps == y.steps
         && x.last_failure_hash == y.last_failure_hash && x.same_failures == y.same_failures
         && x.gate_step == y.gate_step && x.decided_by == y.decided_by
         && x.decision_reason == y.decision_reason && x.paused_from == y.paused_from
         && x.cancel_requested == y.cancel_requested && x.rolling_back == y.rolling_back
         && x.rollback_next == y.rollback_next && x.log_seq == y.log_seq;
}

bool operator==(const workflow_log_entry& x, const workflow_log_entry& y) {
  return x.seq == y.seq && x.at == y.at && x.kind == y.kind && x.step == y.step
         && x.attempt == y.attempt && x.message == y.message;
}

std::string make_workflow_id(timestamp at, uint32_t counter) {
  // Milliseconds in the high 48 bits (good until the year 10889), the counter in the low 16:
  // the hex text sorts like the number, so RocksDB's key order is creation order.
  const auto millis = static_cast<uint64_t>(to_unix_nanos(at) / 1'000'000);
  const uint64_t n = (millis << 16) | (counter & 0xffffU);
  static constexpr char digits[] = "0123456789abcdef";
  std::string id = "wf-";
  id.resize(3 + 16);
  for (int i = 15; i >= 0; --i) {
    id[3 + static_cast<std::size_t>(i)] = digits[(n >> (4 * (15 - i))) & 0xf];
  }
  return id;
}

} // namespace vigil::model
