// A folder of runbooks: every *.yaml / *.yml under it, each validated on its own.

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <unordered_map>

#include "runtime/model/yaml_limits.hpp"
#include "runtime/runbook/loader_internal.hpp"

namespace vigil::runbook {

namespace fs = std::filesystem;

namespace {

bool is_runbook_file(const fs::path& p) {
  const auto ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

bool hidden(const fs::path& p) {
  const auto name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

} // namespace

repository_report load_repository(const std::string& dir, const integration_names& integrations) {
  repository_report report;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    report.errors.push_back(model::diagnostic{dir, "", 0, 0, "not a directory"});
    return report;
  }
  // Relative paths, sorted: load order (and so match order) does not depend on the file
  // system. Hidden entries (.git, .github) are not runbooks.
  std::vector<std::string> files;
  fs::recursive_directory_iterator it{dir, fs::directory_options::none, ec};
  for (; !ec && it != fs::recursive_directory_iterator{}; it.increment(ec)) {
    if (hidden(it->path())) {
      if (it->is_directory(ec))
        it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec) && is_runbook_file(it->path()))
      files.push_back(fs::relative(it->path(), dir, ec).generic_string());
  }
  if (ec)
    report.errors.push_back(model::diagnostic{dir, "", 0, 0, "cannot list: " + ec.message()});
  std::sort(files.begin(), files.end());
  report.files = files.size();

  std::unordered_map<std::string, std::string> seen; // name -> path of its first runbook
  for (const auto& rel : files) {
    const auto origin = (fs::path{dir} / rel).string();
    auto text = model::read_yaml_file(origin);
    if (!text) {
      report.errors.insert(report.errors.end(), text.errors().begin(), text.errors().end());
      report.rejected[rel] = text.errors();
      continue;
    }
    int line = 0, column = 0;
    auto loaded = detail::load_text(text.value(), origin, rel, integrations, &line, &column);
    if (!loaded) {
      report.errors.insert(report.errors.end(), loaded.errors().begin(), loaded.errors().end());
      report.rejected[rel] = loaded.errors();
      continue;
    }
    const auto& name = loaded.value().name;
    if (const auto first = seen.find(name); first != seen.end()) {
      report.errors.push_back(model::diagnostic{origin, "name", line, column,
                                                "duplicate runbook name \"" + name
                                                  + "\" (already used by " + first->second + ")"});
      report.rejected[rel].push_back(report.errors.back());
      continue;
    }
    seen.emplace(name, rel);
    report.runbooks.push_back(std::make_shared<const runbook>(std::move(loaded).value()));
  }
  model::sort_by_position(report.errors);
  return report;
}

} // namespace vigil::runbook
