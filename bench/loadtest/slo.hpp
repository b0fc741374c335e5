#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/loadtest/histogram.hpp"

namespace vigil::loadtest {

/// The SLOs used when `--slo` is not given: the operations runbook's SLO table (event
/// processing latency p95 < 5 seconds; 99.9% availability, i.e. at most 0.1% failed requests).
inline constexpr std::string_view default_slos = "p95<5s,errors<0.1%";

/// Which latency an SLO constrains.
enum class slo_subject : uint8_t {
  every_latency, ///< `p95<5s`: the accept latency and, when measured, the end-to-end one
  accept,        ///< `accept.p95<5s`
  end_to_end,    ///< `e2e.p95<5s`
  errors,        ///< `errors<0.1%`: failed requests over all requests
};

/// One objective, as written in `--slo`.
struct slo {
  std::string text; ///< as written, trimmed
  slo_subject subject = slo_subject::every_latency;
  double percentile = 95; ///< 100 for `max`
  std::chrono::nanoseconds limit{0};
  double error_share = 0; ///< for `errors`: a fraction (0.001 for 0.1%)
  bool inclusive = false; ///< `<=` rather than `<`
};

/// Parsed `--slo`, or what is wrong with it.
struct slo_parse_result {
  std::vector<slo> slos;
  std::string error; ///< empty when the text is valid
};

/// Parses a comma-separated SLO list such as `p95<5s,p99<10s,errors<0.1%`. Each item is
/// `[accept.|e2e.]pNN<DURATION` (NN may have decimals: p99.9), `[accept.|e2e.]max<DURATION`
/// or `errors<PERCENT%`; `<=` is accepted as well.
[[nodiscard]] slo_parse_result parse_slos(std::string_view text);

/// What a run measured, as SLOs see it.
struct slo_inputs {
  const log_linear_histogram* accept = nullptr;
  const log_linear_histogram* end_to_end = nullptr; ///< null or empty: not measured
  bool end_to_end_required = false; ///< `--e2e`: missing end-to-end samples fail SLOs
  uint64_t requests = 0;
  uint64_t failed_requests = 0;
};

/// The verdict of one SLO on one latency.
struct slo_verdict {
  std::string slo;     ///< the SLO's text
  std::string subject; ///< "accept", "end_to_end" or "errors"
  bool met = false;
  double observed = 0;  ///< milliseconds for latencies, percent for errors; 0 when missing
  bool measured = true; ///< false when there was nothing to judge
  std::string detail;   ///< one line: `accept p95 = 1.20 ms < 5s`
};

/// Judges every SLO; a bare latency SLO yields one verdict per measured latency.
[[nodiscard]] std::vector<slo_verdict> evaluate_slos(const std::vector<slo>& slos,
                                                     const slo_inputs& in);

/// True when every verdict is met.
[[nodiscard]] bool all_met(const std::vector<slo_verdict>& verdicts) noexcept;

} // namespace vigil::loadtest
