#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/http/router.hpp"
#include "runtime/model/config.hpp"

namespace vigil::http {

/// True when `have` grants `need`: `admin` grants every scope, `operate` grants `read`;
/// `ingest` and `read` grant only themselves. An empty `need` needs nothing.
[[nodiscard]] bool scope_grants(const std::vector<std::string>& have,
                                std::string_view need) noexcept;

/// True for the addresses 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104, and for `localhost`.
[[nodiscard]] bool is_loopback(std::string_view host) noexcept;

/// Bearer-token authentication and scope checks for the API. With no tokens configured every
/// request is allowed (Vigil then listens on loopback only; see `application::start`). Tokens
/// are compared in constant time, all of them every time, so neither a match nor its position
/// shows in the timing. Immutable: safe to share between io threads.
class authenticator {
public:
  explicit authenticator(std::vector<model::auth_token> tokens);

  /// True when tokens are configured.
  [[nodiscard]] bool enabled() const noexcept { return !tokens_.empty(); }

  /// nullopt when `req` may use `r` (its token's name goes to `req.principal`); otherwise the
  /// answer: 401 without a valid token, 403 with a token that lacks the route's scope.
  [[nodiscard]] std::optional<response> check(request& req, const route& r) const;

private:
  std::vector<model::auth_token> tokens_;
};

} // namespace vigil::http
