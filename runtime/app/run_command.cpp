#include "runtime/app/run_command.hpp"

#include <caf/actor_system.hpp>
#include <filesystem>
#include <iostream>
#include <thread>

#include "actors/plan.hpp"
#include "actors/system_config.hpp"
#include "actors/workflow_service.hpp"
#include "runtime/model/config.hpp"
#include "runtime/model/errc.hpp"
#include "storage/database.hpp"
#include "storage/event_log.hpp"

namespace vigil::app {

namespace {

/// Splits `k=v` arguments; false (with a message) on a malformed one.
bool split_pairs(const std::vector<std::string>& args, const char* flag,
                 std::map<std::string, std::string>& out) {
  for (const auto& a : args) {
    const auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "vigil run: " << flag << " expects KEY=VALUE, got \"" << a << "\"\n";
      return false;
    }
    out[a.substr(0, eq)] = a.substr(eq + 1);
  }
  return true;
}

/// A directory removed with its contents when the scope ends.
struct scratch_dir {
  scratch_dir() {
    auto tmpl = (std::filesystem::temp_directory_path() / "vigil-run-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) != nullptr)
      path = buf.data();
  }
  ~scratch_dir() {
    std::error_code ec;
    if (!path.empty())
      std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

void print_steps(const model::workflow_record& rec) {
  for (const auto& s : rec.steps) {
    std::cout << "  " << s.name << ": " << model::to_string(s.status);
    if (s.attempts > 1)
      std::cout << " after " << s.attempts << " attempts";
    if (s.status == model::step_status::failed && !s.error.empty())
      std::cout << " (" << s.error << ")";
    std::cout << "\n";
    if (!s.output.empty()) {
      std::string line;
      for (char c : s.output) {
        if (c == '\n') {
          std::cout << "    | " << line << "\n";
          line.clear();
        } else {
          line += c;
        }
      }
      if (!line.empty())
        std::cout << "    | " << line << "\n";
    }
  }
}

} // namespace

int run_runbook(const run_options& opts) {
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> label_pairs;
  if (!split_pairs(opts.params, "--param", params)
      || !split_pairs(opts.labels, "--label", label_pairs))
    return 2;
  runbook::integration_names integrations{std::string{runbook::any_integration}};
  if (!opts.config_path.empty()) {
    auto cfg = model::load_config_file(opts.config_path);
    if (!cfg) {
      for (const auto& d : cfg.errors())
        std::cerr << d.to_string() << "\n";
      return 2;
    }
    integrations.clear();
    for (const auto& i : cfg.value().integrations)
      integrations.push_back(i.name);
  }
  auto loaded = runbook::load_runbook_file(
    opts.file, std::filesystem::path{opts.file}.filename().string(), integrations);
  if (!loaded) {
    for (const auto& d : loaded.errors())
      std::cerr << d.to_string() << "\n";
    return 2;
  }
  auto book = std::make_shared<const runbook::runbook>(std::move(loaded).value());
  for (const auto& [k, v] : params)
    if (!book->parameters.empty() && book->parameters.count(k) == 0) {
      std::cerr << "vigil run: runbook " << book->name << " declares no parameter " << k << "\n";
      return 2;
    }
  model::event trigger;
  trigger.type = model::event_type::event;
  trigger.source = "vigil run";
  for (const auto& [k, v] : label_pairs)
    trigger.labels.set(k, v);
  trigger.fingerprint = model::fingerprint_of(trigger.labels);

  if (opts.dry_run) {
    std::cout << (opts.json ? actors::render_plan_json(*book, params, trigger) + "\n"
                            : actors::render_plan_text(*book, params, trigger));
    return 0;
  }

  scratch_dir scratch;
  if (scratch.path.empty()) {
    std::cerr << "vigil run: cannot create a temporary data directory\n";
    return 2;
  }
  auto db = storage::database::open({scratch.path});
  if (!db) {
    std::cerr << "vigil run: " << message_of(db.error()) << "\n";
    return 2;
  }
  const auto& clk = model::clock::system();
  auto log = storage::event_log::open(**db, clk, model::sync_policy::none, std::chrono::hours{1});
  if (!log) {
    std::cerr << "vigil run: " << message_of(log.error()) << "\n";
    return 2;
  }
  actors::system_config cfg;
  caf::actor_system sys{cfg};
  actors::workflow_service_options wopts;
  wopts.integrations = integrations;
  wopts.sync = model::sync_policy::none;
  actors::workflow_service wf{sys, **db, **log, clk, wopts};
  wf.install({book});
  std::cout << "running " << book->name << " locally (data in " << scratch.path << ")\n";
  auto id = wf.execute(book, params, trigger.labels);
  if (!id) {
    std::cerr << "vigil run: " << message_of(id.error()) << "\n";
    return 1;
  }
  // Wait until the run ends or stops for a human (nobody can approve a gate here).
  model::workflow_record rec;
  for (;;) {
    auto r = wf.store().get(*id);
    if (r) {
      rec = *r;
      const auto s = rec.state;
      if (model::is_terminal(s) || s == model::workflow_state::needs_human
          || s == model::workflow_state::awaiting_gate || s == model::workflow_state::paused)
        break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  std::cout << *id << ": " << model::to_string(rec.state);
  if (!rec.reason.empty())
    std::cout << " (" << rec.reason << ")";
  std::cout << "\n";
  print_steps(rec);
  if (rec.state == model::workflow_state::awaiting_gate)
    std::cout << "step " << rec.gate_step
              << " waits for an approval, which `vigil run` cannot give; "
              << "run it under `vigil serve` to approve it\n";
  wf.stop();
  (*log)->close();
  return rec.state == model::workflow_state::completed ? 0 : 1;
}

} // namespace vigil::app
