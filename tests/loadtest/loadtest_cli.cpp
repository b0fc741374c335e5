// `vigil loadtest` wired exactly as runtime/app/main.cpp wires it, as its own small program, so
// that tests run the generator as a process (exit codes, stdout) without the whole engine.

#include <CLI/CLI.hpp>

#include "bench/loadtest/loadtest.hpp"

int main(int argc, char** argv) {
  CLI::App cli{"vigil loadtest, for tests", "vigil"};
  cli.require_subcommand(1);
  vigil::loadtest::loadtest_options loadtest;
  auto* loadtest_cmd =
    cli.add_subcommand("loadtest", "Drive a running Vigil at a target rate and check SLOs");
  vigil::loadtest::add_loadtest_options(*loadtest_cmd, loadtest);
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = cli.exit(e);
    // `vigil loadtest` exits 2 on bad flags: 1 means "an SLO was missed".
    return code != 0 && loadtest_cmd->parsed() ? 2 : code;
  }
  return vigil::loadtest::run_loadtest(loadtest);
}
