#include "actors/integrations/probe.hpp"

#include <algorithm>

namespace vigil::actors {

namespace {

constexpr auto relaxed = std::memory_order_relaxed;

} // namespace

void integration_probe::on_call(call_failure f, std::chrono::microseconds latency,
                                bool sent) noexcept {
  switch (f) {
    case call_failure::none:
      ok_.fetch_add(1, relaxed);
      break;
    case call_failure::error:
      error_.fetch_add(1, relaxed);
      break;
    case call_failure::timeout:
      timeout_.fetch_add(1, relaxed);
      break;
    case call_failure::rate_limited:
      rate_limited_.fetch_add(1, relaxed);
      break;
    case call_failure::unavailable:
      unavailable_.fetch_add(1, relaxed);
      break;
  }
  if (!sent)
    return;
  const auto us = static_cast<uint64_t>(std::max<int64_t>(0, latency.count()));
  std::size_t i = 0;
  while (i < latency_bounds_ms.size() && us > uint64_t{latency_bounds_ms[i]} * 1000)
    ++i;
  buckets_[i].fetch_add(1, relaxed);
  latency_count_.fetch_add(1, relaxed);
  latency_sum_us_.fetch_add(us, relaxed);
}

void integration_probe::on_rejected_open() noexcept {
  rejected_open_.fetch_add(1, relaxed);
  on_call(call_failure::unavailable, {}, false);
}

void integration_probe::on_rejected_disabled() noexcept {
  rejected_disabled_.fetch_add(1, relaxed);
  on_call(call_failure::unavailable, {}, false);
}

void integration_probe::on_transition(breaker_state to) noexcept {
  state_.store(static_cast<uint8_t>(to), relaxed);
  switch (to) {
    case breaker_state::open:
      opened_.fetch_add(1, relaxed);
      break;
    case breaker_state::half_open:
      half_opened_.fetch_add(1, relaxed);
      break;
    case breaker_state::closed:
      closed_.fetch_add(1, relaxed);
      break;
  }
}

void integration_probe::on_probe(bool ok) noexcept {
  (ok ? probes_ok_ : probes_failed_).fetch_add(1, relaxed);
}

void integration_probe::set_load(uint64_t queued, uint64_t in_flight) noexcept {
  queued_.store(queued, relaxed);
  in_flight_.store(in_flight, relaxed);
}

integration_stats integration_probe::snapshot(std::string name) const {
  integration_stats s;
  s.name = std::move(name);
  s.calls_ok = ok_.load(relaxed);
  s.calls_error = error_.load(relaxed);
  s.calls_timeout = timeout_.load(relaxed);
  s.calls_rate_limited = rate_limited_.load(relaxed);
  s.calls_unavailable = unavailable_.load(relaxed);
  s.rejected_open = rejected_open_.load(relaxed);
  s.rejected_disabled = rejected_disabled_.load(relaxed);
  for (std::size_t i = 0; i < buckets_.size(); ++i)
    s.latency_buckets[i] = buckets_[i].load(relaxed);
  s.latency_count = latency_count_.load(relaxed);
  s.latency_sum_us = latency_sum_us_.load(relaxed);
  s.opened = opened_.load(relaxed);
  s.half_opened = half_opened_.load(relaxed);
  s.closed = closed_.load(relaxed);
  s.state = static_cast<breaker_state>(state_.load(relaxed));
  s.retries_hinted = retries_hinted_.load(relaxed);
  s.rate_limit_pauses = rate_limit_pauses_.load(relaxed);
  s.throttled = throttled_.load(relaxed);
  s.probes_ok = probes_ok_.load(relaxed);
  s.probes_failed = probes_failed_.load(relaxed);
  s.queued = queued_.load(relaxed);
  s.in_flight = in_flight_.load(relaxed);
  return s;
}

} // namespace vigil::actors
