#include "runtime/model/config.hpp"

#include <yaml-cpp/yaml.h>

#include "runtime/model/json_writer.hpp"
#include "runtime/model/time.hpp"
#include "runtime/model/yaml_limits.hpp"
#include "runtime/model/yaml_reader.hpp"

namespace vigil::model {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds max_duration = milliseconds{365LL * 86'400'000};

/// `text` as a YAML tree, after the checks every text gets first (yaml_limits.hpp); `what` names
/// the syntax in the message (`YAML`, `YAML or JSON`).
expected_or_diagnostics<YAML::Node> load_tree(const std::string& text, const std::string& origin,
                                              const char* what) {
  if (auto refused = check_yaml_text(text, origin); !refused.empty())
    return refused;
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    diagnostic d{origin, "", 0, 0, std::string{"invalid "} + what + ": " + e.msg};
    if (!e.mark.is_null()) {
      d.line = e.mark.line + 1;
      d.column = e.mark.column + 1;
    }
    return diagnostics{std::move(d)};
  }
}

void read_server(yaml_reader& r, const YAML::Node& n, server_config& out) {
  const std::string path = "server";
  if (!r.expect_map(n, path,
                    {"listen", "io_threads", "max_body_bytes", "max_connections", "header_timeout",
                     "idle_timeout"}))
    return;
  if (auto node = n["listen"]) {
    if (auto text = r.scalar(node, "server.listen")) {
      if (auto ep = parse_endpoint(*text))
        out.listen = *ep;
      else
        r.error(node, "server.listen", "expected HOST:PORT, got \"" + *text + "\"");
    }
  }
  r.read(n, "io_threads", path, out.io_threads, 1, 64);
  r.read(n, "max_body_bytes", path, out.max_body_bytes, 1024, 1ULL << 30);
  r.read(n, "max_connections", path, out.max_connections, 1, 1'000'000);
  r.read(n, "header_timeout", path, out.header_timeout, 100ms, 10min);
  r.read(n, "idle_timeout", path, out.idle_timeout, 100ms, 1h);
}

void read_auth(yaml_reader& r, const YAML::Node& n, auth_config& out) {
  if (!r.expect_map(n, "auth", {"tokens"}))
    return;
  const auto tokens = n["tokens"];
  if (!tokens || tokens.IsNull())
    return;
  if (!r.expect_sequence(tokens, "auth.tokens"))
    return;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const auto path = "auth.tokens[" + std::to_string(i) + "]";
    const auto t = tokens[i];
    if (!r.expect_map(t, path, {"name", "token", "scopes"}))
      continue;
    auth_token tok;
    r.read(t, "name", path, tok.name);
    const auto errors_before = r.errors().size();
    r.read(t, "token", path, tok.token);
    if (tok.name.empty())
      r.error(t, path + ".name", "every token needs a name (it is what audit logs show)");
    if (r.errors().size() == errors_before && tok.token.size() < 16)
      r.error(t["token"] ? t["token"] : t, path + ".token",
              "a token must be at least 16 characters");
    const auto scopes = t["scopes"];
    if (!scopes) {
      r.error(t, path + ".scopes", "missing: list the scopes (ingest, read, operate, admin)");
    } else if (r.expect_sequence(scopes, path + ".scopes")) {
      for (std::size_t k = 0; k < scopes.size(); ++k) {
        const auto sp = path + ".scopes[" + std::to_string(k) + "]";
        if (auto s = r.scalar(scopes[k], sp)) {
          if (*s != "ingest" && *s != "read" && *s != "operate" && *s != "admin")
            r.error(scopes[k], sp, "unknown scope \"" + *s + "\" (ingest, read, operate, admin)");
          else
            tok.scopes.push_back(*s);
        }
      }
    }
    out.tokens.push_back(std::move(tok));
  }
}

void read_engine(yaml_reader& r, const YAML::Node& n, engine_config& out) {
  if (!r.expect_map(n, "engine", {"event_processing", "workflow_execution"}))
    return;
  if (auto ep = n["event_processing"]) {
    const std::string path = "engine.event_processing";
    if (r.expect_map(ep, path, {"workers", "queue_size", "batch_size", "max_attempts"})) {
      auto& o = out.event_processing;
      r.read(ep, "workers", path, o.workers, 1, 256);
      r.read(ep, "queue_size", path, o.queue_size, 1, 10'000'000);
      r.read(ep, "batch_size", path, o.batch_size, 1, 10'000);
      r.read(ep, "max_attempts", path, o.max_attempts, 1, 100);
    }
  }
  if (auto we = n["workflow_execution"]) {
    const std::string path = "engine.workflow_execution";
    if (r.expect_map(we, path, {"max_concurrent", "timeout", "retry_attempts"})) {
      auto& o = out.workflow_execution;
      r.read(we, "max_concurrent", path, o.max_concurrent, 1, 1'000'000);
      r.read(we, "timeout", path, o.timeout, 1s, max_duration);
      r.read(we, "retry_attempts", path, o.retry_attempts, 0, 100);
    }
  }
}

void read_storage(yaml_reader& r, const YAML::Node& n, storage_config& out) {
  const std::string path = "storage";
  if (!r.expect_map(n, path,
                    {"path", "sync", "dedup_window", "wal_recovery", "retention", "min_free_bytes",
                     "cache_bytes", "memtable_bytes"}))
    return;
  r.read(n, "path", path, out.path);
  if (out.path.empty())
    r.error(n, "storage.path", "must not be empty");
  std::string sync{to_string(out.sync)};
  r.read_choice(n, "sync", path, sync, {"always", "batch", "none"});
  out.sync = sync == "always" ? sync_policy::always
             : sync == "none" ? sync_policy::none
                              : sync_policy::batch;
  r.read(n, "dedup_window", path, out.dedup_window, 1s, max_duration);
  r.read(n, "min_free_bytes", path, out.min_free_bytes, 0, uint64_t{1} << 50);
  r.read(n, "cache_bytes", path, out.cache_bytes, uint64_t{1} << 20, uint64_t{1} << 40);
  r.read(n, "memtable_bytes", path, out.memtable_bytes, uint64_t{4} << 20, uint64_t{1} << 40);
  std::string wal{to_string(out.wal_recovery)};
  r.read_choice(n, "wal_recovery", path, wal,
                {"point_in_time", "absolute_consistency", "tolerate_corrupted_tail"});
  out.wal_recovery = wal == "absolute_consistency"      ? wal_recovery_mode::absolute_consistency
                     : wal == "tolerate_corrupted_tail" ? wal_recovery_mode::tolerate_corrupted_tail
                                                        : wal_recovery_mode::point_in_time;
  if (auto ret = n["retention"]) {
    if (r.expect_map(ret, "storage.retention", {"workflows", "events"})) {
      r.read(ret, "workflows", "storage.retention", out.retention.workflows, 1min, max_duration);
      r.read(ret, "events", "storage.retention", out.retention.events, 1min, max_duration);
    }
  }
}

void read_integration(yaml_reader& r, const YAML::Node& n, const std::string& name,
                      integration_config& out) {
  const auto path = "integrations." + name;
  out.name = name;
  if (!r.expect_map(n, path,
                    {"type", "url", "timeout", "connect_timeout", "headers", "routing_key",
                     "webhook_url", "api_key", "bearer_token", "scrape_interval", "enabled",
                     "follow_redirects", "circuit_breaker", "max_in_flight", "rate_limit",
                     "health"}))
    return;
  // The type defaults to the name for the well-known ones, so `prometheus: {url: ...}`
  // (the operations runbook's form) works as written.
  if (name == "http" || name == "pagerduty" || name == "slack" || name == "alertmanager"
      || name == "prometheus")
    out.type = name;
  r.read_choice(n, "type", path, out.type,
                {"http", "pagerduty", "slack", "alertmanager", "prometheus"});
  if (out.type.empty() && !n["type"])
    r.error(n, path + ".type", "missing: one of http, pagerduty, slack, alertmanager, prometheus");
  r.read(n, "url", path, out.url);
  if (!out.url.empty() && out.url.rfind("http://", 0) != 0 && out.url.rfind("https://", 0) != 0)
    r.error(n["url"], path + ".url", "must start with http:// or https://");
  if (out.url.empty() && out.type == "pagerduty")
    out.url = "https://events.pagerduty.com";
  r.read(n, "timeout", path, out.timeout, 10ms, 10min);
  r.read(n, "connect_timeout", path, out.connect_timeout, 10ms, 10min);
  if (auto h = n["headers"]) {
    const auto hp = path + ".headers";
    if (r.expect_map(h, hp)) {
      for (const auto& kv : h) {
        if (!kv.first.IsScalar())
          continue;
        const auto key = kv.first.Scalar();
        if (auto v = r.scalar(kv.second, yaml_reader::join(hp, key)))
          out.headers[key] = *v;
      }
    }
  }
  r.read(n, "routing_key", path, out.routing_key);
  r.read(n, "webhook_url", path, out.webhook_url);
  r.read(n, "api_key", path, out.api_key);
  r.read(n, "bearer_token", path, out.bearer_token);
  r.read(n, "scrape_interval", path, out.scrape_interval, 1s, 1h);
  r.read(n, "enabled", path, out.enabled);
  r.read(n, "follow_redirects", path, out.follow_redirects);
  r.read(n, "max_in_flight", path, out.max_in_flight, 1, 100'000);
  if (auto cb = n["circuit_breaker"]) {
    const auto cp = path + ".circuit_breaker";
    if (r.expect_map(cb, cp,
                     {"failure_threshold", "window", "failure_rate", "min_calls", "cooldown",
                      "max_cooldown", "half_open_probes"})) {
      auto& c = out.circuit_breaker;
      r.read(cb, "failure_threshold", cp, c.failure_threshold, 1, 100'000);
      r.read(cb, "window", cp, c.window, 100ms, 1h);
      r.read(cb, "failure_rate", cp, c.failure_rate, 0.01, 1.0);
      r.read(cb, "min_calls", cp, c.min_calls, 1, 100'000);
      r.read(cb, "cooldown", cp, c.cooldown, 10ms, 1h);
      r.read(cb, "max_cooldown", cp, c.max_cooldown, 10ms, 24h);
      r.read(cb, "half_open_probes", cp, c.half_open_probes, 1, 1000);
      if (c.max_cooldown < c.cooldown)
        r.error(cb, cp + ".max_cooldown", "must not be shorter than cooldown");
    }
  }
  if (auto rl = n["rate_limit"]) {
    const auto rp = path + ".rate_limit";
    if (r.expect_map(rl, rp, {"per_second", "burst"})) {
      r.read(rl, "per_second", rp, out.rate_limit.per_second, 0.001, 1e6);
      r.read(rl, "burst", rp, out.rate_limit.burst, 1, 1'000'000);
      if (out.rate_limit.burst == 0)
        out.rate_limit.burst =
          std::max<uint32_t>(1, static_cast<uint32_t>(out.rate_limit.per_second));
    }
  }
  if (auto hc = n["health"]) {
    const auto hp = path + ".health";
    if (r.expect_map(hc, hp, {"path", "interval"})) {
      r.read(hc, "path", hp, out.health.path);
      r.read(hc, "interval", hp, out.health.interval, 1s, 24h);
    }
  }
}

void read_integrations(yaml_reader& r, const YAML::Node& n, std::vector<integration_config>& out) {
  if (n.IsNull())
    return;
  if (!r.expect_map(n, "integrations"))
    return;
  for (const auto& kv : n) {
    if (!kv.first.IsScalar())
      continue;
    const auto name = kv.first.Scalar();
    bool valid = !name.empty() && name.size() <= 64;
    for (char c : name)
      valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    if (!valid) {
      r.error(kv.first, "integrations." + name,
              "integration names use letters, digits, - and _ (at most 64)");
      continue;
    }
    integration_config ic;
    read_integration(r, kv.second, name, ic);
    out.push_back(std::move(ic));
  }
}

void read_runbooks(yaml_reader& r, const YAML::Node& n, runbooks_config& out) {
  if (!r.expect_map(n, "runbooks", {"repository", "auto_reload", "validation"}))
    return;
  r.read(n, "repository", "runbooks", out.repository);
  r.read(n, "auto_reload", "runbooks", out.auto_reload);
  r.read_choice(n, "validation", "runbooks", out.validation, {"strict", "warn"});
}

void read_cluster(yaml_reader& r, const YAML::Node& n, cluster_config& out) {
  if (!r.expect_map(n, "cluster", {"mode", "nats_url"}))
    return;
  r.read_choice(n, "mode", "cluster", out.mode, {"standalone", "nats"});
  r.read(n, "nats_url", "cluster", out.nats_url);
  if (out.mode == "nats")
    r.error(n["mode"], "cluster.mode", "nats clustering is not available in this version");
}

void read_logging(yaml_reader& r, const YAML::Node& n, logging_config& out) {
  if (!r.expect_map(n, "logging", {"level", "format"}))
    return;
  r.read_choice(n, "level", "logging", out.level,
                {"trace", "debug", "info", "warn", "warning", "error", "critical", "off"});
  r.read_choice(n, "format", "logging", out.format, {"json", "text"});
}

} // namespace

std::optional<endpoint> parse_endpoint(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    return std::nullopt;
  auto host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto port = yaml_reader::parse_uint(text.substr(colon + 1));
  if (!port || *port > 65535)
    return std::nullopt;
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':'))
      return std::nullopt;
  return endpoint{std::string{host}, static_cast<uint16_t>(*port)};
}

std::string_view to_string(sync_policy x) noexcept {
  switch (x) {
    case sync_policy::always:
      return "always";
    case sync_policy::batch:
      return "batch";
    case sync_policy::none:
      return "none";
  }
  return "batch";
}

std::string_view to_string(wal_recovery_mode x) noexcept {
  switch (x) {
    case wal_recovery_mode::point_in_time:
      return "point_in_time";
    case wal_recovery_mode::absolute_consistency:
      return "absolute_consistency";
    case wal_recovery_mode::tolerate_corrupted_tail:
      return "tolerate_corrupted_tail";
  }
  return "point_in_time";
}

expected_or_diagnostics<config> load_config_text(const std::string& text, const std::string& origin,
                                                 env_lookup_fn env) {
  yaml_reader r{origin, env};
  // Before any tree exists: size, encoding, alias cycles and expansion (yaml_limits.hpp).
  auto tree = load_tree(text, origin, "YAML");
  if (!tree)
    return tree.errors();
  const YAML::Node root = tree.value();
  config cfg;
  cfg.source_path = origin;
  if (root.IsNull())
    return cfg; // An empty file means "all defaults".
  if (r.expect_map(root, "",
                   {"server", "auth", "engine", "storage", "integrations", "runbooks", "cluster",
                    "logging"})) {
    if (auto n = root["server"])
      read_server(r, n, cfg.server);
    if (auto n = root["auth"])
      read_auth(r, n, cfg.auth);
    if (auto n = root["engine"])
      read_engine(r, n, cfg.engine);
    if (auto n = root["storage"])
      read_storage(r, n, cfg.storage);
    if (auto n = root["integrations"])
      read_integrations(r, n, cfg.integrations);
    if (auto n = root["runbooks"])
      read_runbooks(r, n, cfg.runbooks);
    if (auto n = root["cluster"])
      read_cluster(r, n, cfg.cluster);
    if (auto n = root["logging"])
      read_logging(r, n, cfg.logging);
  }
  if (!r.ok()) {
    auto errors = r.take_errors();
    sort_by_position(errors);
    return errors;
  }
  return cfg;
}

expected_or_diagnostics<integration_config> load_integration_text(const std::string& text,
                                                                  const std::string& name,
                                                                  const std::string& origin,
                                                                  env_lookup_fn env) {
  // Without a lookup every `${VAR}` is "not set": an error, never the server's value.
  env_lookup_fn none = [](const std::string&) -> std::optional<std::string> {
    return std::nullopt;
  };
  yaml_reader r{origin, env != nullptr ? env : none};
  auto tree = load_tree(text, origin, "YAML or JSON");
  if (!tree)
    return tree.errors();
  const YAML::Node root = tree.value();
  std::vector<integration_config> out;
  YAML::Node wrapped;
  wrapped[name] = root;
  read_integrations(r, wrapped, out);
  if (!r.ok()) {
    auto errors = r.take_errors();
    sort_by_position(errors);
    return errors;
  }
  if (out.size() != 1)
    return diagnostics{diagnostic{origin, "integrations." + name, 0, 0, "not an integration"}};
  return std::move(out.front());
}

expected_or_diagnostics<config> load_config_file(const std::string& path, env_lookup_fn env) {
  auto text = read_yaml_file(path);
  if (!text)
    return text.errors();
  return load_config_text(text.value(), path, env);
}

std::string missing_setting(const integration_config& cfg) {
  if (cfg.type == "pagerduty" && cfg.routing_key.empty())
    return "routing_key is unset";
  if (cfg.type == "slack") {
    if (cfg.webhook_url.empty() && cfg.url.empty())
      return "webhook_url is unset";
    return {};
  }
  if (cfg.url.empty())
    return "url is unset";
  return {};
}

namespace {

/// Every setting of `c` as the config file would spell it (durations as `10s`), so that a patch
/// can be laid over it and the result read back by `read_integration`.
YAML::Node integration_node(const integration_config& c) {
  YAML::Node n{YAML::NodeType::Map};
  n["type"] = c.type;
  n["url"] = c.url;
  n["timeout"] = format_duration(c.timeout);
  n["connect_timeout"] = format_duration(c.connect_timeout);
  YAML::Node headers{YAML::NodeType::Map};
  for (const auto& [k, v] : c.headers)
    headers[k] = v;
  n["headers"] = headers;
  n["routing_key"] = c.routing_key;
  n["webhook_url"] = c.webhook_url;
  n["api_key"] = c.api_key;
  n["bearer_token"] = c.bearer_token;
  n["scrape_interval"] = format_duration(c.scrape_interval);
  n["enabled"] = c.enabled ? "true" : "false";
  n["follow_redirects"] = c.follow_redirects ? "true" : "false";
  n["max_in_flight"] = std::to_string(c.max_in_flight);
  const auto& b = c.circuit_breaker;
  YAML::Node cb{YAML::NodeType::Map};
  cb["failure_threshold"] = std::to_string(b.failure_threshold);
  cb["window"] = format_duration(b.window);
  json_writer rate;
  rate.value(b.failure_rate);
  cb["failure_rate"] = rate.str();
  cb["min_calls"] = std::to_string(b.min_calls);
  cb["cooldown"] = format_duration(b.cooldown);
  cb["max_cooldown"] = format_duration(b.max_cooldown);
  cb["half_open_probes"] = std::to_string(b.half_open_probes);
  n["circuit_breaker"] = cb;
  if (c.rate_limit.per_second > 0) {
    YAML::Node rl{YAML::NodeType::Map};
    json_writer per;
    per.value(c.rate_limit.per_second);
    rl["per_second"] = per.str();
    rl["burst"] = std::to_string(c.rate_limit.burst);
    n["rate_limit"] = rl;
  }
  YAML::Node hc{YAML::NodeType::Map};
  hc["path"] = c.health.path;
  hc["interval"] = format_duration(c.health.interval);
  n["health"] = hc;
  return n;
}

/// RFC 7386 onto `target` (changed in place): `keep_nulls` keeps a `null` of `patch` as a
/// value (for the stored overrides) instead of removing the key (for the result).
void merge_patch(YAML::Node& target, const YAML::Node& patch, bool keep_nulls) {
  if (!patch.IsMap()) {
    target = YAML::Clone(patch);
    return;
  }
  if (!target.IsMap())
    target = YAML::Node{YAML::NodeType::Map};
  for (const auto& kv : patch) {
    const auto key = kv.first.Scalar();
    if (kv.second.IsNull() && !keep_nulls) {
      target.remove(key);
      continue;
    }
    YAML::Node child = target[key];
    if (kv.second.IsMap() && child.IsMap()) {
      merge_patch(child, kv.second, keep_nulls);
    } else {
      YAML::Node copy = YAML::Clone(kv.second);
      if (copy.IsMap() && !keep_nulls) {
        YAML::Node fresh{YAML::NodeType::Map};
        merge_patch(fresh, copy, false); // a new map: its nulls mean "not given"
        copy = fresh;
      }
      target[key] = copy;
    }
  }
}

void write_node_json(json_writer& w, const YAML::Node& n) {
  if (n.IsMap()) {
    w.begin_object();
    for (const auto& kv : n) {
      w.key(kv.first.Scalar());
      write_node_json(w, kv.second);
    }
    w.end_object();
  } else if (n.IsSequence()) {
    w.begin_array();
    for (const auto& item : n)
      write_node_json(w, item);
    w.end_array();
  } else if (n.IsScalar()) {
    w.value(n.Scalar());
  } else {
    w.null();
  }
}

std::string node_json(const YAML::Node& n) {
  json_writer w;
  write_node_json(w, n);
  return std::move(w).str();
}

/// `text` as a YAML tree, after the checks every text gets; keys must be unique at every level.
expected_or_diagnostics<YAML::Node> parse_patch(const std::string& text, const std::string& name,
                                                const std::string& origin) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    return YAML::Node{YAML::NodeType::Map};
  auto tree = load_tree(text, origin, "YAML or JSON");
  if (!tree)
    return tree.errors();
  const YAML::Node root = tree.value();
  const auto path = "integrations." + name;
  if (!root.IsMap())
    return diagnostics{diagnostic{origin, path, root.Mark().line + 1, root.Mark().column + 1,
                                  "expected a map of settings"}};
  // Duplicates, at every level: the merge below would keep one of them silently.
  yaml_reader r{origin,
                [](const std::string&) -> std::optional<std::string> { return std::nullopt; }};
  std::vector<std::pair<YAML::Node, std::string>> maps{{root, path}};
  while (!maps.empty()) {
    auto [m, p] = maps.back();
    maps.pop_back();
    if (!r.expect_map(m, p))
      continue;
    for (const auto& kv : m)
      if (kv.first.IsScalar() && kv.second.IsMap())
        maps.emplace_back(kv.second, yaml_reader::join(p, kv.first.Scalar()));
  }
  if (!r.ok())
    return r.take_errors();
  return root;
}

} // namespace

expected_or_diagnostics<integration_patch>
patch_integration(const integration_config* base, const std::string& overrides,
                  const std::string& patch, const std::string& name, const std::string& origin) {
  auto old = parse_patch(overrides, name, "the stored settings of " + name);
  if (!old)
    return old.errors();
  auto change = parse_patch(patch, name, origin);
  if (!change)
    return change.errors();
  YAML::Node merged = base != nullptr ? integration_node(*base) : YAML::Node{YAML::NodeType::Map};
  merge_patch(merged, change.value(), false);
  auto cfg = load_integration_text(node_json(merged), name, origin);
  if (!cfg) {
    // Positions in the merged text mean nothing to the sender: the key path says where.
    auto errors = cfg.errors();
    for (auto& d : errors) {
      d.line = 0;
      d.column = 0;
    }
    return errors;
  }
  YAML::Node kept = old.value();
  merge_patch(kept, change.value(), true);
  return integration_patch{std::move(cfg).value(), node_json(kept)};
}

} // namespace vigil::model
