#include "tests/actors/workflow_fixture.hpp"

#include <caf/test/unit_test_impl.hpp>

namespace vigil::test {

workflow_fixture::workflow_fixture() {
  auto opened = storage::database::open({dir.file("data")});
  if (!opened)
    throw std::runtime_error(describe(opened.error()));
  db = std::move(*opened);
  log = std::move(
    *storage::event_log::open(*db, clock, model::sync_policy::none, std::chrono::hours{24}));
  store = std::make_unique<storage::workflow_store>(*db, model::sync_policy::none);
  eng.clock = &clock;
  eng.store = store.get();
  auto* s = store.get();
  // Synchronous and inline: the callback runs inside the actor's handler, on the test thread.
  eng.persist = [s](storage::workflow_write w, const std::function<void(caf::error)>& done) {
    done(s->write_sync(std::move(w)));
  };
  eng.executor = actors::spawn_executor(sys, eng.processes, true);
  eng.options.seed = 42;
  eng.resolve_runbook = [this](const model::workflow_record& rec) -> runbook::runbook_ptr {
    auto it = books.find(rec.runbook_sha256);
    return it == books.end() ? nullptr : it->second;
  };
  eng.options.default_exec_timeout = std::chrono::seconds{20};
  manager = actors::spawn_workflow_manager(sys, &eng);
  consume_messages();
}

workflow_fixture::~workflow_fixture() {
  caf::anon_send_exit(manager, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(eng.executor, caf::exit_reason::user_shutdown);
  consume_messages();
  store->close();
  log->close();
}

runbook::runbook_ptr workflow_fixture::load(const std::string& yaml) {
  auto loaded = runbook::load_runbook_text(yaml, "test.yaml", "test.yaml", {});
  if (!loaded) {
    std::string all;
    for (const auto& d : loaded.errors())
      all += d.to_string() + "\n";
    ADD_FAILURE() << "runbook did not load:\n" << all;
    return nullptr;
  }
  auto book = std::make_shared<const runbook::runbook>(std::move(loaded).value());
  books[book->sha256] = book;
  return book;
}

model::event
workflow_fixture::alert(std::initializer_list<std::pair<const char*, std::string>> labels,
                        model::event_status status) {
  model::event e;
  e.type = model::event_type::alert;
  e.status = status;
  e.source = "test";
  for (const auto& [k, v] : labels)
    e.labels.set(k, v);
  e.fingerprint = model::fingerprint_of(e.labels);
  e.received_at = clock.now();
  auto r = log->append_sync({e});
  if (!r.accepted.empty())
    return r.accepted.front();
  // A repeat (a resolve after a firing is not one): reuse the stored event.
  e.seq = log->last_seq();
  return e;
}

void workflow_fixture::trigger(const model::event& e,
                               const std::vector<runbook::runbook_ptr>& books) {
  self->send(manager, actors::start_atom::value, e, books);
  consume_messages();
}

std::string workflow_fixture::execute(const runbook::runbook_ptr& book,
                                      std::map<std::string, std::string> params) {
  auto r = command(actors::execute_atom::value, actors::execute_request{book, std::move(params)});
  if (!r) {
    ADD_FAILURE() << "execute failed: " << describe(r.error());
    return {};
  }
  return *r;
}

void workflow_fixture::advance(std::chrono::milliseconds d) {
  clock.advance(d);
  advance_time(d);
  consume_messages();
}

model::workflow_record workflow_fixture::record(const std::string& id) {
  auto r = store->get(id);
  if (!r) {
    ADD_FAILURE() << "no record " << id << ": " << describe(r.error());
    return {};
  }
  return *r;
}

std::string workflow_fixture::timeline(const std::string& id) {
  auto entries = store->log(id);
  std::string out;
  if (!entries)
    return out;
  for (const auto& e : *entries)
    out += e.kind + ":" + e.step + ":" + e.message + "\n";
  return out;
}

} // namespace vigil::test
