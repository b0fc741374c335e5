#include "actors/run_render.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "runtime/model/json_writer.hpp"

namespace vigil::actors {

namespace {

void write_param(model::json_writer& w, const runbook::param_value& v,
                 const runbook::render_context& ctx,
                 runbook::template_string::value_encoder encode = nullptr) {
  using kind = runbook::param_value::kind;
  switch (v.type) {
    case kind::string:
      w.value(encode != nullptr ? v.text.render(ctx, encode) : v.text.render(ctx));
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

/// True when the http action's params say `raw_path: true` (a literal, not a template).
bool wants_raw_path(const runbook::param_value& params) {
  auto it = std::find_if(params.fields.begin(), params.fields.end(),
                         [](const auto& field) { return field.first == "raw_path"; });
  return it != params.fields.end() && it->second.type == runbook::param_value::kind::boolean
         && it->second.text.is_literal() && it->second.text.source() == "true";
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

void encode_path_value(std::string_view value, std::string& out) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (const unsigned char c : value) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                            || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
                            || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
}

std::string render_params_json(const runbook::action& act, const runbook::render_context& ctx) {
  const auto& params = act.params;
  model::json_writer w;
  if (act.kind != runbook::action_kind::http || params.type != runbook::param_value::kind::map
      || wants_raw_path(params)) {
    write_param(w, params, ctx);
    return std::move(w).str();
  }
  w.begin_object();
  for (const auto& [k, item] : params.fields) {
    w.key(k);
    write_param(w, item, ctx, k == "path" ? &encode_path_value : nullptr);
  }
  w.end_object();
  return std::move(w).str();
}

} // namespace vigil::actors
