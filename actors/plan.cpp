#include "actors/plan.hpp"

#include "actors/run_render.hpp"
#include "runtime/model/json_writer.hpp"

namespace vigil::actors {

namespace {

/// The record a plan renders against: the parameters and trigger, no step has run.
model::workflow_record dry_record(const runbook::runbook& book,
                                  const std::map<std::string, std::string>& params,
                                  const model::event& trigger) {
  model::workflow_record rec;
  rec.id = "wf-dry-run";
  rec.runbook = book.name;
  rec.params = book.parameters;
  for (const auto& [k, v] : params)
    rec.params[k] = v;
  rec.trigger = trigger;
  for (const auto& s : book.steps) {
    model::step_record sr;
    sr.name = s.name;
    rec.steps.push_back(std::move(sr));
  }
  return rec;
}

void write_action(model::json_writer& w, const runbook::action& a,
                  const runbook::render_context& ctx) {
  w.field("action", runbook::to_string(a.kind));
  switch (a.kind) {
    case runbook::action_kind::exec: {
      w.key("command").begin_array();
      for (const auto& arg : render_argv(a, ctx))
        w.value(arg);
      w.end_array();
      if (!a.env.empty()) {
        w.key("env").begin_object();
        for (const auto& [k, v] : render_env(a, ctx))
          w.field(k, v);
        w.end_object();
      }
      break;
    }
    case runbook::action_kind::wait:
      w.field("duration", model::format_duration(a.duration))
        .field("until_resolved", a.until_resolved);
      break;
    case runbook::action_kind::log:
      w.field("message", a.message.render(ctx));
      break;
    case runbook::action_kind::approval:
    case runbook::action_kind::noop:
      break;
    default:
      w.field("integration", a.integration).key("params").raw(render_params_json(a, ctx));
  }
}

std::string describe_action(const runbook::action& a, const runbook::render_context& ctx) {
  switch (a.kind) {
    case runbook::action_kind::exec: {
      std::string out = "exec";
      for (const auto& arg : render_argv(a, ctx)) {
        std::string quoted;
        model::append_json_string(quoted, arg);
        out += " " + quoted;
      }
      return out;
    }
    case runbook::action_kind::wait:
      return "wait " + model::format_duration(a.duration)
             + (a.until_resolved ? " (until resolved)" : "");
    case runbook::action_kind::log:
      return "log \"" + a.message.render(ctx) + "\"";
    case runbook::action_kind::approval:
      return "approval gate";
    case runbook::action_kind::noop:
      return "noop";
    default:
      return std::string{runbook::to_string(a.kind)} + " via " + a.integration + " "
             + render_params_json(a, ctx);
  }
}

} // namespace

std::string render_plan_json(const runbook::runbook& book,
                             const std::map<std::string, std::string>& params,
                             const model::event& trigger) {
  const auto rec = dry_record(book, params, trigger);
  const run_view view{rec};
  const auto ctx = view.context();
  model::json_writer w;
  w.begin_object().field("dry_run", true).field("runbook", book.name).field("path", book.path);
  w.key("parameters").begin_object();
  for (const auto& [k, v] : rec.params)
    w.field(k, v);
  w.end_object();
  w.key("steps").begin_array();
  for (const auto& s : book.steps) {
    w.begin_object().field("name", s.name);
    write_action(w, s.action, ctx);
    if (s.timeout.count() > 0)
      w.field("timeout", model::format_duration(s.timeout));
    if (s.retry.attempts > 1)
      w.key("retry")
        .begin_object()
        .field("attempts", s.retry.attempts)
        .field("initial", model::format_duration(s.retry.initial))
        .field("max", model::format_duration(s.retry.max))
        .end_object();
    w.field("on_failure", runbook::to_string(s.on_failure.value_or(book.on_failure)));
    if (s.rollback) {
      w.key("rollback").begin_object();
      write_action(w, *s.rollback, ctx);
      w.end_object();
    }
    w.end_object();
  }
  w.end_array().end_object();
  return std::move(w).str();
}

std::string render_plan_text(const runbook::runbook& book,
                             const std::map<std::string, std::string>& params,
                             const model::event& trigger) {
  const auto rec = dry_record(book, params, trigger);
  const run_view view{rec};
  const auto ctx = view.context();
  std::string out =
    "dry run of " + book.name + (book.path.empty() ? "" : " (" + book.path + ")") + "\n";
  if (!rec.params.empty()) {
    out += "parameters:";
    for (const auto& [k, v] : rec.params)
      out += " " + k + "=" + v;
    out += "\n";
  }
  int i = 1;
  for (const auto& s : book.steps) {
    out += std::to_string(i++) + ". " + s.name + ": " + describe_action(s.action, ctx) + "\n";
    if (s.retry.attempts > 1)
      out += "   retry: " + std::to_string(s.retry.attempts) + " attempts\n";
    if (s.rollback)
      out += "   rollback: " + describe_action(*s.rollback, ctx) + "\n";
  }
  out += "on failure: " + std::string{runbook::to_string(book.on_failure)} + "; nothing was run\n";
  return out;
}

} // namespace vigil::actors
