#include "runtime/http/auth.hpp"

#include <algorithm>
#include <cctype>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace vigil::http {

namespace {

/// Compares without an early exit: the time depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const auto y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = static_cast<unsigned char>(diff | (x ^ y));
  }
  return diff == 0;
}

/// ASCII case-insensitive equality; `lower` is already lowercase.
bool iequals(std::string_view s, std::string_view lower) noexcept {
  if (s.size() != lower.size())
    return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != lower[i])
      return false;
  return true;
}

} // namespace

bool scope_grants(const std::vector<std::string>& have, std::string_view need) noexcept {
  if (need.empty())
    return true;
  for (const auto& s : have) {
    if (s == need || s == "admin")
      return true;
    if (s == "operate" && need == "read")
      return true;
  }
  return false;
}

bool is_loopback(std::string_view host) noexcept {
  if (host == "localhost")
    return true;
  // An address, not a name that merely starts like one ("127.example.com").
  char text[INET6_ADDRSTRLEN] = {};
  if (host.empty() || host.size() >= sizeof(text))
    return false;
  host.copy(text, host.size());
  in_addr v4{};
  if (::inet_pton(AF_INET, text, &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text, &v6) == 1)
    return IN6_IS_ADDR_LOOPBACK(&v6)
           || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127); // ::ffff:127.x.y.z
  return false;
}

authenticator::authenticator(std::vector<model::auth_token> tokens) : tokens_(std::move(tokens)) {}

std::optional<response> authenticator::check(request& req, const route& r) const {
  if (tokens_.empty() || r.scope.empty())
    return std::nullopt;
  constexpr std::string_view prefix = "bearer ";
  const std::string_view header = req.authorization;
  // The scheme is case-insensitive (RFC 7235); the token is not.
  if (header.size() <= prefix.size() || !iequals(header.substr(0, prefix.size()), prefix)) {
    auto res = error_response(401, "unauthorized",
                              "this endpoint needs a bearer token (Authorization: Bearer <token>)");
    res.headers.emplace_back("WWW-Authenticate", "Bearer");
    return res;
  }
  const auto presented = header.substr(prefix.size());
  const model::auth_token* match = nullptr;
  for (const auto& t : tokens_)
    if (constant_time_equal(presented, t.token) && match == nullptr)
      match = &t;
  if (match == nullptr) {
    auto res = error_response(401, "unauthorized", "unknown or invalid token");
    res.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    return res;
  }
  req.principal = match->name;
  if (!scope_grants(match->scopes, r.scope))
    return error_response(403, "forbidden",
                          "token " + match->name + " lacks the scope " + r.scope
                            + " that this endpoint needs");
  return std::nullopt;
}

} // namespace vigil::http
