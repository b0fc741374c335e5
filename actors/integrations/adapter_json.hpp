#pragma once

// Internal to the adapters (actors/integrations/*_action.cpp): reading a call's params (JSON
// rendered by the run) and the small pieces every request builder needs. Not for other users.

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "actors/integrations/adapters.hpp"
#include "runtime/model/json_writer.hpp"

namespace vigil::actors::detail {

/// A call's params, parsed. The elements it hands out borrow its parser: use them while this
/// object lives, and never put one in a message. The first problem found is kept in `error`.
class json_params {
public:
  /// Parses `json`: an object, or empty / `null` for no params.
  explicit json_params(const std::string& json);

  json_params(const json_params&) = delete;
  json_params& operator=(const json_params&) = delete;

  /// The first problem, empty when none.
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

  /// Records a problem (the first one wins).
  void fail(std::string message);

  /// Fails when a key outside `allowed` is present (`action` names the action in the message).
  void only(std::string_view action, std::initializer_list<std::string_view> allowed);

  /// The raw element of `key`, nullopt when absent or null.
  [[nodiscard]] std::optional<simdjson::dom::element> get(std::string_view key) const;

  /// A scalar param as text (numbers and booleans as written); fails on lists and maps.
  [[nodiscard]] std::optional<std::string> text(std::string_view key);

  /// `key` must be a map of texts (e.g. headers, labels); in order.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> text_map(std::string_view key);

private:
  simdjson::dom::parser parser_;
  std::optional<simdjson::dom::object> root_;
  std::string error_;
};

/// `e` as text when it is a scalar (strings unquoted); nullopt for lists and maps.
[[nodiscard]] std::optional<std::string> scalar_text(simdjson::dom::element e);

/// Writes `e` as JSON; whole numbers are written as integers (`200`, not `2e+02`).
void write_json(model::json_writer& w, simdjson::dom::element e);

/// `e` as compact JSON.
[[nodiscard]] std::string to_json(simdjson::dom::element e);

/// `base` and `path` joined with exactly one `/`.
[[nodiscard]] std::string join_url(std::string_view base, std::string_view path);

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay).
[[nodiscard]] std::string url_encode(std::string_view s);

/// `scheme://host:port` of a URL (lowercase), empty when it has none.
[[nodiscard]] std::string origin_of(std::string_view url);

/// The integration's headers for a request to `url`: the configured ones, and the bearer token
/// and API key as `Authorization: Bearer` and `X-API-Key`. Credentials go only to the
/// integration's own origin (a step's absolute URL elsewhere gets none).
void add_config_headers(http_request& r, const model::integration_config& cfg);

/// Sets (replacing, case-insensitively) a header.
void set_header(http_request& r, std::string_view name, std::string value);

/// The timeout of a call: the step's when it set one, else the integration's.
[[nodiscard]] std::chrono::milliseconds call_timeout(const model::integration_config& cfg,
                                                     const call_request& req) noexcept;

/// A request with the integration's transport settings (timeouts, redirects) and headers.
[[nodiscard]] http_request base_request(const model::integration_config& cfg,
                                        const call_request& req, std::string method,
                                        std::string url);

/// `s` cut to at most `max` bytes without splitting a UTF-8 character.
[[nodiscard]] std::string cut_utf8(std::string_view s, std::size_t max);

/// The action builders (one file each).
call_plan plan_http(const model::integration_config& cfg, const call_request& req);
call_plan plan_pagerduty(const model::integration_config& cfg, const call_request& req);
call_plan plan_slack(const model::integration_config& cfg, const call_request& req);
call_plan plan_silence(const model::integration_config& cfg, const call_request& req,
                       model::timestamp now);
call_plan plan_query(const model::integration_config& cfg, const call_request& req);

/// Success answers of the actions that read them.
call_result read_pagerduty(const http_response& resp);
call_result read_silence(const http_response& resp);
call_result read_query(const call_plan& plan, const http_response& resp);

/// The first `max` bytes of a body, on one line, for an error message.
[[nodiscard]] std::string snippet(std::string_view body, std::size_t max = 200);

} // namespace vigil::actors::detail
