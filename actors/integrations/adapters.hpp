#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/integrations/http_transport.hpp"
#include "actors/integrations/types.hpp"
#include "actors/messages.hpp"
#include "runtime/model/config.hpp"
#include "runtime/model/time.hpp"

namespace vigil::actors {

/// `value OP number`, as a `prometheus_query` step's `condition` says.
struct value_condition {
  enum class op : uint8_t { lt, le, gt, ge, eq, ne };
  value_condition::op operation = op::lt;
  double number = 0;
  std::string text; ///< as written, for messages

  /// True when `value` satisfies it (NaN satisfies only `!=`).
  [[nodiscard]] bool holds(double value) const noexcept;
};

/// Parses `value < 80` (operators < <= > >= == !=); nullopt when malformed.
[[nodiscard]] std::optional<value_condition> parse_condition(std::string_view text);

/// Replaces an integration's secrets (routing key, webhook URL, API key, bearer token, the
/// values of credential headers) with `[redacted]` in text bound for logs, errors and outputs.
class redactor {
public:
  explicit redactor(const model::integration_config& cfg);

  /// Adds one more secret (a credential header a step gave).
  void add(std::string_view secret);

  /// `text` without any secret.
  [[nodiscard]] std::string operator()(std::string_view text) const;

private:
  std::vector<std::string> secrets_;
};

/// True for header names whose values are credentials (Authorization, *token*, *key*, ...).
[[nodiscard]] bool is_credential_header(std::string_view name) noexcept;

/// A call turned into an HTTP request, with what its answer must look like.
struct call_plan {
  std::string action; ///< http | pagerduty | slack | alertmanager_silence | prometheus_query
  http_request request;
  std::vector<int> expect_status;           ///< empty: any 2xx
  std::optional<value_condition> condition; ///< prometheus_query
  std::string error; ///< not empty: the call's params are wrong; nothing is sent
};

/// Builds the request of `req` for the integration `cfg` at `now` (the model clock: silences
/// start now). Never throws; a problem with the params is `call_plan::error`.
[[nodiscard]] call_plan plan_call(const model::integration_config& cfg, const call_request& req,
                                  model::timestamp now);

/// What a run gets back for `resp`: success, or the failure class, error and output. Secrets
/// are removed by the caller (`redactor`).
[[nodiscard]] call_result read_answer(const call_plan& plan, const http_response& resp,
                                      model::timestamp now);

/// How `resp` counts for the breaker: timeouts, connection errors, 5xx and 429 are failures;
/// a 429's Retry-After (seconds or an HTTP date, capped at one hour) pauses the integration.
[[nodiscard]] call_outcome outcome_of(const http_response& resp, model::timestamp now);

/// Parses a Retry-After value at `now`; nullopt when it is neither seconds nor an HTTP date.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                                         model::timestamp now);

/// The health probe of `cfg` (`health.path` or the type's default), nullopt when it has none.
[[nodiscard]] std::optional<call_plan> plan_probe(const model::integration_config& cfg);

/// What a probe's answer says.
[[nodiscard]] probe_result read_probe(const model::integration_config& cfg,
                                      const http_response& resp, model::timestamp now);

} // namespace vigil::actors
