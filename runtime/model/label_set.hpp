#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::model {

/// Owning key/value pairs (labels or annotations), kept in one buffer as
/// `key 0xff value 0xff` per pair. One allocation per set however many pairs it has, and once
/// sorted by key the buffer is exactly the canonical form the fingerprint hashes, so hashing
/// needs no copy. Sets are small (at most 64 pairs from ingest): lookups scan. 0xff never
/// occurs in UTF-8; a 0xff byte handed in anyway is stored as U+FFFD.
/// A value type: copy, move and compare freely; not thread-safe for concurrent mutation.
class label_set {
public:
  using value_type = std::pair<std::string_view, std::string_view>;

  /// Iterates pairs in buffer order (key order once sorted).
  class const_iterator {
  public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = label_set::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = value_type;

    struct arrow {
      value_type pair;
      const value_type* operator->() const noexcept { return &pair; }
    };

    const_iterator(const char* pos, const char* end) noexcept : pos_(pos), end_(end) { load(); }
    value_type operator*() const noexcept { return current_; }
    arrow operator->() const noexcept { return {current_}; }
    const_iterator& operator++() noexcept {
      pos_ = current_.second.data() + current_.second.size() + 1;
      load();
      return *this;
    }
    bool operator==(const const_iterator& o) const noexcept { return pos_ == o.pos_; }
    bool operator!=(const const_iterator& o) const noexcept { return pos_ != o.pos_; }

  private:
    void load() noexcept;

    const char* pos_;
    const char* end_;
    value_type current_;
  };

  label_set() = default;

  /// Builds a set from pairs in any order; the last value wins for a repeated key.
  explicit label_set(const std::vector<std::pair<std::string, std::string>>& pairs);

  /// Inserts or replaces `key`, keeping the set sorted.
  void set(std::string_view key, std::string_view value);

  /// The value of `key`, or nullopt when absent.
  [[nodiscard]] std::optional<std::string_view> find(std::string_view key) const noexcept;

  [[nodiscard]] bool contains(std::string_view key) const noexcept { return find(key).has_value(); }
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  [[nodiscard]] const_iterator begin() const noexcept { return {data(), data() + size_}; }
  [[nodiscard]] const_iterator end() const noexcept { return {data() + size_, data() + size_}; }

  // -- building (parsers and decoders) -------------------------------------------------

  /// Reserves room for `bytes` of keys and values in `pairs` pairs.
  void reserve(std::size_t pairs, std::size_t bytes) { grow_to(bytes + 2 * pairs); }

  /// Appends a pair in any order; call `sort` when done. Inline: parsers call it per label.
  /// Precondition: no 0xff byte in either (true of validated UTF-8 and of decoded sets).
  void append(std::string_view key, std::string_view value) {
    if (in_order_ && count_ > 0) {
      const int order = key.compare(last_key_);
      if (order == 0 && repeated_.empty())
        repeated_ = last_key_;
      else if (order < 0)
        in_order_ = false;
    }
    push(key, value);
  }

  /// Sorts appended pairs by key. Returns the first key that occurs twice, or an empty view
  /// when all keys are distinct (a set with a repeated key must not be used). Free when the
  /// pairs were appended in order, as Prometheus and Alertmanager send them.
  std::string_view sort();

  /// The canonical bytes: `key 0xff value 0xff` for every pair in key order. Requires a
  /// sorted set (anything but an `append` without `sort`).
  [[nodiscard]] std::string_view canonical_bytes() const noexcept { return {data(), size_}; }

  friend bool operator==(const label_set& x, const label_set& y) noexcept {
    return x.count_ == y.count_ && x.size_ == y.size_
           && (x.size_ == 0 || std::memcmp(x.data(), y.data(), x.size_) == 0);
  }
  friend bool operator!=(const label_set& x, const label_set& y) noexcept { return !(x == y); }

  label_set(const label_set& other);
  label_set& operator=(const label_set& other);
  label_set(label_set&& other) noexcept;
  label_set& operator=(label_set&& other) noexcept;
  ~label_set() = default;

private:
  [[nodiscard]] const char* data() const noexcept { return bytes_.get(); }

  void grow_to(std::size_t capacity);

  static bool has_ff(std::string_view s) noexcept {
    return std::memchr(s.data(), 0xff, s.size()) != nullptr;
  }

  void push(std::string_view key, std::string_view value) {
    const std::size_t need = key.size() + value.size() + 2;
    if (size_ + need > capacity_)
      grow_to(std::max(size_ + need, 2 * capacity_));
    char* out = bytes_.get() + size_;
    std::memcpy(out, key.data(), key.size());
    out[key.size()] = '\xff';
    std::memcpy(out + key.size() + 1, value.data(), value.size());
    out[key.size() + 1 + value.size()] = '\xff';
    last_key_ = std::string_view{out, key.size()};
    size_ += need;
    ++count_;
  }

  std::unique_ptr<char[]> bytes_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  std::size_t count_ = 0;
  bool in_order_ = true;
  std::string_view last_key_; // into bytes_; valid while appending
  std::string_view repeated_; // into bytes_; valid until sort()
};

// -- what a label may hold ------------------------------------------------------------------

/// True when `key` may name a label or an annotation: `[A-Za-z_][A-Za-z0-9_./-]*`, Prometheus'
/// label names plus the dots, dashes and slashes of Kubernetes and OpenTelemetry names. Length
/// limits are the caller's. A byte scan: cheap enough for every key of every event.
[[nodiscard]] bool valid_label_key(std::string_view key) noexcept;

/// Which control characters a text value may hold.
enum class text_rule : uint8_t {
  single_line, ///< tab only (label values, ids, severities, URLs)
  multi_line,  ///< tab, newline and carriage return (annotation values such as descriptions)
};

/// The byte offset of the first control character `text` may not hold under `rule` (NUL and the
/// other C0 controls, DEL, the C1 controls U+0080..U+009F), or `npos` when there is none.
/// Expects valid UTF-8. A byte scan: cheap enough for every value of every event.
[[nodiscard]] std::size_t find_control_character(std::string_view text, text_rule rule) noexcept;

/// The code point of the control character `find_control_character` found at `pos`.
[[nodiscard]] uint32_t control_character_at(std::string_view text, std::size_t pos) noexcept;

} // namespace vigil::model
