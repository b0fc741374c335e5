#include "actors/workflow_service.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <thread>

#include "actors/executor.hpp"
#include "actors/logger.hpp"
#include "actors/workflow_manager.hpp"
#include "runtime/model/errc.hpp"
#include "storage/event_log.hpp"

namespace vigil::actors {

namespace {

/// Operator commands wait this long for an answer.
constexpr auto command_timeout = std::chrono::seconds{30};

} // namespace

runbook_set::runbook_set(std::vector<runbook::runbook_ptr> books) : matcher(std::move(books)) {
  for (const auto& b : matcher.runbooks())
    by_address.emplace(b.get(), b);
}

workflow_service::workflow_service(caf::actor_system& sys, storage::database& db,
                                   storage::event_log& log, const model::clock& clk,
                                   workflow_service_options opts)
  : sys_(sys), log_(log), opts_(std::move(opts)),
    store_(std::make_unique<storage::workflow_store>(db, opts_.sync)),
    engine_(std::make_unique<engine>()),
    set_(std::make_shared<const runbook_set>(std::vector<runbook::runbook_ptr>{})) {
  auto& eng = *engine_;
  eng.options = opts_.engine;
  eng.clock = &clk;
  eng.store = store_.get();
  auto* store = store_.get();
  eng.persist = [store](storage::workflow_write w, std::function<void(caf::error)> done) {
    store->write(std::move(w), std::move(done));
  };
  eng.executor = spawn_executor(sys_, eng.processes, opts_.inline_exec);
  eng.resolve_runbook = [this](const model::workflow_record& rec) -> runbook::runbook_ptr {
    // The version the run started with: still loaded, or parsed again from the stored text.
    for (const auto& b : runbooks()->matcher.runbooks())
      if (b->sha256 == rec.runbook_sha256)
        return b;
    auto text = store_->runbook_source(rec.runbook_sha256);
    if (!text)
      return nullptr;
    auto loaded =
      runbook::load_runbook_text(*text, rec.runbook_path + "@" + rec.runbook_sha256.substr(0, 12),
                                 rec.runbook_path, opts_.integrations);
    if (!loaded)
      return nullptr;
    return std::make_shared<const runbook::runbook>(std::move(loaded).value());
  };
  eng.dispatch_failed = [this](const model::event& e, const std::string& reason) {
    processing_failed(e, reason);
  };
  manager_ = spawn_workflow_manager(sys_, &eng);
}

workflow_service::~workflow_service() {
  stop();
}

runbook::repository_report workflow_service::reload() {
  auto report = runbook::load_repository(opts_.repository, opts_.integrations);
  install(report.runbooks);
  std::lock_guard<std::mutex> guard{overrides_mtx_};
  rejected_ = report.rejected;
  return report;
}

runbook::repository_report workflow_service::reload_strict() {
  auto report = runbook::load_repository(opts_.repository, opts_.integrations);
  if (report.errors.empty())
    install(report.runbooks);
  std::lock_guard<std::mutex> guard{overrides_mtx_};
  rejected_ = report.rejected;
  return report;
}

std::map<std::string, model::diagnostics> workflow_service::rejected_files() const {
  std::lock_guard<std::mutex> guard{overrides_mtx_};
  return rejected_;
}

caf::error workflow_service::set_enabled(const std::string& name_or_path, bool enabled) {
  auto book = runbooks()->matcher.find(name_or_path);
  if (!book)
    return make_error(errc::not_found, "no runbook named " + name_or_path);
  {
    std::lock_guard<std::mutex> guard{overrides_mtx_};
    enabled_overrides_[book->name] = enabled;
  }
  install(runbooks()->matcher.runbooks());
  return caf::none;
}

void workflow_service::install(std::vector<runbook::runbook_ptr> books) {
  // Operators' enable/disable choices outlive reloads.
  {
    std::lock_guard<std::mutex> guard{overrides_mtx_};
    for (auto& b : books) {
      auto it = enabled_overrides_.find(b->name);
      if (it != enabled_overrides_.end() && it->second != b->enabled) {
        auto copy = std::make_shared<runbook::runbook>(*b);
        copy->enabled = it->second;
        b = std::move(copy);
      }
    }
  }
  std::atomic_store(&set_, std::shared_ptr<const runbook_set>{
                             std::make_shared<const runbook_set>(std::move(books))});
}

std::shared_ptr<const runbook_set> workflow_service::runbooks() const {
  return std::atomic_load(&set_);
}

void workflow_service::dispatch(std::vector<model::event>& batch) {
  const auto set = runbooks();
  std::vector<uint64_t> unmatched;
  std::vector<const runbook::runbook*> matched;
  for (auto& e : batch) {
    try {
      if (opts_.test_fail_dispatch && opts_.test_fail_dispatch(e))
        throw std::runtime_error("test_fail_dispatch");
      matched.clear();
      set->matcher.match(e, matched);
      // A resolved alert also goes to the manager: the runs it started must learn of it.
      const bool resolves =
        e.status == model::event_status::resolved && e.type == model::event_type::alert;
      if (matched.empty() && !resolves) {
        unmatched.push_back(e.seq);
        continue;
      }
      std::vector<runbook::runbook_ptr> books;
      books.reserve(matched.size());
      for (const auto* b : matched)
        books.push_back(set->by_address.at(b));
      caf::anon_send(manager_, start_atom::value, e, std::move(books));
    } catch (const std::exception& ex) {
      // A bug or a broken invariant, not a remediation failure: retried, then set aside.
      processing_failed(e, ex.what());
    }
  }
  if (auto err = log_.set_state(unmatched, storage::event_state::dispatched))
    engine_log.error("cannot mark events dispatched", {{"error", describe(err)}});
}

void workflow_service::processing_failed(const model::event& e, const std::string& reason) {
  engine_->stats.processing_errors.fetch_add(1, std::memory_order_relaxed);
  auto attempts = log_.record_failure(e.seq);
  if (!attempts) {
    engine_log.error("cannot count a failed attempt",
                     {{"event_id", e.id}, {"error", describe(attempts.error())}});
    return;
  }
  if (*attempts >= opts_.max_attempts) {
    engine_log.error(
      "event set aside as poison",
      {{"event_id", e.id}, {"reason", reason}, {"attempts", std::to_string(*attempts)}});
    engine_->stats.poisoned.fetch_add(1, std::memory_order_relaxed);
    if (auto err = log_.quarantine(e.seq, reason, *attempts))
      engine_log.error("cannot quarantine an event",
                       {{"event_id", e.id}, {"error", describe(err)}});
    return;
  }
  engine_log.warn(
    "the engine failed on an event; it will be tried again",
    {{"event_id", e.id}, {"reason", reason}, {"attempts", std::to_string(*attempts)}});
  if (opts_.requeue)
    opts_.requeue(e);
}

template <class... Ts>
caf::expected<std::string> workflow_service::ask(Ts&&... xs) {
  caf::scoped_actor self{sys_};
  caf::expected<std::string> result{std::string{}};
  self->request(manager_, command_timeout, std::forward<Ts>(xs)...)
    .receive([&](std::string& s) { result = std::move(s); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::expected<uint64_t> workflow_service::recover() {
  caf::scoped_actor self{sys_};
  caf::expected<uint64_t> result{uint64_t{0}};
  self->request(manager_, std::chrono::minutes{5}, recover_atom::value)
    .receive([&](uint64_t n) { result = n; }, [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::expected<std::string> workflow_service::execute(runbook::runbook_ptr book,
                                                     std::map<std::string, std::string> params,
                                                     model::label_set labels) {
  return ask(execute_atom::value,
             execute_request{std::move(book), std::move(params), std::move(labels)});
}

caf::expected<std::string> workflow_service::cancel(const std::string& id) {
  return ask(cancel_atom::value, id);
}

caf::expected<std::string> workflow_service::kill(const std::string& id) {
  return ask(kill_atom::value, id);
}

caf::expected<std::string> workflow_service::pause(const std::string& id) {
  return ask(pause_atom::value, id);
}

caf::expected<std::string> workflow_service::resume(const std::string& id, resume_options opts) {
  return ask(resume_atom::value, id, std::move(opts));
}

caf::expected<std::string> workflow_service::approve(const std::string& id, gate_decision d) {
  return ask(approve_atom::value, id, std::move(d));
}

caf::expected<std::string> workflow_service::reject(const std::string& id, gate_decision d) {
  return ask(reject_atom::value, id, std::move(d));
}

void workflow_service::stop() {
  if (stopped_)
    return;
  stopped_ = true;
  // Runs are linked to the manager: they stop with it. Commands still running are killed;
  // their steps run again after a restart (at least once, with a new idempotency key).
  engine_->stopping.store(true);
  caf::anon_send_exit(manager_, caf::exit_reason::user_shutdown);
  engine_->processes->kill_all();
  caf::anon_send_exit(engine_->executor, caf::exit_reason::user_shutdown);
  // Wait (bounded) for the detached command threads to notice their processes died.
  for (int i = 0; i < 500 && engine_->processes->running() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  manager_ = nullptr;
  store_->close();
}

} // namespace vigil::actors
