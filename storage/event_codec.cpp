#include "storage/event_codec.hpp"

#include "runtime/model/hash.hpp"
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
  out.reserve(static_cast<std::size_t>(n), 0);
  for (uint64_t i = 0; i < n && dec.ok(); ++i) {
    auto k = dec.str();
    auto v = dec.str();
    if (!dec.ok())
      break; // damaged: the caller refuses the whole event
    out.append(k, v);
  }
  // Stored sets were sorted when written: sort() only confirms it.
  return dec.ok() && out.sort().empty();
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
  // The identity is hashed to 128 bits (XXH3-128): fixed 17-byte keys keep the index's
  // memtable compares short, and a collision (2^-64 at a billion keys) is out of reach.
  std::string identity;
  identity.reserve(48 + e.source.size() + e.metric_name.size());
  char kind;
  if (e.client_id) {
    kind = 'i';
    identity = e.id;
  } else {
    kind = 'e';
    encoder enc{identity};
    enc.str(e.source);
    enc.fixed64(e.fingerprint);
    enc.u8(static_cast<uint8_t>(e.status));
    enc.i64(model::to_unix_nanos(e.starts_at));
    enc.u8(static_cast<uint8_t>(e.type));
    if (e.type == model::event_type::metric) {
      enc.str(e.metric_name);
      enc.f64(e.value.value_or(0));
    }
  }
  const model::hash128 h = model::xxh3_128(identity);
  std::string key(17, '\0');
  key[0] = kind;
  encoder out{key};
  key.resize(1);
  out.fixed64(h.high);
  out.fixed64(h.low);
  return key;
}

} // namespace vigil::storage
