#include "actors/integrations/adapter_json.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace vigil::actors::detail {

namespace {

std::string lower(std::string_view s) {
  std::string out{s};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

} // namespace

// -- json_params ----------------------------------------------------------------------------------

json_params::json_params(const std::string& json) {
  if (json.empty() || json == "null")
    return;
  simdjson::dom::element doc;
  if (parser_.parse(json).get(doc) != simdjson::SUCCESS) {
    fail("params are not valid JSON");
    return;
  }
  if (doc.is_null())
    return;
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    fail("params must be a map");
    return;
  }
  root_ = obj;
}

void json_params::fail(std::string message) {
  if (error_.empty())
    error_ = std::move(message);
}

void json_params::only(std::string_view action, std::initializer_list<std::string_view> allowed) {
  if (!root_)
    return;
  for (auto field : *root_) {
    if (std::find(allowed.begin(), allowed.end(), field.key) != allowed.end())
      continue;
    std::string list;
    for (auto a : allowed)
      list += (list.empty() ? "" : ", ") + std::string{a};
    fail(std::string{action} + ": unknown parameter \"" + std::string{field.key} + "\" (expected "
         + list + ")");
    return;
  }
}

std::optional<simdjson::dom::element> json_params::get(std::string_view key) const {
  if (!root_)
    return std::nullopt;
  simdjson::dom::element e;
  if (root_->at_key(key).get(e) != simdjson::SUCCESS || e.is_null())
    return std::nullopt;
  return e;
}

std::optional<std::string> json_params::text(std::string_view key) {
  auto e = get(key);
  if (!e)
    return std::nullopt;
  auto s = scalar_text(*e);
  if (!s)
    fail("parameter \"" + std::string{key} + "\" must be a text, not a list or map");
  return s;
}

std::vector<std::pair<std::string, std::string>> json_params::text_map(std::string_view key) {
  std::vector<std::pair<std::string, std::string>> out;
  auto e = get(key);
  if (!e)
    return out;
  simdjson::dom::object obj;
  if (e->get_object().get(obj) != simdjson::SUCCESS) {
    fail("parameter \"" + std::string{key} + "\" must be a map");
    return out;
  }
  for (auto field : obj) {
    auto s = scalar_text(field.value);
    if (!s) {
      fail("parameter \"" + std::string{key} + "." + std::string{field.key} + "\" must be a text");
      continue;
    }
    out.emplace_back(std::string{field.key}, std::move(*s));
  }
  return out;
}

// -- JSON values ----------------------------------------------------------------------------------

std::optional<std::string> scalar_text(simdjson::dom::element e) {
  using t = simdjson::dom::element_type;
  switch (e.type()) {
    case t::STRING:
      return std::string{std::string_view{e}};
    case t::BOOL:
      return bool{e} ? "true" : "false";
    case t::NULL_VALUE:
      return std::string{};
    case t::INT64:
    case t::UINT64:
    case t::DOUBLE: {
      model::json_writer w;
      write_json(w, e);
      return std::move(w).str();
    }
    default:
      return std::nullopt;
  }
}

void write_json(model::json_writer& w, simdjson::dom::element e) {
  using t = simdjson::dom::element_type;
  switch (e.type()) {
    case t::ARRAY:
      w.begin_array();
      for (auto item : simdjson::dom::array(e))
        write_json(w, item);
      w.end_array();
      return;
    case t::OBJECT:
      w.begin_object();
      for (auto field : simdjson::dom::object(e)) {
        w.key(field.key);
        write_json(w, field.value);
      }
      w.end_object();
      return;
    case t::INT64:
      w.value(int64_t{e});
      return;
    case t::UINT64:
      w.value(uint64_t{e});
      return;
    case t::DOUBLE: {
      const double d{e};
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15)
        w.value(static_cast<int64_t>(d));
      else
        w.value(d);
      return;
    }
    case t::STRING:
      w.value(std::string_view{e});
      return;
    case t::BOOL:
      w.value(bool{e});
      return;
    case t::NULL_VALUE:
      w.null();
      return;
  }
}

std::string to_json(simdjson::dom::element e) {
  model::json_writer w;
  write_json(w, e);
  return std::move(w).str();
}

// -- URLs and headers -----------------------------------------------------------------------------

std::string join_url(std::string_view base, std::string_view path) {
  std::string out{base};
  while (!out.empty() && out.back() == '/')
    out.pop_back();
  if (path.empty())
    return out;
  if (path.front() != '/' && path.front() != '?')
    out += '/';
  out += path;
  return out;
}

std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string origin_of(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return {};
  const auto host_end = url.find_first_of("/?#", scheme_end + 3);
  auto origin = lower(url.substr(0, host_end));
  // user:password@ never counts as part of the origin
  const auto at = origin.find('@', scheme_end + 3);
  if (at != std::string::npos)
    origin.erase(scheme_end + 3, at - scheme_end - 2);
  return origin;
}

void set_header(http_request& r, std::string_view name, std::string value) {
  const auto key = lower(name);
  for (auto& [k, v] : r.headers) {
    if (lower(k) == key) {
      v = std::move(value);
      return;
    }
  }
  r.headers.emplace_back(std::string{name}, std::move(value));
}

void add_config_headers(http_request& r, const model::integration_config& cfg) {
  const bool own_origin = cfg.url.empty() || origin_of(r.url) == origin_of(cfg.url)
                          || (!cfg.webhook_url.empty() && r.url == cfg.webhook_url);
  for (const auto& [k, v] : cfg.headers)
    if (own_origin || !is_credential_header(k))
      set_header(r, k, v);
  if (!own_origin)
    return;
  if (!cfg.bearer_token.empty())
    set_header(r, "Authorization", "Bearer " + cfg.bearer_token);
  if (!cfg.api_key.empty())
    set_header(r, "X-API-Key", cfg.api_key);
}

std::chrono::milliseconds call_timeout(const model::integration_config& cfg,
                                       const call_request& req) noexcept {
  // A call_request carries 10 s unless its step set a timeout: then the step's wins.
  if (req.timeout.count() <= 0 || req.timeout == call_request{}.timeout)
    return cfg.timeout;
  return req.timeout;
}

http_request base_request(const model::integration_config& cfg, const call_request& req,
                          std::string method, std::string url) {
  http_request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.timeout = call_timeout(cfg, req);
  r.connect_timeout = std::min(cfg.connect_timeout, r.timeout);
  r.follow_redirects = cfg.follow_redirects;
  add_config_headers(r, cfg);
  if (!req.key.empty())
    set_header(r, "Idempotency-Key", req.key);
  return r;
}

std::string cut_utf8(std::string_view s, std::size_t max) {
  if (s.size() <= max)
    return std::string{s};
  auto end = max;
  // Step back over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80)
    --end;
  return std::string{s.substr(0, end)};
}

std::string snippet(std::string_view body, std::size_t max) {
  std::string out = cut_utf8(body, max);
  for (auto& c : out)
    if (c == '\n' || c == '\r' || c == '\t')
      c = ' ';
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out;
}

} // namespace vigil::actors::detail
