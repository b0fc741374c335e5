// Typed scalars, templates and parameter trees of one runbook document.

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <yaml-cpp/yaml.h>

#include "runtime/model/time.hpp"
#include "runtime/runbook/loader_internal.hpp"

namespace vigil::runbook::detail {

namespace {

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty())
      out += ", ";
    out += n;
  }
  return out;
}

std::optional<double> parse_double(const std::string& text) {
  if (text.empty())
    return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double d = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno != 0 || !std::isfinite(d))
    return std::nullopt;
  return d;
}

/// True for text that is a JSON number as written (`200`, `-1.5`, `2e3`; not `0x10`, `+1`,
/// `.5`), so a number parameter can be sent exactly as the runbook wrote it.
bool is_json_number(std::string_view s) {
  std::size_t i = 0;
  const auto digits = [&] {
    const auto start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
      ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-')
    ++i;
  if (i < s.size() && s[i] == '0')
    ++i;
  else if (!digits())
    return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits())
      return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-'))
      ++i;
    if (!digits())
      return false;
  }
  return i == s.size();
}

/// `message: {{ x }}` unquoted is a YAML map holding a map, not text.
bool looks_like_unquoted_template(const YAML::Node& n) {
  return n.IsMap() && n.size() == 1 && n.begin()->first.IsMap();
}

} // namespace

std::string index_path(std::string_view base, std::size_t i) {
  std::string out{base};
  out += '[';
  out += std::to_string(i);
  out += ']';
  return out;
}

std::optional<std::string> document_reader::text(const YAML::Node& n, const std::string& path) {
  if (n.IsScalar())
    return n.Scalar();
  if (looks_like_unquoted_template(n)) {
    r_.error(n, path, "a value that starts with {{ must be quoted: \"{{ labels.NAME }}\"");
    return std::nullopt;
  }
  r_.error(n, path, n.IsNull() ? "expected a value, got nothing" : "expected a single value");
  return std::nullopt;
}

std::optional<bool> document_reader::boolean(const YAML::Node& n, const std::string& path) {
  auto v = text(n, path);
  if (!v)
    return std::nullopt;
  if (*v == "true" || *v == "yes" || *v == "on")
    return true;
  if (*v == "false" || *v == "no" || *v == "off")
    return false;
  r_.error(n, path, "expected true or false, got \"" + *v + "\"");
  return std::nullopt;
}

std::optional<double> document_reader::number(const YAML::Node& n, const std::string& path,
                                              double min, double max) {
  auto v = text(n, path);
  if (!v)
    return std::nullopt;
  auto d = parse_double(*v);
  if (!d) {
    r_.error(n, path, "expected a number, got \"" + *v + "\"");
    return std::nullopt;
  }
  if (*d < min || *d > max) {
    char lo[64], hi[64];
    r_.error(n, path,
             "out of range: " + *v + " (allowed " + std::string{format_number(min, lo)} + ".."
               + std::string{format_number(max, hi)} + ")");
    return std::nullopt;
  }
  return d;
}

std::optional<uint32_t> document_reader::whole(const YAML::Node& n, const std::string& path,
                                               uint32_t min, uint32_t max) {
  auto v = text(n, path);
  if (!v)
    return std::nullopt;
  auto x = model::yaml_reader::parse_uint(*v);
  if (!x) {
    r_.error(n, path, "expected a whole number, got \"" + *v + "\"");
    return std::nullopt;
  }
  if (*x < min || *x > max) {
    r_.error(n, path,
             "out of range: " + *v + " (allowed " + std::to_string(min) + ".." + std::to_string(max)
               + ")");
    return std::nullopt;
  }
  return static_cast<uint32_t>(*x);
}

std::optional<milliseconds> document_reader::duration(const YAML::Node& n, const std::string& path,
                                                      milliseconds min, milliseconds max) {
  auto v = text(n, path);
  if (!v)
    return std::nullopt;
  auto d = model::parse_duration(*v);
  if (!d) {
    r_.error(n, path,
             "expected a duration such as 30s, 5m or 1h (or a number of seconds), got \"" + *v
               + "\"");
    return std::nullopt;
  }
  if (*d < min || *d > max) {
    r_.error(n, path,
             "out of range: " + *v + " (allowed " + model::format_duration(min) + ".."
               + model::format_duration(max) + ")");
    return std::nullopt;
  }
  return d;
}

std::optional<std::string>
document_reader::choice(const YAML::Node& n, const std::string& path,
                        std::initializer_list<std::string_view> choices) {
  auto v = text(n, path);
  if (!v)
    return std::nullopt;
  std::string expected;
  for (auto c : choices) {
    if (c == *v)
      return v;
    if (!expected.empty())
      expected += ", ";
    expected += c;
  }
  r_.error(n, path, "\"" + *v + "\" is not one of: " + expected);
  return std::nullopt;
}

std::optional<template_string> document_reader::templ(const YAML::Node& n, const std::string& path,
                                                      const template_scope& scope) {
  auto v = text(n, path);
  if (!v)
    return std::nullopt;
  return templ(n, path, *v, scope);
}

std::optional<template_string> document_reader::templ(const YAML::Node& n, const std::string& path,
                                                      const std::string& source,
                                                      const template_scope& scope) {
  std::string error;
  auto t = template_string::parse(source, error);
  if (!t) {
    r_.error(n, path, std::move(error));
    return std::nullopt;
  }
  bool ok = true;
  for (const auto& seg : t->segments()) {
    if (!seg.placeholder)
      continue;
    const std::string_view p = seg.text;
    const auto shown = "{{ " + seg.text + " }}: ";
    if (const auto step = step_name_of(p); !step.empty()) {
      const auto at = step_index.find(std::string{step});
      if (!scope.readable_steps) {
        r_.error(n, path, shown + "step results do not exist here");
        ok = false;
      } else if (at == step_index.end() || at->second >= *scope.readable_steps) {
        std::string why;
        if (!scope.self.empty() && step == scope.self)
          why = "a step cannot read its own result";
        else if (at != step_index.end())
          why = "step \"" + std::string{step} + "\" runs later; only earlier steps can be read";
        else
          why = "there is no step named \"" + std::string{step} + "\"";
        r_.error(n, path, shown + why);
        ok = false;
      }
    } else if (p.substr(0, 7) == "params." && !parameters.empty()
               && parameters.count(std::string{p.substr(7)}) == 0) {
      std::vector<std::string> declared;
      for (const auto& kv : parameters)
        declared.push_back(kv.first);
      r_.error(n, path,
               shown + "parameter \"" + std::string{p.substr(7)}
                 + "\" is not declared under parameters (declared: " + join_names(declared) + ")");
      ok = false;
    }
  }
  if (!ok)
    return std::nullopt;
  return t;
}

param_value document_reader::params(const YAML::Node& n, const std::string& path,
                                    const template_scope& scope) {
  param_value out;
  if (n.IsNull()) {
    out.type = param_value::kind::null;
  } else if (n.IsScalar()) {
    const auto& s = n.Scalar();
    // Quoted scalars are strings whatever they hold; plain ones are typed as YAML 1.2 does.
    const bool plain = n.Tag() == "?";
    if (plain && (s == "true" || s == "false")) {
      out.type = param_value::kind::boolean;
      out.text = template_string::literal(s);
    } else if (plain && (s == "null" || s == "~")) {
      out.type = param_value::kind::null;
    } else if (plain && is_json_number(s)) {
      out.type = param_value::kind::number;
      out.text = template_string::literal(s);
    } else {
      out.type = param_value::kind::string;
      if (auto t = templ(n, path, s, scope))
        out.text = std::move(*t);
    }
  } else if (n.IsSequence()) {
    out.type = param_value::kind::list;
    for (std::size_t i = 0; i < n.size(); ++i)
      out.items.push_back(params(n[i], index_path(path, i), scope));
  } else if (looks_like_unquoted_template(n)) {
    r_.error(n, path, "a value that starts with {{ must be quoted: \"{{ labels.NAME }}\"");
  } else if (n.IsMap() && r_.expect_map(n, path)) {
    out.type = param_value::kind::map;
    for (const auto& kv : n) {
      if (!kv.first.IsScalar())
        continue;
      const auto key = kv.first.Scalar();
      out.fields.emplace_back(key, params(kv.second, model::yaml_reader::join(path, key), scope));
    }
  }
  return out;
}

} // namespace vigil::runbook::detail
