#include "runtime/model/errc.hpp"

#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/string_algorithms.hpp>

namespace vigil {

std::string_view to_string_view(errc x) noexcept {
  switch (x) {
    case errc::none:
      return "none";
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::not_found:
      return "not_found";
    case errc::conflict:
      return "conflict";
    case errc::unauthorized:
      return "unauthorized";
    case errc::forbidden:
      return "forbidden";
    case errc::payload_too_large:
      return "payload_too_large";
    case errc::unsupported_media_type:
      return "unsupported_media_type";
    case errc::overloaded:
      return "overloaded";
    case errc::unavailable:
      return "unavailable";
    case errc::storage_error:
      return "storage_error";
    case errc::io_error:
      return "io_error";
    case errc::timeout:
      return "timeout";
    case errc::circuit_open:
      return "circuit_open";
    case errc::integration_disabled:
      return "integration_disabled";
    case errc::rate_limited:
      return "rate_limited";
    case errc::cancelled:
      return "cancelled";
    case errc::format_too_new:
      return "format_too_new";
    case errc::internal:
      return "internal";
  }
  return "internal";
}

std::string to_string(errc x) {
  return std::string{to_string_view(x)};
}

caf::error make_error(errc code, std::string message) {
  return caf::error{static_cast<uint8_t>(code), caf::atom("vigil"),
                    caf::make_message(std::move(message))};
}

errc code_of(const caf::error& err) noexcept {
  if (!err)
    return errc::none;
  if (err.category() != caf::atom("vigil"))
    return errc::internal;
  return static_cast<errc>(err.code());
}

std::string message_of(const caf::error& err) {
  if (!err)
    return {};
  const auto& ctx = err.context();
  if (err.category() == caf::atom("vigil") && ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return caf::to_string(err);
}

std::string describe(const caf::error& err) {
  if (!err)
    return "none";
  if (err.category() == caf::atom("vigil")) {
    std::string result = to_string(static_cast<errc>(err.code()));
    const auto& ctx = err.context();
    if (!ctx.empty()) {
      result += ": ";
      if (ctx.match_elements<std::string>())
        result += ctx.get_as<std::string>(0);
      else
        result += caf::to_string(ctx);
    }
    return result;
  }
  return caf::to_string(err);
}

} // namespace vigil
