#pragma once

// Deterministic workflow-actor tests: CAF's test coordinator runs every actor on the test
// thread, its clock moves only when told (no sleeps), commands run as real subprocesses inside
// the executor's handler, and checkpoints go synchronously to a real RocksDB in a temp dir.

#include <caf/test/dsl.hpp>
#include <gtest/gtest.h>

#include "actors/executor.hpp"
#include "actors/messages.hpp"
#include "actors/system_config.hpp"
#include "actors/workflow_manager.hpp"
#include "runtime/model/errc.hpp"
#include "storage/database.hpp"
#include "storage/event_log.hpp"
#include "storage/workflow_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::test {

/// test_coordinator_fixture wants a config type it can default-construct.
struct actor_test_config : actors::system_config {
  actor_test_config() : actors::system_config(1) {}
};

class workflow_fixture : public test_coordinator_fixture<actor_test_config>,
                         public ::testing::Test {
public:
  workflow_fixture();
  ~workflow_fixture() override;

  /// Loads a runbook from YAML text; fails the test on any diagnostic.
  runbook::runbook_ptr load(const std::string& yaml);

  /// An alert event with these labels, stored in the event log (so it has a sequence).
  model::event alert(std::initializer_list<std::pair<const char*, std::string>> labels,
                     model::event_status status = model::event_status::firing);

  /// Hands an event and the runbooks it matched to the manager, runs all messages.
  void trigger(const model::event& e, const std::vector<runbook::runbook_ptr>& books);

  /// Starts a runbook by hand; its run id.
  std::string execute(const runbook::runbook_ptr& book,
                      std::map<std::string, std::string> params = {});

  /// Sends an operator command to the manager and returns the answer (state name or error).
  template <class... Ts>
  caf::expected<std::string> command(Ts&&... xs) {
    self->send(manager, std::forward<Ts>(xs)...);
    consume_messages();
    caf::expected<std::string> result{std::string{}};
    self->receive([&](std::string& s) { result = std::move(s); },
                  [&](caf::error& err) { result = std::move(err); },
                  caf::after(std::chrono::seconds{0}) >>
                    [&] { result = make_error(errc::timeout, "no answer"); });
    return result;
  }

  /// Moves both clocks (CAF's and the engine's) forward and runs what became due.
  void advance(std::chrono::milliseconds d);

  /// The run's checkpoint as stored.
  model::workflow_record record(const std::string& id);

  /// The run's timeline as stored, one "kind:step:message" per line.
  std::string timeline(const std::string& id);

  temp_dir dir;
  model::manual_clock clock;
  std::unique_ptr<storage::database> db;
  std::unique_ptr<storage::event_log> log;
  std::unique_ptr<storage::workflow_store> store;
  actors::engine eng;
  caf::actor manager;
  /// Runbooks by digest, for waking hibernated runs.
  std::map<std::string, runbook::runbook_ptr> books;
};

} // namespace vigil::test
