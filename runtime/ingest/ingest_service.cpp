#include "runtime/ingest/ingest_service.hpp"

#include <algorithm>

#include "runtime/ingest/event_queue.hpp"
#include "runtime/model/errc.hpp"
#include "runtime/model/logger.hpp"
#include "storage/event_log.hpp"

namespace vigil::ingest {

namespace {

constexpr log::logger ingest_log{"ingest"};

} // namespace

ingest_service::ingest_service(storage::event_log& log, event_queue& queue, notify_fn notify,
                               const model::clock& clk, parse_limits limits)
  : log_(log), queue_(queue), notify_(std::move(notify)), clock_(clk), limits_(limits) {}

void ingest_service::submit(payload_format format, std::string& body, done_fn done) {
  stats_.requests.fetch_add(1, std::memory_order_relaxed);
  if (!accepting_.load(std::memory_order_acquire)) {
    stats_.rejected_unavailable.fetch_add(1, std::memory_order_relaxed);
    submit_outcome out;
    out.status = submit_status::unavailable;
    out.message = "Vigil is not taking events right now (stopping or paused)";
    return done(std::move(out));
  }
  auto parsed = parse_payload(format, body, clock_.now(), limits_);
  if (!parsed.ok()) {
    stats_.rejected_invalid.fetch_add(1, std::memory_order_relaxed);
    submit_outcome out;
    out.status = submit_status::invalid;
    out.message = summarize(parsed);
    out.errors = std::move(parsed.errors);
    return done(std::move(out));
  }
  if (auto rules = std::atomic_load(&rules_); !rules->empty()) {
    for (auto& e : parsed.events) {
      const priority_rule* best = nullptr;
      for (const auto& r : *rules)
        if (r.type == e.type && (r.severity.empty() || r.severity == e.severity)
            && (best == nullptr || (best->severity.empty() && !r.severity.empty())))
          best = &r;
      if (best != nullptr)
        e.priority = best->value;
    }
  }
  const std::size_t n = parsed.events.size();
  stats_.received_by_format[static_cast<std::size_t>(format) % stats_.received_by_format.size()]
    .fetch_add(n, std::memory_order_relaxed);
  // Room first: a request that cannot be queued is refused before anything is stored.
  if (!queue_.try_reserve(n)) {
    stats_.rejected_overloaded.fetch_add(1, std::memory_order_relaxed);
    submit_outcome out;
    out.status = submit_status::overloaded;
    out.message = "the event queue is full (" + std::to_string(queue_.capacity())
                  + " events); retry after the Retry-After delay";
    return done(std::move(out));
  }
  log_.append(
    std::move(parsed.events), [this, n, done = std::move(done)](storage::append_result&& r) {
      submit_outcome out;
      if (r.error) {
        queue_.release(n);
        stats_.failed.fetch_add(1, std::memory_order_relaxed);
        out.status = code_of(r.error) == errc::unavailable ? submit_status::unavailable
                                                           : submit_status::failed;
        out.message = message_of(r.error);
        return done(std::move(out));
      }
      queue_.release(r.duplicates);
      const std::size_t fresh = r.accepted.size();
      std::array<uint64_t, 3> by_type{};
      for (const auto& e : r.accepted)
        ++by_type[static_cast<std::size_t>(e.type) % by_type.size()];
      for (std::size_t t = 0; t < by_type.size(); ++t)
        if (by_type[t] != 0)
          stats_.accepted_by_type[t].fetch_add(by_type[t], std::memory_order_relaxed);
      if (holding_.load(std::memory_order_acquire)) {
        std::vector<uint64_t> seqs;
        seqs.reserve(fresh);
        for (const auto& e : r.accepted)
          seqs.push_back(e.seq);
        queue_.release(fresh);
        if (auto err = log_.set_state(seqs, storage::event_state::drained))
          ingest_log.error("cannot set new events aside while drained", {{"error", describe(err)}});
      } else {
        for (auto& e : r.accepted)
          queue_.push(std::move(e));
        if (fresh > 0 && notify_)
          notify_(fresh);
      }
      stats_.events_accepted.fetch_add(fresh, std::memory_order_relaxed);
      stats_.events_duplicate.fetch_add(r.duplicates, std::memory_order_relaxed);
      out.ids = std::move(r.ids);
      out.accepted = fresh;
      out.duplicates = r.duplicates;
      done(std::move(out));
    });
}

void ingest_service::set_priority_rule(const priority_rule& rule) {
  std::lock_guard<std::mutex> guard{rules_mtx_};
  auto next = std::make_shared<std::vector<priority_rule>>(*std::atomic_load(&rules_));
  auto same = [&](const priority_rule& r) {
    return r.type == rule.type && r.severity == rule.severity;
  };
  next->erase(std::remove_if(next->begin(), next->end(), same), next->end());
  next->push_back(rule);
  std::atomic_store(&rules_, std::shared_ptr<const std::vector<priority_rule>>{std::move(next)});
}

std::vector<priority_rule> ingest_service::priority_rules() const {
  return *std::atomic_load(&rules_);
}

} // namespace vigil::ingest
