#pragma once

// Commands of a Markdown page's ```bash blocks, for the tests that run a page against a real
// `vigil serve` (docs/operations.md, the reference operations runbook).

#include <string>
#include <vector>

namespace vigil::test {

class scripted_http_server;
class temp_dir;

/// One command of a page, and the line it starts on.
struct doc_command {
  int line = 0;
  std::string text;
};

/// Whether the shell text so far leaves the command open: a trailing backslash-newline or an
/// unclosed quote. `#` at a word start (outside quotes) comments out the rest of its line.
[[nodiscard]] bool continues(const std::string& text);

[[nodiscard]] std::string trim_left(const std::string& s);

/// The commands of the ```bash blocks of `markdown` (continuation lines joined) whose text
/// starts with `curl ` (`any_command` false) or that contain `curl ` at all (true). A block
/// right after an HTML comment `<!-- not-checked ... -->` is skipped.
[[nodiscard]] std::vector<doc_command> extract_commands(const std::string& markdown,
                                                        bool any_command = false);

void replace_all(std::string& s, const std::string& from, const std::string& to);

/// The outcome of one run of a command.
struct shell_result {
  int code = -1;
  std::string out; ///< stdout, then stderr
};

/// Runs `script` with `bash -o pipefail -c` in `cwd` (a minute at most).
[[nodiscard]] shell_result run_shell(const std::string& script, const std::string& cwd,
                                     const std::string& log_prefix);

/// Makes `stub` answer as a healthy Prometheus and Alertmanager do (`/-/healthy`, an instant
/// query with one sample, no alerts).
void answer_like_prometheus(scripted_http_server& stub);

/// Writes `dir/vigil.yaml`: the shipped configs/vigil.yaml with its runbook repository a copy of
/// configs/runbooks in `dir/runbooks`, and its Prometheus and Alertmanager at `stub_url`. The
/// path of the written file; adds a test failure when the shipped config lacks what is replaced.
std::string write_shipped_config(temp_dir& dir, const std::string& stub_url);

/// The first workflow id (`wf-` and 16 hex digits) in `text`, or empty.
[[nodiscard]] std::string first_workflow_id(const std::string& text);

} // namespace vigil::test
