#include "actors/run_render.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "runtime/model/json_writer.hpp"

namespace vigil::actors {

namespace {

void write_param(model::json_writer& w, const runbook::param_value& v,
                 const runbook::render_context& ctx) {
  using kind = runbook::param_value::kind;
  switch (v.type) {
    case kind::string:
      w.value(v.text.render(ctx));
      return;
    case kind::number: {
      const auto text = v.text.render(ctx);
      char* end = nullptr;
      errno = 0;
      const double d = std::strtod(text.c_str(), &end);
      // A number position whose template rendered something else stays a string.
      if (!text.empty() && end == text.c_str() + text.size() && errno == 0 && std::isfinite(d))
        w.value(d);
      else
        w.value(text);
      return;
    }
    case kind::boolean: {
      const auto text = v.text.render(ctx);
      if (text == "true" || text == "false")
        w.value(text == "true");
      else
        w.value(text);
      return;
    }
    case kind::null:
      w.null();
      return;
    case kind::list:
      w.begin_array();
      for (const auto& item : v.items)
        write_param(w, item, ctx);
      w.end_array();
      return;
    case kind::map:
      w.begin_object();
      for (const auto& [k, item] : v.fields) {
        w.key(k);
        write_param(w, item, ctx);
      }
      w.end_object();
      return;
  }
}

} // namespace

run_view::run_view(const model::workflow_record& rec) : rec_(rec) {
  for (const auto& s : rec.steps)
    steps_[s.name] = runbook::step_view{s.output, std::string{model::to_string(s.status)}};
}

runbook::render_context run_view::context() const {
  runbook::render_context ctx;
  ctx.event = &rec_.trigger;
  ctx.params = &rec_.params;
  ctx.steps = &steps_;
  ctx.workflow_id = rec_.id;
  return ctx;
}

std::vector<std::string> render_argv(const runbook::action& act,
                                     const runbook::render_context& ctx) {
  std::vector<std::string> argv;
  argv.reserve(act.command.size());
  for (const auto& t : act.command)
    argv.push_back(t.render(ctx));
  return argv;
}

std::vector<std::pair<std::string, std::string>> render_env(const runbook::action& act,
                                                            const runbook::render_context& ctx) {
  std::vector<std::pair<std::string, std::string>> env;
  env.reserve(act.env.size());
  for (const auto& [k, t] : act.env)
    env.emplace_back(k, t.render(ctx));
  return env;
}

std::string render_params_json(const runbook::param_value& params,
                               const runbook::render_context& ctx) {
  model::json_writer w;
  write_param(w, params, ctx);
  return std::move(w).str();
}

} // namespace vigil::actors
