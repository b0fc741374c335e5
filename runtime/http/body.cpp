#include "runtime/http/body.hpp"

#include <cmath>
#include <cstdio>

#include <simdjson.h>

namespace vigil::http {

std::vector<std::string> json_bodies() {
  return {"application/json", "application/x-www-form-urlencoded"};
}

unsigned status_of(errc code) noexcept {
  switch (code) {
    case errc::invalid_argument:
      return 400;
    case errc::unauthorized:
      return 401;
    case errc::forbidden:
      return 403;
    case errc::not_found:
      return 404;
    case errc::conflict:
      return 409;
    case errc::payload_too_large:
      return 413;
    case errc::unsupported_media_type:
      return 415;
    case errc::overloaded:
    case errc::rate_limited:
      return 429;
    case errc::unavailable:
    case errc::timeout:
    case errc::circuit_open:
    case errc::integration_disabled:
      return 503;
    default:
      return 500;
  }
}

void write_diagnostics(model::json_writer& w, std::string_view key,
                       const model::diagnostics& errors) {
  w.key(key).begin_array();
  for (const auto& d : errors)
    w.begin_object()
      .field("file", d.file)
      .field("line", static_cast<int64_t>(d.line))
      .field("column", static_cast<int64_t>(d.column))
      .field("path", d.path)
      .field("message", d.message)
      .end_object();
  w.end_array();
}

response error_answer(const caf::error& err) {
  const auto code = code_of(err);
  return error_response(status_of(code), to_string_view(code), message_of(err));
}

struct body_reader::impl {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  bool parsed = false;
  bool empty = false;
  std::optional<response> problem;

  void fail(std::string_view name, std::string reason) {
    if (problem)
      return;
    // The message first: the order in which arguments are evaluated is unspecified, and
    // `reason` is moved into the details.
    auto message = std::string{name} + ": " + reason;
    problem = http::error_response(400, "invalid_body", message,
                                   {{std::string{name}, std::move(reason), -1}});
  }

  /// The field, or nullopt (recording "required" when it must be there).
  std::optional<simdjson::dom::element> get(std::string_view name, bool required) {
    if (!parsed || empty) {
      if (required)
        fail(name, "required");
      return std::nullopt;
    }
    simdjson::dom::element el;
    if (object[name].get(el) != simdjson::SUCCESS) {
      if (required)
        fail(name, "required");
      return std::nullopt;
    }
    return el;
  }

  static std::optional<std::string> scalar(const simdjson::dom::element& el) {
    if (el.is_string())
      return std::string{std::string_view{el.get_string()}};
    if (el.is_bool())
      return std::string{bool{el.get_bool()} ? "true" : "false"};
    if (el.is_int64())
      return std::to_string(int64_t{el.get_int64()});
    if (el.is_double()) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.17g", double{el.get_double()});
      return std::string{buf};
    }
    return std::nullopt;
  }
};

body_reader::body_reader(std::string_view body) : impl_(std::make_unique<impl>()) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    impl_->parsed = true;
    impl_->empty = true;
    return;
  }
  simdjson::dom::element doc;
  if (impl_->parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS)
    return;
  if (doc.get_object().get(impl_->object) != simdjson::SUCCESS)
    return;
  impl_->parsed = true;
}

body_reader::~body_reader() = default;
body_reader::body_reader(body_reader&&) noexcept = default;
body_reader& body_reader::operator=(body_reader&&) noexcept = default;

bool body_reader::ok() const noexcept {
  return impl_->parsed;
}

response body_reader::error_response() const {
  return http::error_response(400, "invalid_body", "the body must be a JSON object");
}

void body_reader::allow(std::initializer_list<std::string_view> names) {
  if (!impl_->parsed || impl_->empty)
    return;
  for (auto [key, value] : impl_->object) {
    (void)value;
    bool known = false;
    for (auto n : names)
      known = known || n == key;
    if (!known) {
      std::string list;
      for (auto n : names)
        list += (list.empty() ? "" : ", ") + std::string{n};
      impl_->fail(key, list.empty() ? "unknown field (this endpoint takes none)"
                                    : "unknown field (known: " + list + ")");
    }
  }
}

std::string body_reader::text(std::string_view name, bool required) {
  auto el = impl_->get(name, required);
  if (!el)
    return {};
  if (!el->is_string()) {
    impl_->fail(name, "expected a string");
    return {};
  }
  return std::string{std::string_view{el->get_string()}};
}

std::string body_reader::scalar_text(std::string_view name, bool required) {
  auto el = impl_->get(name, required);
  if (!el)
    return {};
  if (auto s = impl::scalar(*el))
    return *s;
  impl_->fail(name, "expected a string, a number or a boolean");
  return {};
}

int64_t body_reader::integer(std::string_view name, int64_t min, int64_t max, bool required) {
  auto el = impl_->get(name, required);
  if (!el)
    return min;
  const auto range = "(" + std::to_string(min) + ".." + std::to_string(max) + ")";
  int64_t v = 0;
  if (el->is_uint64() && !el->is_int64()) { // above INT64_MAX: a whole number, far too big
    impl_->fail(name, "out of range " + range);
    return min;
  }
  if (el->get_int64().get(v) != simdjson::SUCCESS) {
    impl_->fail(name, "expected a whole number " + range);
    return min;
  }
  if (v < min || v > max) {
    impl_->fail(name, "out of range " + range);
    return min;
  }
  return v;
}

bool body_reader::flag(std::string_view name, bool fallback) {
  auto el = impl_->get(name, false);
  if (!el)
    return fallback;
  bool b = false;
  if (el->get_bool().get(b) != simdjson::SUCCESS) {
    impl_->fail(name, "expected true or false");
    return fallback;
  }
  return b;
}

std::map<std::string, std::string> body_reader::string_map(std::string_view name) {
  std::map<std::string, std::string> out;
  auto el = impl_->get(name, false);
  if (!el)
    return out;
  simdjson::dom::object obj;
  if (el->get_object().get(obj) != simdjson::SUCCESS) {
    impl_->fail(name, "expected an object");
    return out;
  }
  for (auto [key, value] : obj) {
    auto s = impl::scalar(value);
    if (!s) {
      impl_->fail(std::string{name} + "." + std::string{key},
                  "expected a string, a number or a boolean");
      continue;
    }
    out[std::string{key}] = *s;
  }
  return out;
}

std::optional<response> body_reader::error() const {
  return impl_->problem;
}

body_reader parse_body(const request& req) {
  return body_reader{req.body};
}

} // namespace vigil::http
