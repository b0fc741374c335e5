#include "bench/loadtest/payload.hpp"

#include <charconv>
#include <cstdio>

namespace vigil::loadtest {

namespace {

/// SplitMix64: a fast, well-mixed hash of a 64-bit value.
uint64_t mix(uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// A uniform double in [0, 1) from a hash.
double unit(uint64_t h) noexcept {
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

void append_number(std::string& out, uint64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  (void)ec;
  out.append(buf, end);
}

/// How far back a duplicate or a resolve may reach.
constexpr uint64_t lookback = 64;

} // namespace

std::optional<payload_kind> parse_payload_kind(std::string_view text) noexcept {
  if (text == "event" || text == "events")
    return payload_kind::event;
  if (text == "ndjson")
    return payload_kind::ndjson;
  if (text == "alertmanager")
    return payload_kind::alertmanager;
  if (text == "v2alerts")
    return payload_kind::v2alerts;
  return std::nullopt;
}

std::string_view to_string(payload_kind k) noexcept {
  switch (k) {
    case payload_kind::event:
      return "event";
    case payload_kind::ndjson:
      return "ndjson";
    case payload_kind::alertmanager:
      return "alertmanager";
    case payload_kind::v2alerts:
      return "v2alerts";
  }
  return "event";
}

std::string_view default_target(payload_kind k) noexcept {
  switch (k) {
    case payload_kind::alertmanager:
      return "/api/v1/alertmanager";
    case payload_kind::v2alerts:
      return "/api/v2/alerts";
    default:
      return "/api/events";
  }
}

std::string_view content_type(payload_kind k) noexcept {
  return k == payload_kind::ndjson ? "application/x-ndjson" : "application/json";
}

payload_factory::payload_factory(payload_settings s) : s_(std::move(s)) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", s_.run_nonce);
  nonce_hex_ = buf;
}

std::string payload_factory::event_id(uint64_t index, uint32_t slot) const {
  std::string out = nonce_hex_;
  out += '-';
  append_number(out, index);
  out += '-';
  append_number(out, slot);
  return out;
}

std::optional<std::pair<uint64_t, uint32_t>> payload_factory::decode_id(std::string_view id) const {
  if (id.size() < nonce_hex_.size() + 4 || id.substr(0, nonce_hex_.size()) != nonce_hex_
      || id[nonce_hex_.size()] != '-')
    return std::nullopt;
  id.remove_prefix(nonce_hex_.size() + 1);
  const auto dash = id.find('-');
  if (dash == std::string_view::npos)
    return std::nullopt;
  uint64_t index = 0;
  uint32_t slot = 0;
  auto r1 = std::from_chars(id.data(), id.data() + dash, index);
  auto r2 = std::from_chars(id.data() + dash + 1, id.data() + id.size(), slot);
  if (r1.ec != std::errc{} || r1.ptr != id.data() + dash || r2.ec != std::errc{}
      || r2.ptr != id.data() + id.size())
    return std::nullopt;
  return std::make_pair(index, slot);
}

payload_factory::role payload_factory::raw_role(uint64_t index, uint32_t slot) const noexcept {
  if (index == 0 || (s_.duplicates <= 0 && s_.resolved <= 0))
    return role::fresh;
  const double u = unit(mix(s_.seed ^ mix(index * 0x10001ULL + slot)));
  if (u < s_.duplicates)
    return role::duplicate;
  if (u < s_.duplicates + s_.resolved)
    return role::resolved;
  return role::fresh;
}

payload_factory::role payload_factory::role_of(uint64_t index, uint32_t slot,
                                               uint64_t& origin) const noexcept {
  origin = index;
  const auto r = raw_role(index, slot);
  if (r == role::fresh)
    return r;
  // Repeat a recent fresh event of the same slot (same batch position, so every format and
  // batch size can carry it); with none in reach, this one is fresh after all.
  const uint64_t reach = index < lookback ? index : lookback;
  const uint64_t h = mix(s_.seed + index * 31 + slot);
  for (uint64_t attempt = 0; attempt < 8; ++attempt) {
    const uint64_t back = 1 + (h + attempt) % reach;
    if (raw_role(index - back, slot) == role::fresh) {
      origin = index - back;
      return r;
    }
  }
  return role::fresh;
}

bool payload_factory::tagged(uint64_t origin, uint32_t slot) const noexcept {
  uint64_t every = 0;
  for (const auto& [first, n] : s_.tag_plan) {
    if (first > origin)
      break;
    every = n;
  }
  return every > 0 && (origin * s_.batch + slot) % every == 0;
}

void payload_factory::append_labels(std::string& out, uint64_t origin, uint32_t slot,
                                    bool tagged) const {
  // Sorted by name, as Prometheus and Alertmanager send them.
  out += R"({"alertname":")";
  out += tagged ? e2e_alertname : plain_alertname;
  out += R"(","instance":"lt-)";
  out += nonce_hex_;
  out += '-';
  append_number(out, origin);
  out += '-';
  append_number(out, slot);
  out += R"(:9100","job":"node","loadtest_id":")";
  out += nonce_hex_;
  out += '-';
  append_number(out, origin);
  out += '-';
  append_number(out, slot);
  out += R"(","severity":"warning","team":"sre"})";
}

void payload_factory::append_event(std::string& out, uint64_t origin, uint32_t slot, bool resolved,
                                   bool tagged) const {
  switch (s_.kind) {
    case payload_kind::event:
    case payload_kind::ndjson:
      out += R"({"id":")";
      out += nonce_hex_;
      out += '-';
      append_number(out, origin);
      out += '-';
      append_number(out, slot);
      // A resolve is a new event: its own id, or it would be taken for a duplicate.
      out += resolved ? R"(-r","type":"alert","status":"resolved",)"
                      : R"(","type":"alert","status":"firing",)";
      out += R"("severity":"warning","source":"loadtest","labels":)";
      append_labels(out, origin, slot, tagged);
      out += R"(,"annotations":{"summary":"vigil loadtest event"}})";
      return;
    case payload_kind::alertmanager:
      out += resolved ? R"({"status":"resolved","labels":)" : R"({"status":"firing","labels":)";
      append_labels(out, origin, slot, tagged);
      out += R"(,"annotations":{"summary":"vigil loadtest alert"},"startsAt":")";
      out += s_.starts_at;
      out += R"(","endsAt":")";
      out += resolved ? std::string_view{s_.ended_at} : "0001-01-01T00:00:00Z";
      out += R"(","generatorURL":"http://loadtest.invalid/graph"})";
      return;
    case payload_kind::v2alerts:
      out += R"({"labels":)";
      append_labels(out, origin, slot, tagged);
      out += R"(,"annotations":{"summary":"vigil loadtest alert"},"startsAt":")";
      out += s_.starts_at;
      if (resolved) {
        out += R"(","endsAt":")";
        out += s_.ended_at;
      }
      out += R"(","generatorURL":"http://loadtest.invalid/graph"})";
      return;
  }
}

void payload_factory::build(uint64_t index, body& out) const {
  out.text.clear();
  out.tagged.clear();
  out.events = s_.batch;
  out.duplicates = 0;
  out.resolved = 0;
  const bool array =
    s_.kind == payload_kind::v2alerts || (s_.kind == payload_kind::event && s_.batch > 1);
  if (s_.kind == payload_kind::alertmanager)
    out.text += R"({"version":"4","groupKey":"{}:{alertname=\"VigilLoadTest\"}",)"
                R"("truncatedAlerts":0,"status":"firing","receiver":"vigil","groupLabels":{},)"
                R"("commonLabels":{},"commonAnnotations":{},)"
                R"("externalURL":"http://loadtest.invalid","alerts":[)";
  else if (array)
    out.text += '[';
  for (uint32_t slot = 0; slot < s_.batch; ++slot) {
    if (slot > 0)
      out.text += s_.kind == payload_kind::ndjson ? '\n' : ',';
    uint64_t origin = index;
    const auto r = role_of(index, slot, origin);
    // Tag by the origin's position, so that a duplicate of a tagged event carries the tag too
    // (and is recognised as a duplicate) while only fresh events count as expected hits.
    const bool tagged = this->tagged(origin, slot);
    if (r == role::duplicate)
      ++out.duplicates;
    else if (r == role::resolved)
      ++out.resolved;
    else if (tagged)
      out.tagged.push_back(slot);
    append_event(out.text, origin, slot, r == role::resolved, tagged);
  }
  if (s_.kind == payload_kind::alertmanager)
    out.text += "]}";
  else if (array)
    out.text += ']';
  else if (s_.kind == payload_kind::ndjson)
    out.text += '\n';
}

} // namespace vigil::loadtest
