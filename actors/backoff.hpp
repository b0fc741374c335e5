#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>

#include "runtime/runbook/runbook.hpp"

namespace vigil::actors {

/// The wait before the next attempt after `attempt` (1-based) failed: exponential growth from
/// `initial` by `multiplier`, capped at `max`, less a random share of up to `jitter` of it
/// (jitter 1: "full jitter", anywhere in [0, base]). Bounds: [base * (1 - jitter), base].
template <class Rng>
std::chrono::milliseconds backoff_delay(const runbook::retry_policy& p, uint32_t attempt,
                                        Rng& rng) {
  const double exponent = attempt > 0 ? static_cast<double>(attempt - 1) : 0.0;
  double base = static_cast<double>(p.initial.count()) * std::pow(p.multiplier, exponent);
  base = std::min(base, static_cast<double>(p.max.count()));
  const double jitter = std::clamp(p.jitter, 0.0, 1.0);
  std::uniform_real_distribution<double> share{0.0, 1.0};
  const double delay = base * (1.0 - jitter * share(rng));
  return std::chrono::milliseconds{static_cast<int64_t>(std::max(0.0, delay))};
}

} // namespace vigil::actors
