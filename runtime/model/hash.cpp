#include "runtime/model/hash.hpp"

// g++ 12 with an AVX-512 target (-march=icelake-server, or native on such a CPU) inlines
// XXH3_accumulate_512_avx512 and then reports `_mm512_undefined_epi32()` in its own
// avx512fintrin.h as "used uninitialized" (GCC bug 105593). The warning is raised by
// third-party code after inlining, so the SYSTEM include does not silence it; it is switched off
// here, for this file only, before anything includes the intrinsics headers.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace vigil::model {

uint64_t xxh3_64(std::string_view bytes) noexcept {
  return XXH3_64bits(bytes.data(), bytes.size());
}

hash128 xxh3_128(std::string_view bytes) noexcept {
  const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  return {h.high64, h.low64};
}

struct xxh3_64_stream::state {
  XXH3_state_t xxh;
};

xxh3_64_stream::xxh3_64_stream() : state_(std::make_unique<state>()) {
  XXH3_64bits_reset(&state_->xxh);
}

xxh3_64_stream::~xxh3_64_stream() = default;

void xxh3_64_stream::update(std::string_view bytes) noexcept {
  XXH3_64bits_update(&state_->xxh, bytes.data(), bytes.size());
}

uint64_t xxh3_64_stream::digest() const noexcept {
  return XXH3_64bits_digest(&state_->xxh);
}

} // namespace vigil::model
