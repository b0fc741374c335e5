#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::loadtest {

/// The request bodies the generator sends (the formats of runtime/ingest/parse.hpp).
enum class payload_kind : uint8_t {
  event,        ///< `POST /api/events`: one object, or an array when batched
  ndjson,       ///< `POST /api/events`, `application/x-ndjson`: one object per line
  alertmanager, ///< `POST /api/v1/alertmanager`: an Alertmanager webhook (version 4)
  v2alerts,     ///< `POST /api/v2/alerts`: an array of alerts, as Prometheus sends them
};

/// Parses `event|ndjson|alertmanager|v2alerts`.
[[nodiscard]] std::optional<payload_kind> parse_payload_kind(std::string_view text) noexcept;

/// The name `parse_payload_kind` reads.
[[nodiscard]] std::string_view to_string(payload_kind k) noexcept;

/// The ingest path of a payload kind (`/api/events`, ...).
[[nodiscard]] std::string_view default_target(payload_kind k) noexcept;

/// The Content-Type the kind is sent with.
[[nodiscard]] std::string_view content_type(payload_kind k) noexcept;

/// alertname of the events that the end-to-end runbook matches.
inline constexpr std::string_view e2e_alertname = "VigilLoadTestE2E";
/// alertname of every other generated event (no shipped runbook matches it).
inline constexpr std::string_view plain_alertname = "VigilLoadTest";

/// How bodies are made.
struct payload_settings {
  payload_kind kind = payload_kind::event;
  uint32_t batch = 1;     ///< events per request
  double duplicates = 0;  ///< share of events that repeat an earlier event exactly
  double resolved = 0;    ///< share of events that resolve an earlier alert
  uint64_t seed = 1;      ///< decides which events are duplicates / resolved
  uint32_t run_nonce = 0; ///< makes this run's label sets unlike any other run's
  /// Which events are tagged for the end-to-end runbook: from request index `first` on,
  /// every `every`-th event (0: none). Sorted by `first`; empty: none.
  std::vector<std::pair<uint64_t, uint64_t>> tag_plan;
  std::string starts_at; ///< RFC 3339, shared by every alert of the run
  std::string ended_at;  ///< RFC 3339 in the past: `endsAt` of resolved alerts
};

/// One request body and what it holds.
struct body {
  std::string text;
  uint32_t events = 0;
  uint32_t duplicates = 0;
  uint32_t resolved = 0;
  std::vector<uint32_t> tagged; ///< batch slots of events tagged for the end-to-end runbook
};

/// Builds the body of request `index`: a pure function of the settings and the index, so any
/// thread can build any request, and a duplicate is an exact copy of an earlier event.
/// Thread-safe (const).
class payload_factory {
public:
  explicit payload_factory(payload_settings s);

  /// The body of global request `index`, written into `out` (its buffers are reused).
  void build(uint64_t index, body& out) const;

  /// The loadtest id of event `slot` of request `index`: `<nonce>-<index>-<slot>`.
  [[nodiscard]] std::string event_id(uint64_t index, uint32_t slot) const;

  /// Decodes an id of this run; nullopt for ids of other runs or other text.
  [[nodiscard]] std::optional<std::pair<uint64_t, uint32_t>> decode_id(std::string_view id) const;

  [[nodiscard]] const payload_settings& settings() const noexcept { return s_; }

private:
  enum class role : uint8_t { fresh, duplicate, resolved };
  /// What event (index, slot) is: its role and, for a repeat, the fresh event it repeats.
  [[nodiscard]] role role_of(uint64_t index, uint32_t slot, uint64_t& origin) const noexcept;
  [[nodiscard]] role raw_role(uint64_t index, uint32_t slot) const noexcept;
  [[nodiscard]] bool tagged(uint64_t origin, uint32_t slot) const noexcept;
  void append_event(std::string& out, uint64_t origin, uint32_t slot, bool resolved,
                    bool tagged) const;
  void append_labels(std::string& out, uint64_t origin, uint32_t slot, bool tagged) const;

  payload_settings s_;
  std::string nonce_hex_;
};

} // namespace vigil::loadtest
