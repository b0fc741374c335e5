#include "storage/event_codec.hpp"

#include "storage/codec.hpp"

namespace vigil::storage {

namespace {

constexpr uint8_t event_format = 1;

void encode_labels(encoder& enc, const model::label_set& labels) {
  enc.varint(labels.size());
  for (const auto& [k, v] : labels) {
    enc.str(k);
    enc.str(v);
  }
}

bool decode_labels(decoder& dec, model::label_set& out) {
  const uint64_t n = dec.varint();
  if (!dec.ok() || n > 100'000)
    return false;
  out.reserve(static_cast<std::size_t>(n));
  for (uint64_t i = 0; i < n && dec.ok(); ++i) {
    auto k = dec.str();
    auto v = dec.str();
    out.push_back_sorted(std::string{k}, std::string{v});
  }
  return dec.ok();
}

} // namespace

void encode_event(const model::event& e, std::string& out) {
  out.reserve(out.size() + 128);
  encoder enc{out};
  enc.u8(event_format);
  enc.u8(static_cast<uint8_t>((e.client_id ? 1 : 0) | (e.value ? 2 : 0)));
  if (e.client_id)
    enc.str(e.id);
  enc.u8(static_cast<uint8_t>(e.type));
  enc.u8(static_cast<uint8_t>(e.status));
  enc.u8(static_cast<uint8_t>(e.priority));
  enc.str(e.severity);
  enc.str(e.source);
  encode_labels(enc, e.labels);
  encode_labels(enc, e.annotations);
  enc.i64(model::to_unix_nanos(e.starts_at));
  enc.i64(model::to_unix_nanos(e.ends_at));
  enc.i64(model::to_unix_nanos(e.received_at));
  enc.str(e.generator_url);
  enc.str(e.metric_name);
  if (e.value)
    enc.f64(*e.value);
  enc.fixed64(e.fingerprint);
}

std::optional<model::event> decode_event(uint64_t seq, std::string_view bytes) {
  decoder dec{bytes};
  if (dec.u8() != event_format)
    return std::nullopt;
  model::event e;
  e.seq = seq;
  const auto flags = dec.u8();
  e.client_id = (flags & 1) != 0;
  if (e.client_id)
    e.id = std::string{dec.str()};
  else
    e.id = model::derived_event_id(seq);
  const auto type = dec.u8();
  const auto status = dec.u8();
  const auto prio = dec.u8();
  if (type > 2 || status > 1 || prio > 3)
    return std::nullopt;
  e.type = static_cast<model::event_type>(type);
  e.status = static_cast<model::event_status>(status);
  e.priority = static_cast<model::priority>(prio);
  e.severity = std::string{dec.str()};
  e.source = std::string{dec.str()};
  if (!decode_labels(dec, e.labels) || !decode_labels(dec, e.annotations))
    return std::nullopt;
  e.starts_at = model::from_unix_nanos(dec.i64());
  e.ends_at = model::from_unix_nanos(dec.i64());
  e.received_at = model::from_unix_nanos(dec.i64());
  e.generator_url = std::string{dec.str()};
  e.metric_name = std::string{dec.str()};
  if ((flags & 2) != 0)
    e.value = dec.f64();
  e.fingerprint = dec.fixed64();
  if (!dec.ok() || !dec.at_end())
    return std::nullopt;
  return e;
}

std::string dedup_key(const model::event& e) {
  std::string key;
  if (e.client_id) {
    key.reserve(3 + e.id.size());
    key = "id:";
    key += e.id;
    return key;
  }
  key.reserve(64 + e.source.size() + e.metric_name.size());
  key = "ev:";
  encoder enc{key};
  enc.str(e.source);
  enc.fixed64(e.fingerprint);
  enc.u8(static_cast<uint8_t>(e.status));
  enc.i64(model::to_unix_nanos(e.starts_at));
  enc.u8(static_cast<uint8_t>(e.type));
  if (e.type == model::event_type::metric) {
    enc.str(e.metric_name);
    enc.f64(e.value.value_or(0));
  }
  return key;
}

} // namespace vigil::storage
