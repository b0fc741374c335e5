#include "runtime/model/label_set.hpp"

#include <algorithm>
#include <array>

namespace vigil::model {

namespace {

std::string without_ff(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 4);
  for (char c : s) {
    if (static_cast<unsigned char>(c) == 0xff)
      out += "\xEF\xBF\xBD";
    else
      out += c;
  }
  return out;
}

/// Bit 1: may start a label key; bit 2: may follow.
constexpr std::array<uint8_t, 256> key_chars = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c)
    t[c] = t[c - 'a' + 'A'] = 3;
  for (int c = '0'; c <= '9'; ++c)
    t[c] = 2;
  t['_'] = 3;
  t['.'] = t['-'] = t['/'] = 2;
  return t;
}();

} // namespace

bool valid_label_key(std::string_view key) noexcept {
  if (key.empty() || (key_chars[static_cast<unsigned char>(key[0])] & 1U) == 0)
    return false;
  for (char c : key.substr(1))
    if ((key_chars[static_cast<unsigned char>(c)] & 2U) == 0)
      return false;
  return true;
}

std::size_t find_control_character(std::string_view text, text_rule rule) noexcept {
  const bool lines = rule == text_rule::multi_line;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f)
      continue; // printable ASCII: almost every byte
    if (c < 0x20) {
      if (c == '\t' || (lines && (c == '\n' || c == '\r')))
        continue;
      return i;
    }
    if (c == 0x7f)
      return i;
    // U+0080..U+009F are 0xC2 0x80..0x9F in UTF-8.
    if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xa0)
      return i;
  }
  return std::string_view::npos;
}

uint32_t control_character_at(std::string_view text, std::size_t pos) noexcept {
  if (pos >= text.size())
    return 0;
  const auto c = static_cast<unsigned char>(text[pos]);
  if (c == 0xc2 && pos + 1 < text.size())
    return static_cast<unsigned char>(text[pos + 1]);
  return c;
}

void label_set::const_iterator::load() noexcept {
  if (pos_ >= end_) {
    pos_ = end_;
    current_ = {};
    return;
  }
  const auto* key_end =
    static_cast<const char*>(std::memchr(pos_, 0xff, static_cast<std::size_t>(end_ - pos_)));
  const auto* value_begin = key_end + 1;
  const auto* value_end = static_cast<const char*>(
    std::memchr(value_begin, 0xff, static_cast<std::size_t>(end_ - value_begin)));
  current_ = {std::string_view{pos_, static_cast<std::size_t>(key_end - pos_)},
              std::string_view{value_begin, static_cast<std::size_t>(value_end - value_begin)}};
}

label_set::label_set(const std::vector<std::pair<std::string, std::string>>& pairs) {
  for (const auto& [k, v] : pairs)
    set(k, v);
}

label_set::label_set(const label_set& other) {
  *this = other;
}

label_set& label_set::operator=(const label_set& other) {
  if (this == &other)
    return *this;
  bytes_.reset(other.size_ > 0 ? new char[other.size_] : nullptr);
  if (other.size_ > 0)
    std::memcpy(bytes_.get(), other.bytes_.get(), other.size_);
  size_ = other.size_;
  capacity_ = other.size_;
  count_ = other.count_;
  in_order_ = other.in_order_;
  // Views point into the other buffer: rebase them onto ours.
  const auto rebase = [&](std::string_view v) {
    return v.empty() ? std::string_view{}
                     : std::string_view{bytes_.get() + (v.data() - other.bytes_.get()), v.size()};
  };
  last_key_ = rebase(other.last_key_);
  repeated_ = rebase(other.repeated_);
  return *this;
}

label_set::label_set(label_set&& other) noexcept
  : bytes_(std::move(other.bytes_)), size_(other.size_), capacity_(other.capacity_),
    count_(other.count_), in_order_(other.in_order_), last_key_(other.last_key_),
    repeated_(other.repeated_) {
  other.size_ = other.capacity_ = other.count_ = 0;
  other.in_order_ = true;
  other.last_key_ = other.repeated_ = {};
}

label_set& label_set::operator=(label_set&& other) noexcept {
  if (this != &other) {
    bytes_ = std::move(other.bytes_);
    size_ = other.size_;
    capacity_ = other.capacity_;
    count_ = other.count_;
    in_order_ = other.in_order_;
    last_key_ = other.last_key_;
    repeated_ = other.repeated_;
    other.size_ = other.capacity_ = other.count_ = 0;
    other.in_order_ = true;
    other.last_key_ = other.repeated_ = {};
  }
  return *this;
}

void label_set::grow_to(std::size_t capacity) {
  if (capacity <= capacity_)
    return;
  std::unique_ptr<char[]> grown{new char[capacity]};
  if (size_ > 0)
    std::memcpy(grown.get(), bytes_.get(), size_);
  // Keep views pointing into the new buffer.
  const auto rebase = [&](std::string_view& v) {
    if (!v.empty())
      v = std::string_view{grown.get() + (v.data() - bytes_.get()), v.size()};
  };
  rebase(last_key_);
  rebase(repeated_);
  bytes_ = std::move(grown);
  capacity_ = capacity;
}

std::string_view label_set::sort() {
  if (in_order_)
    return repeated_;
  std::vector<value_type> pairs(begin(), end()); // views into the current buffer
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const value_type& x, const value_type& y) { return x.first < y.first; });
  label_set sorted;
  sorted.grow_to(size_);
  for (const auto& [k, v] : pairs)
    sorted.append(k, v); // in order now: append notes a repeated key
  *this = std::move(sorted);
  return repeated_;
}

void label_set::set(std::string_view key, std::string_view value) {
  if (has_ff(key) || has_ff(value)) {
    const auto k = without_ff(key);
    const auto v = without_ff(value);
    return set(k, v);
  }
  if (!in_order_)
    sort();
  // Where the pair goes: before the first key not less than `key` (replacing an equal one).
  const char* base = data();
  std::size_t at = size_;
  std::size_t replaced = 0;
  for (auto it = begin(); it != end(); ++it) {
    const auto [k, v] = *it;
    if (k < key)
      continue;
    at = static_cast<std::size_t>(k.data() - base);
    if (k == key)
      replaced = k.size() + v.size() + 2;
    break;
  }
  if (at == size_) {
    push(key, value);
    return;
  }
  const std::size_t need = key.size() + value.size() + 2;
  const std::size_t total = size_ - replaced + need;
  std::unique_ptr<char[]> out{new char[total]};
  std::memcpy(out.get(), base, at);
  char* p = out.get() + at;
  std::memcpy(p, key.data(), key.size());
  p[key.size()] = '\xff';
  std::memcpy(p + key.size() + 1, value.data(), value.size());
  p[key.size() + 1 + value.size()] = '\xff';
  std::memcpy(p + need, base + at + replaced, size_ - at - replaced);
  bytes_ = std::move(out);
  size_ = capacity_ = total;
  if (replaced == 0)
    ++count_;
  last_key_ = {};
  repeated_ = {};
}

std::optional<std::string_view> label_set::find(std::string_view key) const noexcept {
  for (auto it = begin(); it != end(); ++it) {
    const auto [k, v] = *it;
    if (k == key)
      return v;
  }
  return std::nullopt;
}

} // namespace vigil::model
