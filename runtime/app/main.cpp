// vigil: one binary, one subcommand per job. See `vigil --help`.

#include <iostream>

#include <CLI/CLI.hpp>

#include "bench/loadtest/loadtest.hpp"
#include "runtime/app/commands.hpp"
#include "runtime/app/doctor_command.hpp"
#include "runtime/app/run_command.hpp"
#include "runtime/app/status_command.hpp"
#include "runtime/app/storage_commands.hpp"
#include "runtime/app/validate_command.hpp"
#include "runtime/app/version.hpp"
#include "runtime/model/time.hpp"

int main(int argc, char** argv) {
  using namespace vigil::app;
  CLI::App cli{"Vigil: an actor-model event processing engine for operations", "vigil"};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", std::string{vigil_version()});

  serve_options serve;
  auto* serve_cmd = cli.add_subcommand("serve", "Run the engine: HTTP API, ingest, workflows");
  serve_cmd->add_option("-c,--config", serve.config_path, "Config file")
    ->default_val("configs/vigil.yaml")
    ->check(CLI::ExistingFile);
  serve_cmd->add_option("--listen", serve.listen,
                        "HOST:PORT to listen on (overrides server.listen)");
  serve_cmd->add_option("--data", serve.data_dir, "Data directory (overrides storage.path)");
  serve_cmd->add_flag("--insecure", serve.insecure,
                      "Allow listening beyond loopback without auth tokens (not recommended)");
  serve_cmd
    ->add_option("--log-level", serve.log_level,
                 "trace|debug|info|warn|error|off (overrides LOGLEVEL and logging.level)")
    ->check(
      CLI::IsMember({"trace", "debug", "info", "warn", "warning", "error", "critical", "off"}));

  std::string config_file;
  auto* validate_config_cmd =
    cli.add_subcommand("validate-config", "Check a config file; exit 1 listing every problem");
  validate_config_cmd->add_option("file", config_file, "Config file")->required();

  std::vector<std::string> validate_paths;
  auto* validate_cmd =
    cli.add_subcommand("validate", "Check runbook files or folders; exit 1 listing every problem");
  validate_cmd->add_option("paths", validate_paths, "Runbook files or folders")->required();
  std::string validate_config;
  validate_cmd->add_option("-c,--config", validate_config,
                           "Config whose integrations the steps may name");

  run_options run_opts;
  auto* run_cmd = cli.add_subcommand("run", "Run one runbook here (or render it with --dry-run)");
  run_cmd->add_option("runbook", run_opts.file, "Runbook file")
    ->required()
    ->check(CLI::ExistingFile);
  run_cmd->add_option("-p,--param", run_opts.params, "Parameter KEY=VALUE (repeatable)");
  run_cmd->add_option("-l,--label", run_opts.labels, "Trigger label KEY=VALUE (repeatable)");
  run_cmd->add_option("-c,--config", run_opts.config_path,
                      "Config whose integrations steps may name");
  run_cmd->add_flag("--dry-run", run_opts.dry_run, "Render every step and run nothing");
  run_cmd->add_flag("--json", run_opts.json, "With --dry-run: print the plan as JSON");
  std::string backup_data, backup_to, restore_from, restore_data, repair_data;
  bool restore_force = false;
  auto* backup_cmd = cli.add_subcommand(
    "backup", "Copy a data directory (also while the server runs) and verify the copy");
  backup_cmd->add_option("--data", backup_data, "Data directory to back up")->required();
  backup_cmd->add_option("--to", backup_to, "New, empty directory for the backup")->required();
  auto* restore_cmd = cli.add_subcommand("restore", "Restore a backup into a data directory");
  restore_cmd->add_option("--from", restore_from, "Backup directory")->required();
  restore_cmd->add_option("--data", restore_data, "Data directory to restore into")->required();
  restore_cmd->add_flag("--force", restore_force, "Replace a non-empty data directory");
  auto* repair_cmd =
    cli.add_subcommand("repair", "Salvage a damaged data directory (RocksDB repair)");
  repair_cmd->add_option("--data", repair_data, "Data directory")->required();
  std::string archive_data;
  std::string archive_before;
  std::string archive_to;
  auto* archive_cmd = cli.add_subcommand(
    "archive", "Write finished runs older than --before to an NDJSON file, then remove them");
  archive_cmd->add_option("--data", archive_data, "Data directory (of a stopped server)")
    ->required();
  archive_cmd->add_option("--before", archive_before, "90d, 12h, ... back from now, or RFC 3339")
    ->required();
  archive_cmd->add_option("--to", archive_to, "NDJSON file the runs are appended to")->required();
  (void)archive_cmd;
  auto* loadtest_cmd =
    cli.add_subcommand("loadtest", "Drive a running Vigil at a target rate and check SLOs");
  vigil::loadtest::loadtest_options loadtest_opts;
  vigil::loadtest::add_loadtest_options(*loadtest_cmd, loadtest_opts);
  status_options status_opts;
  auto* status_cmd = cli.add_subcommand(
    "status", "One-screen summary of a running Vigil; exit 0 healthy, 1 unhealthy, 2 unreachable");
  add_status_options(*status_cmd, status_opts);
  doctor_options doctor_opts;
  std::string doctor_timeout = "5s";
  auto* doctor_cmd = cli.add_subcommand(
    "doctor", "Check that this machine can run the config and its runbooks; exit 1 on a failure");
  doctor_cmd->add_option("-c,--config", doctor_opts.config_path, "Config file")
    ->capture_default_str();
  doctor_cmd->add_option("--data", doctor_opts.data_dir, "Data directory (overrides storage.path)");
  doctor_cmd->add_flag("--json", doctor_opts.json, "Print the checks as one JSON object");
  doctor_cmd
    ->add_option("--timeout", doctor_timeout, "Bound of each integration probe (500ms, 5s, ...)")
    ->capture_default_str();
  doctor_cmd->add_option("--path", doctor_opts.path,
                         "PATH the service runs with (default: this shell's PATH)");
  cli.add_subcommand("version",
                     "Print the version of Vigil and of the libraries it was built with");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = cli.exit(e);
    // `vigil loadtest` and `vigil status` exit 2 on bad flags: 1 means "an SLO was missed" or
    // "unhealthy".
    return code != 0 && (loadtest_cmd->parsed() || status_cmd->parsed() || doctor_cmd->parsed())
             ? 2
             : code;
  }

  const auto* cmd = cli.get_subcommands().front();
  const auto name = cmd->get_name();
  if (name == "serve")
    return run_serve(serve);
  if (name == "validate-config")
    return run_validate_config(config_file);
  if (name == "backup")
    return run_backup(backup_data, backup_to);
  if (name == "restore")
    return run_restore(restore_from, restore_data, restore_force);
  if (name == "archive")
    return run_archive(archive_data, archive_before, archive_to);
  if (name == "repair")
    return run_repair(repair_data);
  if (name == "run")
    return run_runbook(run_opts);
  if (name == "validate")
    return run_validate(validate_paths, validate_config);
  if (name == "version") {
    std::cout << version_report();
    return 0;
  }
  if (name == "loadtest")
    return vigil::loadtest::run_loadtest(loadtest_opts);
  if (name == "status")
    return run_status(status_opts, std::cout, std::cerr);
  if (name == "doctor") {
    const auto timeout = vigil::model::parse_duration(doctor_timeout);
    if (!timeout || timeout->count() <= 0) {
      std::cerr << "vigil doctor: --timeout \"" << doctor_timeout
                << "\" is not a duration (500ms, 5s)\n";
      return 2;
    }
    doctor_opts.probe_timeout = *timeout;
    return run_doctor(doctor_opts, std::cout, std::cerr);
  }
  return not_yet_available(name);
}
