#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

namespace vigil::model {

// XXH3 (a published, fixed algorithm: the same bytes give the same hash on every machine, build
// and version) behind a small interface. xxhash.h is included by hash.cpp alone: with an
// AVX-512 target, g++ 12 inlines xxhash's AVX-512 kernel and warns about its own intrinsics
// header, a false positive that must not reach our translation units (see hash.cpp).

/// A 128-bit hash, as two 64-bit halves.
struct hash128 {
  uint64_t high = 0;
  uint64_t low = 0;
};

/// XXH3-64 of `bytes`. Thread-safe, no allocation.
[[nodiscard]] uint64_t xxh3_64(std::string_view bytes) noexcept;

/// XXH3-128 of `bytes`. Thread-safe, no allocation.
[[nodiscard]] hash128 xxh3_128(std::string_view bytes) noexcept;

/// XXH3-64 of a sequence of pieces fed one at a time; equal to `xxh3_64` of their concatenation.
/// Not thread-safe: one owner at a time.
class xxh3_64_stream {
public:
  xxh3_64_stream();
  ~xxh3_64_stream();
  xxh3_64_stream(const xxh3_64_stream&) = delete;
  xxh3_64_stream& operator=(const xxh3_64_stream&) = delete;

  /// Appends `bytes` to the hashed sequence.
  void update(std::string_view bytes) noexcept;

  /// The hash of everything appended so far (the stream may go on).
  [[nodiscard]] uint64_t digest() const noexcept;

private:
  struct state;
  std::unique_ptr<state> state_;
};

} // namespace vigil::model
