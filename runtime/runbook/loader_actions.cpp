// Steps and actions of a runbook: which keys each action takes, commands, retry policies.

#include <algorithm>
#include <cctype>
#include <cstring>

#include <yaml-cpp/yaml.h>

#include "runtime/runbook/loader_internal.hpp"

namespace vigil::runbook::detail {

using namespace std::chrono_literals;

namespace {

/// Keys every step has, whatever its action.
constexpr std::string_view step_keys[] = {"name",  "action",     "timeout",
                                          "retry", "on_failure", "rollback"};

/// Keys of a bare action (a rollback or the escalation).
constexpr std::string_view action_keys[] = {"action", "timeout"};

/// Keys that belong to some actions only.
struct specific_key {
  std::string_view key;
  bool (*applies)(action_kind);
  std::string_view for_whom;
};

bool is_exec(action_kind k) {
  return k == action_kind::exec;
}
bool is_wait(action_kind k) {
  return k == action_kind::wait;
}
bool is_log(action_kind k) {
  return k == action_kind::log;
}

constexpr specific_key specific_keys[] = {
  {"command", &is_exec, "exec"},
  {"env", &is_exec, "exec"},
  {"duration", &is_wait, "wait"},
  {"until", &is_wait, "wait"},
  {"message", &is_log, "log"},
  {"integration", &calls_integration, "integration actions"},
  {"params", &calls_integration, "integration actions"},
};

constexpr std::string_view action_list =
  "exec, wait, approval, log, noop, http, pagerduty, slack, alertmanager_silence, "
  "prometheus_query";

/// Characters a shell would interpret: in a one-string command they would reach the program
/// as text, which is never what the author meant.
constexpr const char* shell_characters = "|;&`><*$'\"\\";

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool valid_env_name(std::string_view s) noexcept {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])))
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

/// Splits a one-string command on whitespace; a `{{ ... }}` stays inside its word. Sets `bad`
/// to the first shell character found outside placeholders.
std::vector<std::string> split_command(std::string_view s, char& bad) {
  std::vector<std::string> words;
  std::string word;
  bool in_placeholder = false;
  bool have = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!in_placeholder && s.compare(i, 2, "{{") == 0) {
      in_placeholder = true;
      word += "{{";
      have = true;
      ++i;
      continue;
    }
    if (in_placeholder && s.compare(i, 2, "}}") == 0) {
      in_placeholder = false;
      word += "}}";
      ++i;
      continue;
    }
    const char c = s[i];
    if (!in_placeholder && is_space(c)) {
      if (have)
        words.push_back(std::move(word));
      word.clear();
      have = false;
      continue;
    }
    if (!in_placeholder && bad == 0 && std::strchr(shell_characters, c) != nullptr)
      bad = c;
    word += c;
    have = true;
  }
  if (have)
    words.push_back(std::move(word));
  return words;
}

} // namespace

void document_reader::read_command(const YAML::Node& n, const std::string& path, action& out,
                                   const template_scope& scope) {
  if (n.IsSequence()) {
    if (n.size() == 0) {
      r_.error(n, path, "the command is empty: list the program and its arguments");
      return;
    }
    for (std::size_t i = 0; i < n.size(); ++i) {
      const auto p = index_path(path, i);
      const auto arg = n[i];
      if (!arg.IsScalar()) {
        r_.error(arg, p, "expected one argument (a string)");
        continue;
      }
      if (auto t = templ(arg, p, scope))
        out.command.push_back(std::move(*t));
    }
    if (!out.command.empty() && out.command.front().source().empty())
      r_.error(n[0], index_path(path, 0), "the program name is empty");
    return;
  }
  if (!n.IsScalar()) {
    r_.error(n, path, "expected the command as a list of arguments: [\"program\", \"arg\", ...]");
    return;
  }
  char bad = 0;
  auto words = split_command(n.Scalar(), bad);
  if (bad != 0) {
    r_.error(n, path,
             std::string{"\""} + bad
               + "\" in a one-string command: commands never run in a shell, so it would reach "
                 "the program as text. Write the command as a list, e.g. command: "
                 "[\"systemctl\", \"status\", \"{{ labels.service }}\"]");
    return;
  }
  if (words.empty()) {
    r_.error(n, path, "the command is empty: list the program and its arguments");
    return;
  }
  for (const auto& w : words)
    if (auto t = templ(n, path, w, scope))
      out.command.push_back(std::move(*t));
}

void document_reader::read_integration(const YAML::Node& n, const std::string& path, action& out) {
  auto name = text(n, path);
  if (!name)
    return;
  const bool any =
    std::find(integrations_.begin(), integrations_.end(), any_integration) != integrations_.end();
  if (any || std::find(integrations_.begin(), integrations_.end(), *name) != integrations_.end()) {
    out.integration = *name;
    return;
  }
  std::string configured;
  for (const auto& i : integrations_)
    configured += (configured.empty() ? "" : ", ") + i;
  r_.error(n, path,
           "unknown integration \"" + *name + "\" ("
             + (configured.empty() ? std::string{"no integrations are configured"}
                                   : "configured: " + configured)
             + ")");
}

void document_reader::action_map(const YAML::Node& n, const std::string& path, bool is_step,
                                 action& out, const template_scope& scope) {
  if (!r_.expect_map(n, path))
    return;
  std::optional<action_kind> kind;
  if (auto a = n["action"]; !a) {
    r_.error(n, model::yaml_reader::join(path, "action"),
             "missing: the action (" + std::string{action_list} + ")");
  } else if (auto s = text(a, model::yaml_reader::join(path, "action"))) {
    kind = parse_action_kind(*s);
    if (!kind)
      r_.error(a, model::yaml_reader::join(path, "action"),
               "unknown action \"" + *s + "\" (expected one of: " + std::string{action_list} + ")");
  }
  for (const auto& kv : n) {
    if (!kv.first.IsScalar())
      continue;
    const auto& key = kv.first.Scalar();
    const auto p = model::yaml_reader::join(path, key);
    auto common =
      is_step
        ? std::find(std::begin(step_keys), std::end(step_keys), key) != std::end(step_keys)
        : std::find(std::begin(action_keys), std::end(action_keys), key) != std::end(action_keys);
    if (common)
      continue;
    auto sk = std::find_if(std::begin(specific_keys), std::end(specific_keys),
                           [&](const specific_key& k) { return k.key == key; });
    if (sk != std::end(specific_keys)) {
      if (kind && !sk->applies(*kind))
        r_.error(kv.first, p,
                 "\"" + key + "\" does not apply to action " + std::string{to_string(*kind)}
                   + " (it is for " + std::string{sk->for_whom} + ")");
      continue;
    }
    std::string expected;
    for (auto k : is_step
                    ? std::vector<std::string_view>(std::begin(step_keys), std::end(step_keys))
                    : std::vector<std::string_view>(std::begin(action_keys), std::end(action_keys)))
      expected += (expected.empty() ? "" : ", ") + std::string{k};
    for (const auto& k : specific_keys)
      if (!kind || k.applies(*kind))
        expected += ", " + std::string{k.key};
    r_.error(kv.first, p, "unknown key (expected one of: " + expected + ")");
  }
  if (!kind)
    return;
  out.kind = *kind;
  const auto key_path = [&](std::string_view key) { return model::yaml_reader::join(path, key); };
  if (!is_step)
    if (auto t = n["timeout"])
      out.timeout = duration(t, key_path("timeout"), 1ms, longest).value_or(out.timeout);
  switch (*kind) {
    case action_kind::exec:
      if (auto c = n["command"]; !c)
        r_.error(n, key_path("command"), "missing: the command to run, as a list of arguments");
      else
        read_command(c, key_path("command"), out, scope);
      if (auto e = n["env"]; e && r_.expect_map(e, key_path("env"))) {
        for (const auto& kv : e) {
          if (!kv.first.IsScalar())
            continue;
          const auto& name = kv.first.Scalar();
          const auto p = model::yaml_reader::join(key_path("env"), name);
          if (!valid_env_name(name))
            r_.error(kv.first, p, "environment names use letters, digits and _");
          else if (auto t = templ(kv.second, p, scope))
            out.env[name] = std::move(*t);
        }
      }
      break;
    case action_kind::wait:
      if (auto d = n["duration"]; !d)
        r_.error(n, key_path("duration"), "missing: how long to wait (e.g. 5m)");
      else
        out.duration = duration(d, key_path("duration"), 1ms, longest).value_or(out.duration);
      if (auto u = n["until"])
        out.until_resolved = choice(u, key_path("until"), {"resolved"}).has_value();
      break;
    case action_kind::log:
      if (auto m = n["message"]; !m)
        r_.error(n, key_path("message"), "missing: the message to log");
      else if (auto t = templ(m, key_path("message"), scope))
        out.message = std::move(*t);
      break;
    case action_kind::approval:
    case action_kind::noop:
      break;
    default: // integration actions
      if (auto i = n["integration"]; !i)
        r_.error(n, key_path("integration"),
                 "missing: the integration this step calls (its name under integrations:)");
      else
        read_integration(i, key_path("integration"), out);
      if (auto p = n["params"])
        out.params = params(p, key_path("params"), scope);
      break;
  }
}

retry_policy document_reader::retry(const YAML::Node& n, const std::string& path) {
  retry_policy out;
  if (!r_.expect_map(n, path, {"attempts", "initial", "max", "multiplier", "jitter", "retry_on"}))
    return out;
  const auto key_path = [&](std::string_view key) { return model::yaml_reader::join(path, key); };
  if (auto x = n["attempts"])
    out.attempts = whole(x, key_path("attempts"), 1, 100).value_or(out.attempts);
  if (auto x = n["initial"])
    out.initial = duration(x, key_path("initial"), 1ms, 24h).value_or(out.initial);
  if (auto x = n["max"]) {
    if (auto d = duration(x, key_path("max"), 1ms, 24h)) {
      out.max = *d;
      if (out.max < out.initial)
        r_.error(x, key_path("max"), "must not be shorter than initial");
    }
  } else if (out.max < out.initial) {
    out.max = out.initial;
  }
  if (auto x = n["multiplier"])
    out.multiplier = number(x, key_path("multiplier"), 1.0, 10.0).value_or(out.multiplier);
  if (auto x = n["jitter"])
    out.jitter = number(x, key_path("jitter"), 0.0, 1.0).value_or(out.jitter);
  if (auto x = n["retry_on"]; x && r_.expect_sequence(x, key_path("retry_on"))) {
    if (x.size() == 0)
      r_.error(x, key_path("retry_on"), "list at least one of: error, timeout, rate_limited");
    uint8_t bits = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      auto v =
        choice(x[i], index_path(key_path("retry_on"), i), {"error", "timeout", "rate_limited"});
      if (v)
        bits |= *v == "error"     ? retry_on_error
                : *v == "timeout" ? retry_on_timeout
                                  : retry_on_rate_limited;
    }
    if (bits != 0)
      out.retry_on = bits;
  }
  return out;
}

std::optional<step> document_reader::read_step(const YAML::Node& n, std::size_t index) {
  const auto path = index_path("steps", index);
  if (!r_.expect_map(n, path))
    return std::nullopt;
  step s;
  if (const auto mark = n.Mark(); !mark.is_null())
    s.line = mark.line + 1;
  s.name = index < all_steps.size() ? all_steps[index] : std::string{};
  const auto key_path = [&](std::string_view key) { return model::yaml_reader::join(path, key); };
  const auto earlier = std::min(index, all_steps.size());
  action_map(n, path, true, s.action, template_scope{earlier, s.name});
  if (auto t = n["timeout"])
    s.timeout = duration(t, key_path("timeout"), 1ms, longest).value_or(s.timeout);
  if (auto r = n["retry"])
    s.retry = retry(r, key_path("retry"));
  if (auto f = n["on_failure"])
    if (auto v = choice(f, key_path("on_failure"),
                        {"fail", "retry", "rollback", "skip", "manual", "escalate"}))
      s.on_failure = parse_failure_strategy(*v);
  if (auto rb = n["rollback"]) {
    // A rollback runs after its step succeeded, so it may read that step's result too.
    action undo;
    const auto errors_before = r_.errors().size();
    action_map(rb, key_path("rollback"), false, undo,
               template_scope{std::min(index + 1, all_steps.size()), {}});
    if (r_.errors().size() == errors_before)
      s.rollback = std::move(undo);
  }
  return s;
}

} // namespace vigil::runbook::detail
