#include "runtime/model/time_json.hpp"

#include <cstdio>
#include <string>

namespace vigil::model {

std::string unix_seconds_text(timestamp t) {
  const int64_t ms = to_unix_nanos(t) / 1'000'000;
  int64_t secs = ms / 1000;
  int64_t frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    --secs;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%lld.%03lld", static_cast<long long>(secs),
                static_cast<long long>(frac));
  return buf;
}

void write_time(json_writer& w, std::string_view key, timestamp t) {
  std::string text_key{key};
  text_key += "_rfc3339";
  if (to_unix_nanos(t) == 0) {
    w.key(key).null();
    w.key(text_key).null();
    return;
  }
  w.key(key).raw(unix_seconds_text(t));
  w.field(text_key, format_rfc3339(t));
}

} // namespace vigil::model
