// On-disk encoding of workflow checkpoints and timeline entries (format version 1).
//
// Checkpoint: version, state, created_at first (so listings filter without a full decode),
// then the remaining fields in declaration order. Every value must be consumed exactly:
// trailing bytes mean damage, not a format we may skip.

#include <limits>

#include "storage/codec.hpp"
#include "storage/event_codec.hpp"
#include "storage/workflow_store.hpp"

namespace vigil::storage {

namespace {

/// Collections larger than this are taken as damage rather than reserved for.
constexpr uint64_t max_entries = 100'000;

constexpr auto last_state = static_cast<uint8_t>(model::workflow_state::cancelled);
constexpr auto last_step_status = static_cast<uint8_t>(model::step_status::cancelled);

enum record_flags : uint8_t {
  flag_resolved = 1,
  flag_dry_run = 2,
  flag_cancel_requested = 4,
  flag_rolling_back = 8,
  flag_has_trigger = 16,
};

uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

int64_t unzigzag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

void put_time(encoder& enc, model::timestamp t) {
  enc.i64(model::to_unix_nanos(t));
}

model::timestamp get_time(decoder& dec) {
  return model::from_unix_nanos(dec.i64());
}

/// A varint that must fit 32 bits; a larger one fails the decoder's caller via `ok`.
uint32_t get_u32(decoder& dec, bool& ok) {
  const uint64_t v = dec.varint();
  if (v > std::numeric_limits<uint32_t>::max())
    ok = false;
  return static_cast<uint32_t>(v);
}

int32_t get_i32(decoder& dec, bool& ok) {
  const int64_t v = unzigzag(dec.varint());
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
    ok = false;
  return static_cast<int32_t>(v);
}

void encode_step(encoder& enc, const model::step_record& s) {
  enc.str(s.name);
  enc.u8(static_cast<uint8_t>(s.status));
  enc.varint(s.attempts);
  enc.varint(zigzag(s.exit_code));
  enc.str(s.output);
  enc.str(s.error);
  put_time(enc, s.started_at);
  put_time(enc, s.finished_at);
}

bool decode_step(decoder& dec, model::step_record& s) {
  bool ok = true;
  s.name = std::string{dec.str()};
  const auto status = dec.u8();
  ok = ok && status <= last_step_status;
  s.status = static_cast<model::step_status>(status);
  s.attempts = get_u32(dec, ok);
  s.exit_code = get_i32(dec, ok);
  s.output = std::string{dec.str()};
  s.error = std::string{dec.str()};
  s.started_at = get_time(dec);
  s.finished_at = get_time(dec);
  return ok && dec.ok();
}

} // namespace

void encode_workflow(const model::workflow_record& r, std::string& out) {
  std::size_t hint = 256 + r.trigger.labels.canonical_bytes().size()
                     + r.trigger.annotations.canonical_bytes().size();
  for (const auto& s : r.steps)
    hint += 48 + s.name.size() + s.output.size() + s.error.size();
  out.reserve(out.size() + hint);
  encoder enc{out};
  enc.u8(workflow_format_version);
  enc.u8(static_cast<uint8_t>(r.state));
  put_time(enc, r.created_at);

  enc.str(r.id);
  enc.str(r.runbook);
  enc.str(r.runbook_path);
  enc.str(r.runbook_sha256);
  enc.str(r.reason);
  enc.str(r.error);
  enc.varint(r.current_step);
  enc.varint(r.total_attempts);
  put_time(enc, r.started_at);
  put_time(enc, r.updated_at);
  put_time(enc, r.finished_at);
  put_time(enc, r.wake_at);

  enc.varint(r.params.size());
  for (const auto& [k, v] : r.params) {
    enc.str(k);
    enc.str(v);
  }
  enc.varint(r.event_seq);

  // A run started by hand has no trigger: store nothing rather than a default event, which
  // would not read back equal (a decoded event's id is derived from its seq).
  const bool has_trigger = !(r.trigger == model::event{});
  enc.u8(static_cast<uint8_t>((r.resolved ? flag_resolved : 0) | (r.dry_run ? flag_dry_run : 0)
                              | (r.cancel_requested ? flag_cancel_requested : 0)
                              | (r.rolling_back ? flag_rolling_back : 0)
                              | (has_trigger ? flag_has_trigger : 0)));
  if (has_trigger) {
    // The event's own encoding keeps seq in the key and a derived id implicit; a copy here
    // has no key, so both travel alongside it.
    enc.varint(r.trigger.seq);
    enc.str(r.trigger.id);
    std::string bytes;
    encode_event(r.trigger, bytes);
    enc.str(bytes);
  }
  enc.str(r.concurrency_key);

  enc.varint(r.steps.size());
  for (const auto& s : r.steps)
    encode_step(enc, s);

  enc.fixed64(r.last_failure_hash);
  enc.varint(r.same_failures);
  enc.str(r.gate_step);
  enc.str(r.decided_by);
  enc.str(r.decision_reason);
  enc.u8(static_cast<uint8_t>(r.paused_from));
  enc.varint(zigzag(r.rollback_next));
  enc.varint(r.log_seq);
}

std::optional<workflow_summary> peek_workflow(std::string_view bytes) noexcept {
  decoder dec{bytes};
  if (dec.u8() != workflow_format_version)
    return std::nullopt;
  const auto state = dec.u8();
  workflow_summary s;
  s.created_at = get_time(dec);
  if (!dec.ok() || state > last_state)
    return std::nullopt;
  s.state = static_cast<model::workflow_state>(state);
  return s;
}

std::optional<model::workflow_record> decode_workflow(std::string_view bytes) {
  decoder dec{bytes};
  if (dec.u8() != workflow_format_version)
    return std::nullopt;
  bool ok = true;
  model::workflow_record r;
  const auto state = dec.u8();
  ok = ok && state <= last_state;
  r.state = static_cast<model::workflow_state>(state);
  r.created_at = get_time(dec);

  r.id = std::string{dec.str()};
  r.runbook = std::string{dec.str()};
  r.runbook_path = std::string{dec.str()};
  r.runbook_sha256 = std::string{dec.str()};
  r.reason = std::string{dec.str()};
  r.error = std::string{dec.str()};
  r.current_step = get_u32(dec, ok);
  r.total_attempts = get_u32(dec, ok);
  r.started_at = get_time(dec);
  r.updated_at = get_time(dec);
  r.finished_at = get_time(dec);
  r.wake_at = get_time(dec);

  const uint64_t params = dec.varint();
  if (!dec.ok() || params > max_entries)
    return std::nullopt;
  for (uint64_t i = 0; i < params && dec.ok(); ++i) {
    auto k = dec.str();
    auto v = dec.str();
    r.params.emplace_hint(r.params.end(), std::string{k}, std::string{v});
  }
  r.event_seq = dec.varint();

  const auto flags = dec.u8();
  r.resolved = (flags & flag_resolved) != 0;
  r.dry_run = (flags & flag_dry_run) != 0;
  r.cancel_requested = (flags & flag_cancel_requested) != 0;
  r.rolling_back = (flags & flag_rolling_back) != 0;
  if ((flags & flag_has_trigger) != 0) {
    const uint64_t seq = dec.varint();
    auto id = dec.str();
    auto event_bytes = dec.str();
    if (!dec.ok())
      return std::nullopt;
    auto trigger = decode_event(seq, event_bytes);
    if (!trigger)
      return std::nullopt;
    r.trigger = std::move(*trigger);
    r.trigger.id = std::string{id};
  }
  r.concurrency_key = std::string{dec.str()};

  const uint64_t steps = dec.varint();
  if (!dec.ok() || steps > max_entries)
    return std::nullopt;
  r.steps.resize(static_cast<std::size_t>(steps));
  for (auto& s : r.steps)
    if (!decode_step(dec, s))
      return std::nullopt;

  r.last_failure_hash = dec.fixed64();
  r.same_failures = get_u32(dec, ok);
  r.gate_step = std::string{dec.str()};
  r.decided_by = std::string{dec.str()};
  r.decision_reason = std::string{dec.str()};
  const auto paused_from = dec.u8();
  ok = ok && paused_from <= last_state;
  r.paused_from = static_cast<model::workflow_state>(paused_from);
  r.rollback_next = get_i32(dec, ok);
  r.log_seq = dec.varint();
  if (!ok || !dec.ok() || !dec.at_end())
    return std::nullopt;
  return r;
}

void encode_workflow_log_entry(const model::workflow_log_entry& e, std::string& out) {
  out.reserve(out.size() + 24 + e.kind.size() + e.step.size() + e.message.size());
  encoder enc{out};
  enc.u8(workflow_format_version);
  put_time(enc, e.at);
  enc.str(e.kind);
  enc.str(e.step);
  enc.varint(e.attempt);
  enc.str(e.message);
}

std::optional<model::workflow_log_entry> decode_workflow_log_entry(uint64_t seq,
                                                                   std::string_view bytes) {
  decoder dec{bytes};
  if (dec.u8() != workflow_format_version)
    return std::nullopt;
  bool ok = true;
  model::workflow_log_entry e;
  e.seq = seq;
  e.at = get_time(dec);
  e.kind = std::string{dec.str()};
  e.step = std::string{dec.str()};
  e.attempt = get_u32(dec, ok);
  e.message = std::string{dec.str()};
  if (!ok || !dec.ok() || !dec.at_end())
    return std::nullopt;
  return e;
}

std::string workflow_log_key(std::string_view id, uint64_t seq) {
  std::string key;
  key.reserve(id.size() + 9);
  key.append(id.data(), id.size());
  key.push_back('\0');
  key += seq_key(seq);
  return key;
}

} // namespace vigil::storage
