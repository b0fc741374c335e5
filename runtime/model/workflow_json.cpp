#include "runtime/model/workflow_json.hpp"

#include "runtime/model/time_json.hpp"

namespace vigil::model {

void write_workflow_json(json_writer& w, const workflow_record& r, bool with_steps) {
  w.begin_object();
  // `runbook` is the file, relative to the repository, as `execute` names it (so that
  // `$REPO/$(jq -r .runbook)` opens it); the runbook's own `name` is `runbook_name`.
  const auto& file = r.runbook_path.empty() ? r.runbook : r.runbook_path;
  w.field("id", r.id).field("runbook", file).field("runbook_name", r.runbook);
  w.field("runbook_path", file);
  w.field("runbook_sha256", r.runbook_sha256);
  // A cancel or kill under way (the command is being stopped) reads `cancelling`.
  const bool cancelling = r.cancel_requested && !is_terminal(r.state);
  w.field("status", cancelling ? std::string_view{"cancelling"} : to_string(r.state));
  w.field("reason", r.reason);
  write_time(w, "created_at", r.created_at);
  write_time(w, "started_at", r.started_at);
  write_time(w, "updated_at", r.updated_at);
  write_time(w, "finished_at", r.finished_at);
  w.key("current_step");
  if (r.current_step < r.steps.size())
    w.value(r.steps[r.current_step].name);
  else
    w.null();
  w.key("error");
  if (r.error.empty())
    w.null();
  else
    w.value(r.error);
  w.key("parameters").begin_object();
  for (const auto& [k, v] : r.params)
    w.field(k, v);
  w.end_object();
  w.key("event_id");
  if (r.event_seq == 0)
    w.null();
  else
    w.value(r.trigger.id);
  w.field("fingerprint", fingerprint_hex(r.trigger.fingerprint));
  w.field("resolved", r.resolved).field("attempts", r.total_attempts);
  if (!r.gate_step.empty())
    w.field("gate", r.gate_step);
  if (!r.decided_by.empty())
    w.field("decided_by", r.decided_by);
  if (!r.concurrency_key.empty())
    w.field("concurrency_key", r.concurrency_key);
  if (with_steps) {
    w.key("steps").begin_array();
    for (const auto& s : r.steps) {
      w.begin_object();
      w.field("name", s.name).field("status", to_string(s.status)).field("attempts", s.attempts);
      w.field("exit_code", static_cast<int64_t>(s.exit_code)).field("output", s.output);
      w.field("error", s.error);
      write_time(w, "started_at", s.started_at);
      write_time(w, "finished_at", s.finished_at);
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
}

void write_log_entry_json(json_writer& w, const workflow_log_entry& e) {
  w.begin_object();
  w.field("seq", e.seq);
  write_time(w, "timestamp", e.at);
  w.field("kind", e.kind);
  if (!e.step.empty())
    w.field("step", e.step);
  if (e.attempt > 0)
    w.field("attempt", e.attempt);
  w.field("message", e.message);
  w.end_object();
}

} // namespace vigil::model
