// Loading one runbook: the document's top-level keys and its triggers.

#include <algorithm>
#include <cctype>

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include "runtime/model/yaml_limits.hpp"
#include "runtime/runbook/loader_internal.hpp"

namespace vigil::runbook {

namespace detail {

namespace {

using namespace std::chrono_literals;
using model::yaml_reader;

bool valid_parameter_name(std::string_view s) noexcept {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])))
    return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
      return false;
  return true;
}

/// One `match:` entry: `key: value` (eq) or `key: {op: arg, ...}` (one condition per op).
void read_condition(document_reader& d, const YAML::Node& key_node, const YAML::Node& value,
                    const std::string& path, std::vector<condition>& out) {
  auto& r = d.reader();
  const auto& key = key_node.Scalar();
  if (value.IsScalar()) {
    condition c;
    c.key = key;
    c.text = value.Scalar();
    out.push_back(std::move(c));
    return;
  }
  if (!value.IsMap()) {
    r.error(value, path,
            value.IsNull() ? "expected a value or {op: argument}, got nothing"
                           : "expected a value or {op: argument} (for a list of values write "
                             "{in: [a, b]})");
    return;
  }
  if (!r.expect_map(value, path,
                    {"eq", "ne", "in", "not_in", "regex", "exists", "gt", "gte", "lt", "lte"}))
    return;
  for (const auto& kv : value) {
    if (!kv.first.IsScalar())
      continue;
    const auto& op = kv.first.Scalar();
    const auto p = yaml_reader::join(path, op);
    condition c;
    c.key = key;
    if (op == "eq" || op == "ne") {
      c.operation = op == "eq" ? condition::op::eq : condition::op::ne;
      auto t = d.text(kv.second, p);
      if (!t)
        continue;
      c.text = std::move(*t);
    } else if (op == "in" || op == "not_in") {
      c.operation = op == "in" ? condition::op::in : condition::op::not_in;
      if (!r.expect_sequence(kv.second, p))
        continue;
      if (kv.second.size() == 0)
        r.error(kv.second, p, "the list of values is empty");
      for (std::size_t i = 0; i < kv.second.size(); ++i)
        if (auto t = d.text(kv.second[i], index_path(p, i)))
          c.values.push_back(std::move(*t));
    } else if (op == "regex") {
      c.operation = condition::op::regex;
      auto t = d.text(kv.second, p);
      if (!t)
        continue;
      re2::RE2::Options options;
      options.set_log_errors(false);
      auto re = std::make_shared<re2::RE2>(*t, options);
      if (!re->ok()) {
        r.error(kv.second, p, "invalid regular expression: " + re->error());
        continue;
      }
      c.regex = std::move(re);
      c.text = std::move(*t);
    } else if (op == "exists") {
      c.operation = condition::op::exists;
      auto b = d.boolean(kv.second, p);
      if (!b)
        continue;
      c.exists = *b;
    } else if (op == "gt" || op == "gte" || op == "lt" || op == "lte") {
      c.operation = op == "gt"    ? condition::op::gt
                    : op == "gte" ? condition::op::gte
                    : op == "lt"  ? condition::op::lt
                                  : condition::op::lte;
      auto v = d.number(kv.second, p, -1e300, 1e300);
      if (!v)
        continue;
      c.number = *v;
    } else {
      continue; // reported by expect_map
    }
    out.push_back(std::move(c));
  }
}

void read_trigger(document_reader& d, const YAML::Node& n, const std::string& path, trigger& out) {
  auto& r = d.reader();
  if (!r.expect_map(n, path, {"type", "status", "labels", "match"}))
    return;
  if (auto t = n["type"])
    if (auto v = d.choice(t, yaml_reader::join(path, "type"), {"alert", "metric", "event"}))
      out.type = model::parse_event_type(*v);
  if (auto s = n["status"])
    if (auto v = d.choice(s, yaml_reader::join(path, "status"), {"firing", "resolved", "any"}))
      out.status = *v == "firing"     ? status_filter::firing
                   : *v == "resolved" ? status_filter::resolved
                                      : status_filter::any;
  if (auto l = n["labels"]; l && !l.IsNull() && r.expect_map(l, yaml_reader::join(path, "labels")))
    for (const auto& kv : l) {
      if (!kv.first.IsScalar())
        continue;
      const auto p = yaml_reader::join(yaml_reader::join(path, "labels"), kv.first.Scalar());
      if (auto v = d.text(kv.second, p))
        out.labels.emplace_back(kv.first.Scalar(), std::move(*v));
    }
  if (auto m = n["match"]; m && !m.IsNull() && r.expect_map(m, yaml_reader::join(path, "match")))
    for (const auto& kv : m)
      if (kv.first.IsScalar())
        read_condition(d, kv.first, kv.second,
                       yaml_reader::join(yaml_reader::join(path, "match"), kv.first.Scalar()),
                       out.match);
}

void read_parameters(document_reader& d, const YAML::Node& n) {
  auto& r = d.reader();
  if (n.IsNull() || !r.expect_map(n, "parameters"))
    return;
  for (const auto& kv : n) {
    if (!kv.first.IsScalar())
      continue;
    const auto& name = kv.first.Scalar();
    const auto p = yaml_reader::join("parameters", name);
    if (!valid_parameter_name(name)) {
      r.error(kv.first, p, "parameter names use letters, digits, - and _");
      continue;
    }
    if (kv.second.IsNull())
      d.parameters[name] = "";
    else if (auto v = d.text(kv.second, p))
      d.parameters[name] = std::move(*v);
  }
}

/// Reads every step's name first, so templates can tell a later step from a missing one.
void read_step_names(document_reader& d, const YAML::Node& steps) {
  auto& r = d.reader();
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const auto s = steps[i];
    const auto p = index_path("steps", i);
    std::string name;
    if (s.IsMap()) {
      if (auto n = s["name"]; !n)
        r.error(s, p + ".name", "missing: every step needs a name");
      else if (auto v = d.text(n, p + ".name"); v && v->empty())
        r.error(n, p + ".name", "must not be empty");
      else if (v && !d.step_index.emplace(*v, i).second)
        r.error(n, p + ".name", "duplicate step name \"" + *v + "\"");
      else if (v)
        name = std::move(*v);
    }
    d.all_steps.push_back(std::move(name));
  }
}

} // namespace

model::expected_or_diagnostics<runbook>
load_text(const std::string& text, const std::string& origin, const std::string& path,
          const integration_names& integrations, int* name_line, int* name_column) {
  // Before any tree exists: size, encoding, alias cycles and expansion (yaml_limits.hpp).
  if (auto refused = model::check_yaml_text(text, origin); !refused.empty())
    return refused;
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    model::diagnostic d{origin, "", 0, 0, "invalid YAML: " + e.msg};
    if (!e.mark.is_null()) {
      d.line = e.mark.line + 1;
      d.column = e.mark.column + 1;
    }
    return model::diagnostics{std::move(d)};
  }
  yaml_reader r{origin, nullptr};
  document_reader d{r, integrations};
  runbook out;
  out.path = path;
  out.source = text;
  const YAML::Node root = docs.empty() ? YAML::Node{} : docs.front();
  if (docs.size() > 1)
    r.error(docs[1], "",
            "one runbook per file: this file has " + std::to_string(docs.size())
              + " YAML documents");
  if (root.IsNull()) {
    r.error(root, "", "the file holds no runbook (expected a map with name, triggers, steps)");
  } else if (r.expect_map(root, "",
                          {"name", "description", "category", "enabled", "triggers", "concurrency",
                           "dedup_window", "timeout", "budget", "on_failure", "escalation",
                           "parameters", "steps"})) {
    if (auto n = root["name"]; !n) {
      r.error(root, "name", "missing: the runbook's name");
    } else if (auto v = d.text(n, "name")) {
      if (v->empty())
        r.error(n, "name", "must not be empty");
      out.name = std::move(*v);
      if (name_line != nullptr && !n.Mark().is_null()) {
        *name_line = n.Mark().line + 1;
        *name_column = n.Mark().column + 1;
      }
    }
    for (auto [key, field] :
         {std::pair{"description", &out.description}, std::pair{"category", &out.category}})
      if (auto n = root[key]; n && !n.IsNull())
        if (auto v = d.text(n, key))
          *field = std::move(*v);
    if (auto n = root["enabled"])
      out.enabled = d.boolean(n, "enabled").value_or(out.enabled);
    if (auto n = root["parameters"])
      read_parameters(d, n);
    out.parameters = d.parameters;

    const auto steps = root["steps"];
    if (!steps)
      r.error(root, "steps", "missing: a runbook needs at least one step");
    else if (r.expect_sequence(steps, "steps") && steps.size() == 0)
      r.error(steps, "steps", "a runbook needs at least one step");
    else if (steps.IsSequence() && steps.size() > max_steps)
      r.error(steps, "steps",
              "too many steps: " + std::to_string(steps.size()) + " (a runbook may have at most "
                + std::to_string(max_steps) + ")");
    if (steps && steps.IsSequence() && steps.size() <= max_steps) {
      read_step_names(d, steps);
      for (std::size_t i = 0; i < steps.size(); ++i)
        if (auto s = d.read_step(steps[i], i))
          out.steps.push_back(std::move(*s));
    }

    if (auto n = root["triggers"]; n && !n.IsNull() && r.expect_sequence(n, "triggers")) {
      for (std::size_t i = 0; i < n.size(); ++i) {
        trigger t;
        read_trigger(d, n[i], index_path("triggers", i), t);
        out.triggers.push_back(std::move(t));
      }
    }
    if (auto n = root["concurrency"];
        n && r.expect_map(n, "concurrency", {"key", "policy", "max"})) {
      if (auto k = n["key"])
        out.concurrency.key = d.templ(k, "concurrency.key", template_scope{});
      if (auto p = n["policy"])
        if (auto v = d.choice(p, "concurrency.policy", {"skip", "queue", "replace"}))
          out.concurrency.policy = *v == "skip"    ? concurrency_policy::skip
                                   : *v == "queue" ? concurrency_policy::queue
                                                   : concurrency_policy::replace;
      if (auto m = n["max"])
        out.concurrency.max = d.whole(m, "concurrency.max", 1, 100'000).value_or(1);
    }
    if (auto n = root["dedup_window"])
      out.dedup_window = d.duration(n, "dedup_window", 0ms, longest).value_or(0ms);
    if (auto n = root["timeout"])
      out.timeout = d.duration(n, "timeout", 1s, longest).value_or(0ms);
    if (auto n = root["budget"]; n && r.expect_map(n, "budget", {"max_attempts", "max_duration"})) {
      if (auto m = n["max_attempts"])
        out.budget.max_attempts = d.whole(m, "budget.max_attempts", 0, 1'000'000).value_or(0);
      if (auto m = n["max_duration"])
        out.budget.max_duration = d.duration(m, "budget.max_duration", 0ms, longest).value_or(0ms);
    }
    if (auto n = root["on_failure"])
      if (auto v =
            d.choice(n, "on_failure", {"fail", "retry", "rollback", "skip", "manual", "escalate"}))
        out.on_failure = *parse_failure_strategy(*v);
    if (auto n = root["escalation"]) {
      // Escalation happens after any step may have run: every step's result is readable.
      action a;
      const auto errors_before = r.errors().size();
      d.action_map(n, "escalation", false, a, template_scope{d.all_steps.size(), {}});
      if (r.errors().size() == errors_before)
        out.escalation = std::move(a);
    }
  }
  if (!r.ok()) {
    auto errors = r.take_errors();
    model::sort_by_position(errors);
    return errors;
  }
  out.sha256 = sha256_hex(text);
  return out;
}

} // namespace detail

model::expected_or_diagnostics<runbook> load_runbook_text(const std::string& text,
                                                          const std::string& origin,
                                                          const std::string& path,
                                                          const integration_names& integrations) {
  return detail::load_text(text, origin, path, integrations, nullptr, nullptr);
}

model::expected_or_diagnostics<runbook> load_runbook_file(const std::string& file,
                                                          const std::string& path,
                                                          const integration_names& integrations) {
  auto text = model::read_yaml_file(file);
  if (!text)
    return text.errors();
  return load_runbook_text(text.value(), file, path, integrations);
}

} // namespace vigil::runbook
