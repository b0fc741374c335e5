// `{{ path }}` templates: parsed once at load, rendered as data (never re-parsed, no shell).

#include <charconv>
#include <cmath>

#include "runtime/runbook/loader_internal.hpp"
#include "runtime/runbook/runbook.hpp"

namespace vigil::runbook {

namespace {

constexpr std::string_view event_fields[] = {"id",     "severity",    "source",      "type",
                                             "status", "fingerprint", "metric_name", "value"};

constexpr std::string_view variables_hint =
  "labels.NAME, annotations.NAME, event.FIELD, fingerprint, params.NAME, "
  "steps.STEP.output, steps.STEP.status or workflow.id";

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.substr(0, prefix.size()) == prefix;
}

/// Checks what a placeholder can name, whatever runbook it is in; the loader checks the rest
/// (earlier steps, declared parameters).
std::optional<std::string> shape_error(std::string_view path) {
  if (path.empty())
    return std::string{"empty placeholder {{ }}: expected "} + std::string{variables_hint};
  if (path == "fingerprint" || path == "workflow.id")
    return std::nullopt;
  for (std::string_view root : {"labels", "annotations", "params"}) {
    if (path == root)
      return "{{ " + std::string{root} + " }} needs a key: {{ " + std::string{root} + ".NAME }}";
    if (starts_with(path, std::string{root} + ".")) {
      auto key = path.substr(root.size() + 1);
      for (char c : key)
        if (is_space(c))
          return "invalid key \"" + std::string{key} + "\" in {{ " + std::string{path} + " }}";
      return std::nullopt;
    }
  }
  if (path == "event" || starts_with(path, "event.")) {
    auto field = path.size() > 6 ? path.substr(6) : std::string_view{};
    for (auto f : event_fields)
      if (f == field)
        return std::nullopt;
    return "unknown event field in {{ " + std::string{path}
           + " }} (expected event.id, event.severity, event.source, event.type, event.status, "
             "event.fingerprint, event.metric_name or event.value)";
  }
  if (path == "steps" || starts_with(path, "steps.")) {
    const auto dot = path.rfind('.');
    const auto field = path.substr(dot + 1);
    if (dot <= 6 || (field != "output" && field != "status"))
      return "{{ " + std::string{path}
             + " }}: expected {{ steps.STEP.output }} or {{ steps.STEP.status }}";
    return std::nullopt;
  }
  if (path == "workflow" || starts_with(path, "workflow."))
    return "unknown template variable \"" + std::string{path} + "\" (workflow.id is the only one)";
  return "unknown template variable \"" + std::string{path} + "\" (expected "
         + std::string{variables_hint} + ")";
}

void append_event_field(const model::event& e, std::string_view field, std::string& out) {
  if (field == "id")
    out += e.id;
  else if (field == "severity")
    out += e.severity;
  else if (field == "source")
    out += e.source;
  else if (field == "type")
    out += model::to_string(e.type);
  else if (field == "status")
    out += model::to_string(e.status);
  else if (field == "fingerprint")
    out += model::fingerprint_hex(e.fingerprint);
  else if (field == "metric_name")
    out += e.metric_name;
  else if (field == "value" && e.value) {
    char buf[64];
    out += detail::format_number(*e.value, buf);
  }
}

/// Appends the value of `path` (already validated) to `out`; unknown values append nothing.
void append_value(std::string_view path, const render_context& ctx, std::string& out) {
  const model::event* e = ctx.event;
  if (starts_with(path, "labels.")) {
    if (e != nullptr)
      if (auto v = e->labels.find(path.substr(7)))
        out += *v;
  } else if (starts_with(path, "annotations.")) {
    if (e != nullptr)
      if (auto v = e->annotations.find(path.substr(12)))
        out += *v;
  } else if (starts_with(path, "event.")) {
    if (e != nullptr)
      append_event_field(*e, path.substr(6), out);
  } else if (path == "fingerprint") {
    if (e != nullptr)
      out += model::fingerprint_hex(e->fingerprint);
  } else if (starts_with(path, "params.")) {
    if (ctx.params != nullptr)
      if (auto it = ctx.params->find(std::string{path.substr(7)}); it != ctx.params->end())
        out += it->second;
  } else if (starts_with(path, "steps.")) {
    if (ctx.steps == nullptr)
      return;
    const auto dot = path.rfind('.');
    auto it = ctx.steps->find(std::string{path.substr(6, dot - 6)});
    if (it == ctx.steps->end())
      return;
    out += path.substr(dot + 1) == "output" ? it->second.output : it->second.status;
  } else if (path == "workflow.id") {
    out += ctx.workflow_id;
  }
}

} // namespace

std::string_view detail::format_number(double v, char (&buf)[64]) noexcept {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    auto r = std::to_chars(buf, buf + sizeof(buf), static_cast<long long>(v));
    return {buf, static_cast<std::size_t>(r.ptr - buf)};
  }
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return {buf, static_cast<std::size_t>(r.ptr - buf)};
}

std::string_view detail::step_name_of(std::string_view path) noexcept {
  if (!starts_with(path, "steps."))
    return {};
  const auto dot = path.rfind('.');
  return dot <= 6 ? std::string_view{} : path.substr(6, dot - 6);
}

std::optional<template_string> template_string::parse(std::string_view source, std::string& error) {
  template_string out;
  out.source_ = std::string{source};
  std::string literal;
  std::size_t pos = 0;
  while (pos < source.size()) {
    const auto open = source.find("{{", pos);
    if (open == std::string_view::npos) {
      literal.append(source.substr(pos));
      break;
    }
    literal.append(source.substr(pos, open - pos));
    const auto close = source.find("}}", open + 2);
    if (close == std::string_view::npos) {
      error = "unclosed {{ (every {{ needs a matching }})";
      return std::nullopt;
    }
    const auto path = trim(source.substr(open + 2, close - open - 2));
    if (auto e = shape_error(path)) {
      error = std::move(*e);
      return std::nullopt;
    }
    if (!literal.empty())
      out.segments_.push_back(segment{false, std::move(literal)});
    literal.clear();
    out.segments_.push_back(segment{true, std::string{path}});
    pos = close + 2;
  }
  if (!literal.empty())
    out.segments_.push_back(segment{false, std::move(literal)});
  return out;
}

template_string template_string::literal(std::string text) {
  template_string out;
  out.source_ = text;
  if (!text.empty())
    out.segments_.push_back(segment{false, std::move(text)});
  return out;
}

bool template_string::is_literal() const noexcept {
  for (const auto& s : segments_)
    if (s.placeholder)
      return false;
  return true;
}

std::string template_string::render(const render_context& ctx) const {
  std::string out;
  for (const auto& s : segments_) {
    if (s.placeholder)
      append_value(s.text, ctx, out);
    else
      out += s.text;
  }
  return out;
}

std::string template_string::render(const render_context& ctx, value_encoder encode) const {
  std::string out;
  std::string value;
  for (const auto& s : segments_) {
    if (s.placeholder) {
      value.clear();
      append_value(s.text, ctx, value);
      encode(value, out);
    } else {
      out += s.text;
    }
  }
  return out;
}

} // namespace vigil::runbook
