#include "runtime/http/types.hpp"

#include "runtime/model/json_writer.hpp"

namespace vigil::http {

std::string_view to_string(method m) noexcept {
  switch (m) {
    case method::get:
      return "GET";
    case method::head:
      return "HEAD";
    case method::post:
      return "POST";
    case method::put:
      return "PUT";
    case method::delete_:
      return "DELETE";
    case method::patch:
      return "PATCH";
    case method::options:
      return "OPTIONS";
    case method::other:
      break;
  }
  return "OTHER";
}

const std::string* request::query_param(std::string_view name) const noexcept {
  for (const auto& [k, v] : query)
    if (k == name)
      return &v;
  return nullptr;
}

response error_response(unsigned status, std::string_view code, std::string_view message,
                        const std::vector<error_detail>& details) {
  model::json_writer w;
  w.begin_object().field("error", code).field("message", message);
  w.key("details").begin_array();
  for (const auto& d : details) {
    w.begin_object();
    if (d.index >= 0)
      w.field("index", static_cast<int64_t>(d.index));
    w.field("field", d.field).field("reason", d.reason).end_object();
  }
  w.end_array().end_object();
  response r;
  r.status = status;
  r.body = std::move(w).str();
  return r;
}

response json_response(std::string body, unsigned status) {
  response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

bool url_decode(std::string_view in, std::string& out, bool plus_is_space) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size())
        return false;
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9')
          return h - '0';
        if (h >= 'a' && h <= 'f')
          return h - 'a' + 10;
        if (h >= 'A' && h <= 'F')
          return h - 'A' + 10;
        return -1;
      };
      int hi = hex(in[i + 1]);
      int lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0)
        return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return true;
}

} // namespace vigil::http
