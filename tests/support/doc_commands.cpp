#include "tests/support/doc_commands.hpp"

#include <chrono>
#include <csignal>
#include <regex>
#include <sstream>

#include <filesystem>
#include <gtest/gtest.h>

#include "tests/support/process.hpp"
#include "tests/support/scripted_http_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::test {

using namespace std::chrono_literals;

bool continues(const std::string& text) {
  enum { none, single, dbl } state = none;
  bool word_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (state == single) {
      if (c == '\'')
        state = none;
      continue;
    }
    if (state == dbl) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        state = none;
      continue;
    }
    if (c == '\\') {
      if (i + 1 == text.size())
        return true; // a backslash at the very end: the next line continues the command
      ++i;
      word_start = false;
      continue;
    }
    if (c == '#' && word_start) {
      while (i < text.size() && text[i] != '\n')
        ++i;
      word_start = true;
      continue;
    }
    if (c == '\'')
      state = single;
    else if (c == '"')
      state = dbl;
    word_start = c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '|' || c == '&' || c == '(';
  }
  return state != none;
}

std::string trim_left(const std::string& s) {
  const auto from = s.find_first_not_of(" \t");
  return from == std::string::npos ? std::string{} : s.substr(from);
}

std::vector<doc_command> extract_commands(const std::string& markdown, bool any_command) {
  std::vector<std::string> lines;
  {
    std::istringstream in{markdown};
    for (std::string l; std::getline(in, l);)
      lines.push_back(l);
  }
  std::vector<doc_command> out;
  std::string last_text; // the last non-blank line outside blocks
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto line = trim_left(lines[i]);
    if (line.rfind("```", 0) != 0) {
      if (!line.empty())
        last_text = line;
      continue;
    }
    const bool checked = line.substr(3) == "bash" && last_text.rfind("<!-- not-checked", 0) != 0;
    last_text.clear();
    // The block's lines, up to the closing fence.
    std::size_t end = i + 1;
    while (end < lines.size() && trim_left(lines[end]).rfind("```", 0) != 0)
      ++end;
    for (std::size_t j = i + 1; checked && j < end; ++j) {
      const int first_line = static_cast<int>(j) + 1;
      std::string text = lines[j];
      while (continues(text) && j + 1 < end)
        text += "\n" + lines[++j];
      const auto command = trim_left(text);
      const bool wanted =
        any_command ? command.rfind('#', 0) != 0 && command.find("curl ") != std::string::npos
                    : command.rfind("curl ", 0) == 0;
      if (wanted)
        out.push_back({first_line, command});
    }
    i = end;
  }
  return out;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

shell_result run_shell(const std::string& script, const std::string& cwd,
                       const std::string& log_prefix) {
  test::child_process p{{"/bin/bash", "-o", "pipefail", "-c", script}, log_prefix, {}, cwd};
  shell_result r;
  auto code = p.wait(60s);
  if (!code) {
    p.signal(SIGKILL);
    p.wait(10s);
  }
  r.code = code.value_or(-1);
  r.out = p.stdout_text();
  if (const auto err = p.stderr_text(); !err.empty())
    r.out += (r.out.empty() ? "" : "\n") + err;
  return r;
}

std::string first_workflow_id(const std::string& text) {
  static const std::regex id{"wf-[0-9a-f]{16}"};
  std::smatch m;
  return std::regex_search(text, m, id) ? m.str() : std::string{};
}

void answer_like_prometheus(scripted_http_server& stub) {
  stub.set_handler([](const recorded_request& r) -> std::optional<scripted_response> {
    const auto path = r.target.substr(0, r.target.find('?'));
    if (path == "/-/healthy")
      return scripted_response::ok("Prometheus Server is Healthy.\n");
    if (path == "/api/v1/query")
      return scripted_response::json(
        200, R"({"status":"success","data":{"resultType":"vector","result":)"
             R"([{"metric":{"instance":"server-01"},"value":[1700000000,"42"]}]}})");
    if (path == "/api/v1/alerts")
      return scripted_response::json(200, R"({"status":"success","data":{"alerts":[]}})");
    if (path == "/api/v2/alerts")
      return scripted_response::json(200, "[]");
    if (path == "/api/v2/silences")
      return scripted_response::json(200, R"({"silenceID":"stub"})");
    return scripted_response::json(404, R"({"error":"not found"})");
  });
}

std::string write_shipped_config(temp_dir& dir, const std::string& stub_url) {
  namespace fs = std::filesystem;
  fs::create_directories(dir.file("runbooks"));
  fs::create_directories(dir.file("work"));
  fs::copy(source_dir() + "/configs/runbooks", dir.file("runbooks"), fs::copy_options::recursive);
  auto config = read_file(source_dir() + "/configs/vigil.yaml");
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
         {"./configs/runbooks", dir.file("runbooks")},
         {"http://localhost:9090", stub_url},
         {"http://localhost:9093", stub_url}}) {
    EXPECT_NE(config.find(from), std::string::npos) << "configs/vigil.yaml has no " << from;
    replace_all(config, from, to);
  }
  write_file(dir.file("vigil.yaml"), config);
  return dir.file("vigil.yaml");
}

} // namespace vigil::test
