#include "actors/integrations/integration_service.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include "actors/integrations/actors.hpp"
#include "actors/integrations/logger.hpp"

namespace vigil::actors {

integration_service::integration_service(caf::actor_system& sys,
                                         const std::vector<model::integration_config>& configs,
                                         const model::clock& clk, integration_service_options opts)
  : sys_(sys), clock_(clk), opts_(std::move(opts)) {
  if (!opts_.transport)
    opts_.transport = make_curl_transport();
  std::unordered_map<std::string, caf::actor> routes;
  std::lock_guard<std::mutex> guard{mutex_};
  for (const auto& cfg : configs)
    routes.emplace(cfg.name, add(cfg).breaker);
  router_ = detail::spawn_router(sys_, std::move(routes));
}

integration_service::~integration_service() {
  stop();
}

integration_service::entry& integration_service::add(const model::integration_config& cfg) {
  entry e;
  e.cfg = cfg;
  e.shared = std::make_shared<detail::integration_shared>(cfg);
  detail::breaker_setup setup;
  setup.cfg = cfg;
  setup.shared = e.shared;
  setup.transport = opts_.transport;
  setup.clock = &clock_;
  setup.health_probes = opts_.health_probes;
  e.breaker = detail::spawn_breaker(sys_, setup);
  integrations_log.info("integration started", {{"integration", cfg.name}, {"type", cfg.type}});
  return entries_[cfg.name] = std::move(e);
}

integration_service::entry* integration_service::find(const std::string& name) {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

caf::actor integration_service::router() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return router_;
}

std::vector<std::string> integration_service::names() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& [name, e] : entries_)
    out.push_back(name);
  return out;
}

std::vector<integration_health> integration_service::health() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<integration_health> out;
  out.reserve(entries_.size());
  for (const auto& [name, e] : entries_)
    out.push_back(e.shared->snapshot());
  return out;
}

std::optional<integration_health> integration_service::health(const std::string& name) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = entries_.find(name);
  if (it == entries_.end())
    return std::nullopt;
  return it->second.shared->snapshot();
}

std::vector<integration_stats> integration_service::stats() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<integration_stats> out;
  out.reserve(entries_.size());
  for (const auto& [name, e] : entries_)
    out.push_back(e.shared->probe.snapshot(name));
  return out;
}

std::optional<model::integration_config>
integration_service::config(const std::string& name) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = entries_.find(name);
  if (it == entries_.end())
    return std::nullopt;
  return it->second.cfg;
}

template <class Atom>
bool integration_service::command(const std::string& name, Atom atom, const char* what) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto* e = find(name);
  if (e == nullptr || stopped_)
    return false;
  auto& shared = *e->shared;
  if constexpr (std::is_same_v<Atom, enable_atom>)
    shared.enabled = true;
  else if constexpr (std::is_same_v<Atom, disable_atom>)
    shared.enabled = false;
  else if constexpr (std::is_same_v<Atom, pause_atom>)
    shared.paused = true;
  else
    shared.paused = false;
  if constexpr (std::is_same_v<Atom, enable_atom> || std::is_same_v<Atom, disable_atom>)
    e->cfg.enabled = shared.enabled.load();
  // The flag is in force for every decision from now on; the message makes the breaker act on
  // its queue (fail it when disabled, drain it when resumed).
  caf::anon_send(e->breaker, atom);
  integrations_log.info(std::string{"integration "} + what, {{"integration", name}});
  return true;
}

bool integration_service::enable(const std::string& name) {
  return command(name, enable_atom::value, "enabled");
}

bool integration_service::disable(const std::string& name) {
  return command(name, disable_atom::value, "disabled");
}

bool integration_service::pause(const std::string& name) {
  return command(name, pause_atom::value, "paused");
}

bool integration_service::resume(const std::string& name) {
  return command(name, resume_atom::value, "resumed");
}

std::future<probe_result> integration_service::test(const std::string& name) {
  auto promise = std::make_shared<std::promise<probe_result>>();
  auto future = promise->get_future();
  std::lock_guard<std::mutex> guard{mutex_};
  auto* e = find(name);
  if (e == nullptr || stopped_) {
    probe_result p;
    p.at = clock_.now();
    p.error = "unknown integration " + name;
    promise->set_value(std::move(p));
    return future;
  }
  caf::anon_send(e->breaker, probe_atom::value, std::move(promise));
  return future;
}

void integration_service::update(const std::string& name, model::integration_config cfg) {
  cfg.name = name;
  std::lock_guard<std::mutex> guard{mutex_};
  if (stopped_)
    return;
  if (auto* e = find(name)) {
    e->cfg = cfg;
    e->shared->enabled = cfg.enabled;
    caf::anon_send(e->breaker, update_atom::value, std::move(cfg));
    integrations_log.info("integration updated", {{"integration", name}});
    return;
  }
  auto& e = add(cfg);
  caf::anon_send(router_, update_atom::value, name, e.breaker);
}

void integration_service::stop() {
  std::map<std::string, entry> entries;
  caf::actor router;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (stopped_)
      return;
    stopped_ = true;
    entries.swap(entries_);
    router = router_;
  }
  // Each adapter is linked to its breaker and ends with it. The transport ends when the last
  // adapter lets go of it (in-flight answers are dropped).
  caf::anon_send_exit(router, caf::exit_reason::user_shutdown);
  for (auto& [name, e] : entries)
    caf::anon_send_exit(e.breaker, caf::exit_reason::user_shutdown);
  opts_.transport.reset();
}

} // namespace vigil::actors
