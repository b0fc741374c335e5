#include "runtime/app/validate_command.hpp"

#include <filesystem>
#include <iostream>
#include <system_error>

#include "runtime/model/config.hpp"
#include "runtime/runbook/runbook.hpp"

namespace vigil::app {

namespace {

/// The integration names steps may use: the config's, or any name (with a note) without one.
runbook::integration_names integrations_for(const std::string& config_path) {
  if (!config_path.empty()) {
    auto cfg = model::load_config_file(config_path);
    if (cfg) {
      runbook::integration_names names;
      for (const auto& i : cfg.value().integrations)
        names.push_back(i.name);
      return names;
    }
    std::cerr << "note: cannot use " << config_path << " (" << cfg.errors().front().to_string()
              << "); any integration name is accepted\n";
  } else {
    std::cerr << "note: no --config given; any integration name is accepted\n";
  }
  return {std::string{runbook::any_integration}};
}

} // namespace

int run_validate(const std::vector<std::string>& paths, const std::string& config_path) {
  namespace fs = std::filesystem;
  bool missing = false;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      std::cerr << p << ": no such file or directory\n";
      missing = true;
    }
  }
  if (missing)
    return 2;

  const auto integrations = integrations_for(config_path);
  std::size_t valid = 0, files = 0;
  model::diagnostics errors;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      auto report = runbook::load_repository(p, integrations);
      files += report.files;
      valid += report.runbooks.size();
      errors.insert(errors.end(), report.errors.begin(), report.errors.end());
      continue;
    }
    ++files;
    auto loaded =
      runbook::load_runbook_file(p, fs::path{p}.filename().generic_string(), integrations);
    if (loaded)
      ++valid;
    else
      errors.insert(errors.end(), loaded.errors().begin(), loaded.errors().end());
  }
  for (const auto& d : errors)
    std::cerr << d.to_string() << "\n";
  if (!errors.empty()) {
    std::cerr << errors.size() << (errors.size() == 1 ? " error" : " errors") << " in "
              << files - valid << " of " << files << (files == 1 ? " file" : " files") << "\n";
    return 1;
  }
  std::cout << valid << " runbooks ok\n";
  return 0;
}

} // namespace vigil::app
