#include "runtime/app/doctor_command.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <future>
#include <ostream>
#include <set>
#include <sys/statvfs.h>
#include <unistd.h>
#include <vector>

#include "actors/integrations/adapters.hpp"
#include "actors/integrations/http_transport.hpp"
#include "runtime/model/clock.hpp"
#include "runtime/model/config.hpp"
#include "runtime/model/json_writer.hpp"
#include "runtime/runbook/runbook.hpp"

namespace vigil::app {

namespace {

namespace fs = std::filesystem;

enum class verdict : uint8_t { ok, warn, fail };

struct check {
  std::string name;   ///< config, data, runbooks, exec, integration
  std::string target; ///< what was checked: a path, a program, an integration
  verdict result = verdict::ok;
  std::string detail;
};

std::string_view to_string(verdict v) {
  switch (v) {
    case verdict::ok:
      return "ok";
    case verdict::warn:
      return "warn";
    case verdict::fail:
      return "FAIL";
  }
  return "FAIL";
}

std::string mebibytes(uint64_t bytes) {
  return std::to_string(bytes >> 20) + " MiB";
}

/// The data directory: there (or creatable below an existing parent), writable, with room.
check check_data(const std::string& dir, uint64_t min_free) {
  check c{"data", dir};
  std::error_code ec;
  fs::path probe_dir{dir};
  if (!fs::exists(probe_dir, ec)) {
    // `vigil serve` creates it: its nearest existing parent must take it.
    while (!probe_dir.empty() && !fs::exists(probe_dir, ec))
      probe_dir = probe_dir.parent_path();
    if (probe_dir.empty())
      probe_dir = ".";
  } else if (!fs::is_directory(probe_dir, ec)) {
    c.result = verdict::fail;
    c.detail = "not a directory";
    return c;
  }
  const auto test_file = (probe_dir / (".vigil-doctor-" + std::to_string(::getpid()))).string();
  const int fd = ::open(test_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    c.result = verdict::fail;
    c.detail = "cannot write in " + probe_dir.string() + ": " + std::strerror(errno);
    return c;
  }
  ::close(fd);
  ::unlink(test_file.c_str());
  struct statvfs fsinfo {};
  if (::statvfs(probe_dir.c_str(), &fsinfo) != 0) {
    c.result = verdict::warn;
    c.detail = "writable; cannot read the free space";
    return c;
  }
  const uint64_t free_bytes = static_cast<uint64_t>(fsinfo.f_bavail) * fsinfo.f_frsize;
  c.detail = "writable, " + mebibytes(free_bytes) + " free";
  if (free_bytes < min_free) {
    c.result = verdict::fail;
    c.detail +=
      ", less than storage.min_free_bytes (" + mebibytes(min_free) + "): ingest would answer 503";
  } else if (!fs::exists(dir, ec)) {
    c.detail += " (created at the first start)";
  }
  return c;
}

/// Where `program` runs from: itself when it has a slash, else the first executable on `path`.
std::string find_program(const std::string& program, const std::string& path) {
  if (program.find('/') != std::string::npos)
    return ::access(program.c_str(), X_OK) == 0 ? program : std::string{};
  std::size_t from = 0;
  while (from <= path.size()) {
    const auto colon = path.find(':', from);
    auto dir = path.substr(from, colon == std::string::npos ? std::string::npos : colon - from);
    if (dir.empty())
      dir = ".";
    auto candidate = dir + "/" + program;
    std::error_code ec;
    if (::access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate, ec))
      return candidate;
    if (colon == std::string::npos)
      break;
    from = colon + 1;
  }
  return {};
}

/// Every program the exec actions of `books` name, once each, with where they are named.
void check_programs(const std::vector<runbook::runbook_ptr>& books, const std::string& path,
                    std::vector<check>& out) {
  std::set<std::string> seen;
  auto look = [&](const runbook::runbook& b, const runbook::action& a, const std::string& where) {
    if (a.kind != runbook::action_kind::exec || a.command.empty())
      return;
    const auto& program = a.command.front();
    if (!program.is_literal()) {
      out.push_back({"exec", program.source(), verdict::warn,
                     b.path + " " + where + ": the program is a template; checked when it runs"});
      return;
    }
    const auto& name = program.source();
    if (!seen.insert(name).second)
      return;
    const auto found = find_program(name, path);
    if (found.empty())
      out.push_back(
        {"exec", name, verdict::fail,
         "not found on PATH=" + path + " (first named by " + b.path + " " + where + ")"});
    else
      out.push_back({"exec", name, verdict::ok, found});
  };
  for (const auto& b : books) {
    for (const auto& s : b->steps) {
      look(*b, s.action, "step " + s.name);
      if (s.rollback)
        look(*b, *s.rollback, "step " + s.name + " rollback");
    }
    if (b->escalation)
      look(*b, *b->escalation, "escalation");
  }
}

/// One probe of `cfg`, its answer or its failure, within `timeout`.
check check_integration(const model::integration_config& cfg, actors::http_transport& transport,
                        std::chrono::milliseconds timeout) {
  check c{"integration", cfg.name};
  if (!cfg.enabled) {
    c.result = verdict::warn;
    c.detail = "disabled in the config: not checked";
    return c;
  }
  if (auto missing = model::missing_setting(cfg); !missing.empty()) {
    c.result = verdict::fail;
    c.detail = cfg.type + ": " + missing;
    return c;
  }
  auto plan = actors::plan_probe(cfg);
  if (!plan) {
    c.detail = cfg.type + ": settings present; not probed (a " + cfg.type
               + " webhook cannot be probed without posting; set health.path to probe one)";
    return c;
  }
  plan->request.timeout = std::min(plan->request.timeout, timeout);
  auto answer = std::make_shared<std::promise<actors::http_response>>();
  auto got = answer->get_future();
  transport.submit(plan->request,
                   [answer](actors::http_response r) { answer->set_value(std::move(r)); });
  if (got.wait_for(timeout + std::chrono::seconds{1}) != std::future_status::ready) {
    c.result = verdict::fail;
    c.detail = "no answer within " + std::to_string(timeout.count()) + " ms";
    return c;
  }
  const auto resp = got.get();
  const auto probe = actors::read_probe(cfg, resp, model::clock::system().now());
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(resp.elapsed).count();
  if (resp.status == 401 || resp.status == 403) {
    c.result = verdict::fail;
    c.detail = "credentials refused: HTTP " + std::to_string(resp.status);
  } else if (!probe.ok) {
    c.result = verdict::fail;
    c.detail = probe.error.empty() ? "probe failed" : probe.error;
  } else {
    c.detail = "HTTP " + std::to_string(resp.status) + " in " + std::to_string(ms) + " ms";
    if (!probe.detail.empty())
      c.detail += ": " + probe.detail;
  }
  return c;
}

void print(const std::vector<check>& checks, bool json, std::ostream& out) {
  std::size_t failed = 0;
  for (const auto& c : checks)
    failed += c.result == verdict::fail ? 1 : 0;
  if (json) {
    model::json_writer w;
    w.begin_object().field("ok", failed == 0).field("failed", static_cast<uint64_t>(failed));
    w.key("checks").begin_array();
    for (const auto& c : checks)
      w.begin_object()
        .field("check", c.name)
        .field("target", c.target)
        .field("result", c.result == verdict::fail ? std::string_view{"fail"} : to_string(c.result))
        .field("detail", c.detail)
        .end_object();
    w.end_array().end_object();
    out << w.str() << "\n";
    return;
  }
  for (const auto& c : checks) {
    std::string head{to_string(c.result)};
    head.resize(6, ' ');
    std::string name = c.name;
    name.resize(std::max<std::size_t>(name.size() + 1, 13), ' ');
    out << head << name << c.target << (c.detail.empty() ? "" : ": " + c.detail) << "\n";
  }
  out << (failed == 0
            ? "all checks passed"
            : std::to_string(failed) + " of " + std::to_string(checks.size()) + " checks failed")
      << "\n";
}

} // namespace

int run_doctor(const doctor_options& opts, std::ostream& out, std::ostream& err) {
  if (opts.probe_timeout.count() <= 0) {
    err << "vigil doctor: --timeout must be positive\n";
    return 2;
  }
  std::vector<check> checks;
  auto cfg = model::load_config_file(opts.config_path);
  if (!cfg) {
    for (const auto& d : cfg.errors())
      checks.push_back({"config", opts.config_path, verdict::fail, d.to_string()});
    print(checks, opts.json, out);
    return 1;
  }
  const auto& c = cfg.value();
  checks.push_back({"config", opts.config_path, verdict::ok,
                    std::to_string(c.integrations.size()) + " integrations"});
  checks.push_back(
    check_data(opts.data_dir.empty() ? c.storage.path : opts.data_dir, c.storage.min_free_bytes));

  runbook::integration_names names;
  for (const auto& i : c.integrations)
    names.push_back(i.name);
  const auto report = runbook::load_repository(c.runbooks.repository, names);
  if (report.errors.empty()) {
    checks.push_back({"runbooks", c.runbooks.repository, verdict::ok,
                      std::to_string(report.runbooks.size()) + " runbooks load"});
  } else {
    for (const auto& d : report.errors)
      checks.push_back({"runbooks", c.runbooks.repository, verdict::fail, d.to_string()});
  }
  const char* env_path = std::getenv("PATH");
  const std::string path = !opts.path.empty()    ? opts.path
                           : env_path != nullptr ? std::string{env_path}
                                                 : std::string{"/usr/bin:/bin"};
  check_programs(report.runbooks, path, checks);

  auto transport = actors::make_curl_transport();
  for (const auto& i : c.integrations)
    checks.push_back(check_integration(i, *transport, opts.probe_timeout));
  print(checks, opts.json, out);
  for (const auto& k : checks)
    if (k.result == verdict::fail)
      return 1;
  return 0;
}

} // namespace vigil::app
