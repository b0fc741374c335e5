#include "actors/integrations/circuit_breaker.hpp"

#include <algorithm>
#include <cmath>

namespace vigil::actors {

using std::chrono::milliseconds;

health_word judge(const integration_health& h) noexcept {
  if (!h.enabled)
    return health_word::disabled;
  if (!h.unconfigured.empty())
    return health_word::unconfigured;
  if (h.state != breaker_state::closed)
    return health_word::unhealthy;
  if (h.last_probe.ran)
    return h.last_probe.ok ? health_word::healthy : health_word::unhealthy;
  const auto success = model::to_unix_nanos(h.last_success);
  const auto failure = model::to_unix_nanos(h.last_failure);
  if (success == 0 && failure == 0)
    return health_word::unknown;
  return success >= failure ? health_word::healthy : health_word::unhealthy;
}

std::string_view to_string(health_word w) noexcept {
  switch (w) {
    case health_word::healthy:
      return "healthy";
    case health_word::unhealthy:
      return "unhealthy";
    case health_word::unknown:
      return "unknown";
    case health_word::disabled:
      return "disabled";
    case health_word::unconfigured:
      return "unconfigured";
  }
  return "unknown";
}

std::string_view to_string(breaker_state s) noexcept {
  switch (s) {
    case breaker_state::closed:
      return "closed";
    case breaker_state::open:
      return "open";
    case breaker_state::half_open:
      return "half_open";
  }
  return "closed";
}

// -- circuit_breaker ------------------------------------------------------------------------------

circuit_breaker::circuit_breaker(const model::circuit_breaker_config& cfg)
  : cfg_(cfg), cooldown_(cfg.cooldown) {}

void circuit_breaker::configure(const model::circuit_breaker_config& cfg) {
  const bool new_window = cfg.window != cfg_.window;
  cfg_ = cfg;
  if (state_ == breaker_state::closed)
    cooldown_ = cfg_.cooldown;
  else
    cooldown_ = std::clamp(cooldown_, cfg_.cooldown, std::max(cfg_.cooldown, cfg_.max_cooldown));
  while (failures_.size() > cfg_.failure_threshold)
    failures_.pop_front();
  if (new_window)
    slices_ = {};
}

circuit_breaker::decision circuit_breaker::acquire(model::timestamp now, uint64_t in_flight) {
  tick(now);
  decision d;
  switch (state_) {
    case breaker_state::open:
      d.what = verdict::reject;
      d.retry_after = std::max(milliseconds{1}, std::chrono::ceil<milliseconds>(open_until_ - now));
      return d;
    case breaker_state::half_open:
      if (probes_out_ + probe_successes_ >= cfg_.half_open_probes) {
        d.what = verdict::wait;
        return d;
      }
      ++probes_out_;
      d.pass = {epoch_, true};
      return d;
    case breaker_state::closed:
      if (!healthy_) {
        // Not known to work: let out only as many calls as could fail without opening it.
        const uint64_t budget =
          cfg_.failure_threshold - std::min(cfg_.failure_threshold, recent_failures(now));
        if (in_flight >= budget) {
          d.what = verdict::wait;
          return d;
        }
      }
      d.pass = {epoch_, false};
      return d;
  }
  return d;
}

void circuit_breaker::record(model::timestamp now, ticket t, bool failure) {
  consecutive_ = failure ? consecutive_ + 1 : 0;
  if (t.epoch != epoch_)
    return; // let out before the last change of state: it says nothing about the present
  if (t.probe) {
    probes_out_ -= std::min(probes_out_, 1U);
    if (failure)
      return open(now, std::min(cooldown_ * 2, std::max(cfg_.cooldown, cfg_.max_cooldown)));
    if (++probe_successes_ >= cfg_.half_open_probes)
      close();
    return;
  }
  healthy_ = !failure;
  count(now, failure);
  if (!failure)
    return;
  failures_.push_back(now);
  const auto since = now - cfg_.window;
  while (!failures_.empty()
         && (failures_.size() > cfg_.failure_threshold || failures_.front() <= since))
    failures_.pop_front();
  if (recent_failures(now) >= cfg_.failure_threshold || rate_exceeded(now))
    open(now, cfg_.cooldown);
}

void circuit_breaker::release(ticket t) noexcept {
  if (t.probe && t.epoch == epoch_)
    probes_out_ -= std::min(probes_out_, 1U);
}

bool circuit_breaker::tick(model::timestamp now) noexcept {
  if (state_ != breaker_state::open || now < open_until_)
    return false;
  state_ = breaker_state::half_open;
  ++epoch_;
  probes_out_ = 0;
  probe_successes_ = 0;
  return true;
}

void circuit_breaker::reset(model::timestamp) noexcept {
  close();
  healthy_ = false;
  consecutive_ = 0;
}

uint32_t circuit_breaker::recent_failures(model::timestamp now) const noexcept {
  // Oldest first: the ones still in the window are a suffix.
  const auto since = now - cfg_.window;
  const auto first = std::partition_point(failures_.begin(), failures_.end(),
                                          [since](model::timestamp t) { return t <= since; });
  return static_cast<uint32_t>(failures_.end() - first);
}

void circuit_breaker::open(model::timestamp now, milliseconds cooldown) {
  state_ = breaker_state::open;
  ++epoch_;
  cooldown_ = cooldown;
  open_until_ = now + cooldown;
  probes_out_ = 0;
  probe_successes_ = 0;
}

void circuit_breaker::close() noexcept {
  state_ = breaker_state::closed;
  ++epoch_;
  cooldown_ = cfg_.cooldown;
  healthy_ = true;
  failures_.clear();
  slices_ = {};
  open_until_ = {};
  probes_out_ = 0;
  probe_successes_ = 0;
}

int64_t circuit_breaker::slice_index(model::timestamp now) const noexcept {
  const auto width =
    std::max<int64_t>(1, std::chrono::nanoseconds{cfg_.window}.count() / int64_t{10});
  return model::to_unix_nanos(now) / width;
}

void circuit_breaker::count(model::timestamp now, bool failure) noexcept {
  const auto index = slice_index(now);
  auto& s = slices_[static_cast<std::size_t>(index % 10)];
  if (s.index != index)
    s = slice{index, 0, 0};
  ++s.calls;
  if (failure)
    ++s.failures;
}

bool circuit_breaker::rate_exceeded(model::timestamp now) const noexcept {
  const auto index = slice_index(now);
  uint64_t calls = 0;
  uint64_t failures = 0;
  for (const auto& s : slices_) {
    if (s.index > index - 10 && s.index <= index) {
      calls += s.calls;
      failures += s.failures;
    }
  }
  return calls >= cfg_.min_calls && calls > 0
         && static_cast<double>(failures) >= cfg_.failure_rate * static_cast<double>(calls);
}

// -- token_bucket ---------------------------------------------------------------------------------

void token_bucket::configure(const model::rate_limit_config& cfg, model::timestamp now) noexcept {
  per_second_ = cfg.per_second;
  burst_ = std::max(1.0, static_cast<double>(cfg.burst));
  tokens_ = burst_;
  last_ = now;
}

void token_bucket::refill(model::timestamp now) noexcept {
  if (now <= last_)
    return;
  const double seconds = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + seconds * per_second_);
  last_ = now;
}

bool token_bucket::ready(model::timestamp now) noexcept {
  if (per_second_ <= 0)
    return true;
  refill(now);
  return tokens_ >= 1.0 - 1e-9;
}

void token_bucket::take() noexcept {
  if (per_second_ > 0)
    tokens_ = std::max(0.0, tokens_ - 1.0);
}

milliseconds token_bucket::wait_time(model::timestamp now) noexcept {
  if (per_second_ <= 0)
    return milliseconds{0};
  refill(now);
  if (tokens_ >= 1.0)
    return milliseconds{0};
  const double seconds = (1.0 - tokens_) / per_second_;
  return milliseconds{std::max<int64_t>(1, static_cast<int64_t>(std::ceil(seconds * 1000.0)))};
}

} // namespace vigil::actors
