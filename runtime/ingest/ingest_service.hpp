#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/ingest/parse.hpp"
#include "runtime/model/clock.hpp"

namespace vigil::storage {
class event_log;
}

namespace vigil::ingest {

class event_queue;

/// How a submission ended.
enum class submit_status : uint8_t {
  accepted,    ///< durable (or a recognised duplicate); answer 202
  invalid,     ///< the body was rejected; nothing stored; answer 400
  overloaded,  ///< the queues are full; nothing stored; answer 429
  unavailable, ///< not taking events (stopping or paused); answer 503
  failed,      ///< the durable write failed; nothing stored; answer 500
};

/// An operator's priority for a kind of event (`set-event-priority`).
struct priority_rule {
  model::event_type type = model::event_type::alert;
  std::string severity; ///< empty: every severity of the type
  model::priority value = model::priority::normal;
};

/// The outcome of one request.
struct submit_outcome {
  submit_status status = submit_status::accepted;
  std::vector<std::string> ids; ///< per event, in request order
  std::size_t accepted = 0;
  std::size_t duplicates = 0;
  std::vector<parse_error> errors; ///< for `invalid`
  std::string message;
};

/// Counters per outcome; read from any thread.
struct ingest_stats {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> events_accepted{0};
  std::atomic<uint64_t> events_duplicate{0};
  std::atomic<uint64_t> rejected_invalid{0};
  std::atomic<uint64_t> rejected_overloaded{0};
  std::atomic<uint64_t> rejected_unavailable{0};
  std::atomic<uint64_t> failed{0};
  /// Events parsed per endpoint (indexed by `payload_format`), new and duplicate alike.
  std::array<std::atomic<uint64_t>, 4> received_by_format{};
  /// New events stored, per `model::event_type`.
  std::array<std::atomic<uint64_t>, 3> accepted_by_type{};
};

/// The front door's logic, independent of HTTP: parse and validate a body (on the caller's
/// thread), reserve queue room, append durably to the event log, then queue the new events
/// and wake the dispatchers. All or nothing per request.
/// Thread-safety: `submit` may be called from any number of threads at once.
class ingest_service {
public:
  using done_fn = std::function<void(submit_outcome&&)>;
  using notify_fn = std::function<void(std::size_t new_events)>;

  ingest_service(storage::event_log& log, event_queue& queue, notify_fn notify,
                 const model::clock& clk, parse_limits limits = {});

  /// Handles one body; `done` runs once, on this thread (errors) or the log's writer thread.
  void submit(payload_format format, std::string& body, done_fn done);

  /// Stops or resumes taking events (503 while stopped).
  void set_accepting(bool accepting) noexcept { accepting_.store(accepting); }

  /// While holding (an operator's drain), new events are stored as `drained` instead of queued:
  /// acknowledged and durable, dispatched only after `resume-processing`.
  void set_holding(bool holding) noexcept { holding_.store(holding); }
  [[nodiscard]] bool holding() const noexcept { return holding_.load(); }

  [[nodiscard]] const ingest_stats& stats() const noexcept { return stats_; }

  /// Sets the priority of events of `rule.type` (and severity) from now on, replacing an
  /// earlier rule for the same kind. A rule with a severity wins over one without.
  void set_priority_rule(const priority_rule& rule);

  /// The rules in force.
  [[nodiscard]] std::vector<priority_rule> priority_rules() const;

private:
  storage::event_log& log_;
  event_queue& queue_;
  notify_fn notify_;
  const model::clock& clock_;
  parse_limits limits_;
  std::atomic<bool> accepting_{true};
  std::atomic<bool> holding_{false};
  std::mutex rules_mtx_; // serializes writers; readers load the pointer
  std::shared_ptr<const std::vector<priority_rule>> rules_ =
    std::make_shared<const std::vector<priority_rule>>();
  ingest_stats stats_;
};

} // namespace vigil::ingest
