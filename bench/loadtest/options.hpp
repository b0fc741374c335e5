#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/loadtest/payload.hpp"
#include "bench/loadtest/sink.hpp"
#include "bench/loadtest/slo.hpp"

namespace CLI {
class App;
} // namespace CLI

namespace vigil::loadtest {

/// Whether to measure the end-to-end latency.
enum class e2e_mode : uint8_t {
  automatic, ///< serve the sink; report end to end when hits come (default)
  required,  ///< `--e2e`: the sink must start and hits must come, or SLOs fail
  off,       ///< `--no-e2e`: no sink
};

/// The options of `vigil loadtest`, as given on the command line (checked by `resolve`).
struct loadtest_options {
  std::string url = "http://127.0.0.1:9000";
  double rate = 1000; ///< events per second
  std::string duration = "10s";
  std::string warmup = "1s";
  unsigned connections = 64;
  unsigned threads = 2;
  std::string payload = "event";
  unsigned batch = 1;
  double duplicates = 0;
  double resolved = 0;
  std::string timeout = "10s";
  std::string drain = "10s";
  std::string report_dir;
  std::string slo; ///< empty: default_slos
  std::string token;
  bool max_rate = false;
  double step_factor = 1.5;
  std::string step_duration = "10s";
  unsigned max_steps = 12;
  e2e_mode e2e = e2e_mode::automatic;
  std::string sink = "127.0.0.1:9099";
  double e2e_rate = 20; ///< tagged events per second
  bool print_runbook = false;
  std::string runbook_action = "exec";
  uint64_t seed = 0; ///< 0: random
};

/// Registers every option of `vigil loadtest` on `sub`, writing into `opts` (which must outlive
/// parsing). Values are checked later, by `run_loadtest`, which exits 2 on a bad one.
void add_loadtest_options(CLI::App& sub, loadtest_options& opts);

/// Checked, typed settings.
struct loadtest_settings {
  std::string url; ///< as given
  std::string host;
  std::string port;
  std::string target;
  std::string authorization;
  double rate = 0;
  std::chrono::nanoseconds duration{0};
  std::chrono::nanoseconds warmup{0};
  std::chrono::nanoseconds timeout{0};
  std::chrono::nanoseconds drain{0};
  std::chrono::nanoseconds step_duration{0};
  unsigned connections = 0;
  unsigned threads = 0;
  payload_kind payload = payload_kind::event;
  unsigned batch = 1;
  double duplicates = 0;
  double resolved = 0;
  std::string report_dir;
  std::string slo_text;
  std::vector<slo> slos;
  bool max_rate = false;
  double step_factor = 1.5;
  unsigned max_steps = 12;
  e2e_mode e2e = e2e_mode::automatic;
  std::string sink_host;
  uint16_t sink_port = 0;
  double e2e_rate = 0;
  bool print_runbook = false;
  runbook_action action = runbook_action::exec;
  uint64_t seed = 0;
};

/// Checks the options; `error` names the flag and the reason when one is wrong.
[[nodiscard]] loadtest_settings resolve_options(const loadtest_options& opts, std::string& error);

} // namespace vigil::loadtest
