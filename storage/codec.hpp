#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::storage {

/// Appends primitives in Vigil's on-disk encoding: little-endian fixed widths, LEB128 varints,
/// length-prefixed strings. Values stored by Vigil start with a format version byte.
class encoder {
public:
  explicit encoder(std::string& out) noexcept : out_(out) {}

  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void fixed64(uint64_t v) {
    char buf[8];
    for (int i = 0; i < 8; ++i)
      buf[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    out_.append(buf, 8);
  }
  void i64(int64_t v) { fixed64(static_cast<uint64_t>(v)); }
  void f64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    fixed64(bits);
  }
  void str(std::string_view s) {
    varint(s.size());
    out_.append(s.data(), s.size());
  }

private:
  std::string& out_;
};

/// Reads what `encoder` wrote. Every read checks bounds; after a failed read `ok()` is false
/// and every further read returns a zero value, so a decoder checks once at the end.
class decoder {
public:
  explicit decoder(std::string_view in) noexcept : in_(in) {}

  uint8_t u8() {
    if (pos_ + 1 > in_.size())
      return fail<uint8_t>();
    return static_cast<uint8_t>(in_[pos_++]);
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size())
        return fail<uint64_t>();
      const auto b = static_cast<uint8_t>(in_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0)
        return v;
    }
    return fail<uint64_t>();
  }
  uint64_t fixed64() {
    if (pos_ + 8 > in_.size())
      return fail<uint64_t>();
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return v;
  }
  int64_t i64() { return static_cast<int64_t>(fixed64()); }
  double f64() {
    const uint64_t bits = fixed64();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  std::string_view str() {
    const uint64_t n = varint();
    if (!ok_ || n > in_.size() - pos_)
      return fail<std::string_view>();
    auto s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }

  [[nodiscard]] bool ok() const noexcept { return ok_; }
  [[nodiscard]] bool at_end() const noexcept { return pos_ == in_.size(); }

private:
  template <class T>
  T fail() {
    ok_ = false;
    pos_ = in_.size();
    return T{};
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

/// Big-endian 8-byte key, so that RocksDB's byte order is numeric order.
[[nodiscard]] inline std::string seq_key(uint64_t seq) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i) {
    k[static_cast<std::size_t>(i)] = static_cast<char>(seq & 0xff);
    seq >>= 8;
  }
  return k;
}

/// Inverse of `seq_key`; nullopt unless exactly 8 bytes.
[[nodiscard]] inline std::optional<uint64_t> parse_seq_key(std::string_view k) noexcept {
  if (k.size() != 8)
    return std::nullopt;
  uint64_t v = 0;
  for (char c : k)
    v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

} // namespace vigil::storage
