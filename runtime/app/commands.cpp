#include "runtime/app/commands.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <pthread.h>

#include "runtime/app/application.hpp"
#include "runtime/app/logger.hpp"
#include "runtime/model/config.hpp"
#include "runtime/model/errc.hpp"

namespace vigil::app {

namespace {

void print_diagnostics(const model::diagnostics& errors) {
  for (const auto& d : errors)
    std::cerr << d.to_string() << "\n";
  std::cerr << errors.size() << (errors.size() == 1 ? " error" : " errors") << "\n";
}

} // namespace

int run_validate_config(const std::string& path) {
  auto cfg = model::load_config_file(path);
  if (!cfg) {
    print_diagnostics(cfg.errors());
    return 1;
  }
  std::cout << path << ": ok\n";
  return 0;
}

int run_serve(const serve_options& opts) {
  // Signals are taken synchronously by this thread (sigwait); every thread started from here
  // on inherits the blocked mask, so none of them is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto loaded = model::load_config_file(opts.config_path);
  if (!loaded) {
    print_diagnostics(loaded.errors());
    return 1;
  }
  auto cfg = std::move(loaded).value();
  if (!opts.listen.empty()) {
    auto ep = model::parse_endpoint(opts.listen);
    if (!ep) {
      std::cerr << "--listen: expected HOST:PORT, got \"" << opts.listen << "\"\n";
      return 1;
    }
    cfg.server.listen = *ep;
  }
  if (!opts.data_dir.empty())
    cfg.storage.path = opts.data_dir;
  cfg.server.insecure = opts.insecure;
  std::string level = cfg.logging.level;
  if (const char* env = std::getenv("LOGLEVEL"); env != nullptr && *env != '\0')
    level = env;
  if (!opts.log_level.empty())
    level = opts.log_level;
  log::setup(level, cfg.logging.format);

  auto started = application::start(std::move(cfg));
  if (!started) {
    const auto msg = message_of(started.error());
    app_log.error("cannot start", {{"error", msg}});
    std::cerr << "vigil: cannot start: " << msg << "\n";
    return 1;
  }
  auto& app = **started;
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0)
      continue;
    if (sig == SIGHUP) {
      app_log.info("SIGHUP received: reloading the runbooks");
      app.reload_runbooks();
      continue;
    }
    app_log.info(sig == SIGTERM ? "SIGTERM received" : "SIGINT received");
    break;
  }
  app.stop();
  return 0;
}

int not_yet_available(const std::string& name) {
  std::cerr << "vigil " << name << ": not yet available in this version\n";
  return 2;
}

} // namespace vigil::app
