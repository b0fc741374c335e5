#include "runtime/model/hash.hpp"

#include <string>

#include <gtest/gtest.h>

namespace vigil::model {
namespace {

// Published XXH3 test values: a stored fingerprint or dedup key must mean the same on every
// machine and build (portable or -march=native, with or without AVX-512).
TEST(hash, xxh3_64_matches_the_published_values) {
  EXPECT_EQ(xxh3_64(""), 0x2D06800538D394C2ULL);
  EXPECT_EQ(xxh3_64("a"), 0xE6C632B61E964E1FULL);
}

TEST(hash, xxh3_128_of_the_empty_input_matches_the_published_value) {
  const auto h = xxh3_128("");
  EXPECT_EQ(h.high, 0x99AA06D3014798D8ULL);
  EXPECT_EQ(h.low, 0x6001C324468D497FULL);
}

// Long inputs take the vectorised kernel (the one g++ inlines as AVX-512 on such targets).
TEST(hash, stream_equals_the_one_shot_hash_of_the_concatenation) {
  std::string big;
  for (int i = 0; i < 10'000; ++i)
    big += std::to_string(i) + ',';
  xxh3_64_stream s;
  for (std::size_t pos = 0; pos < big.size(); pos += 777)
    s.update(std::string_view{big}.substr(pos, 777));
  EXPECT_EQ(s.digest(), xxh3_64(big));
  EXPECT_NE(xxh3_64(big), xxh3_64(std::string_view{big}.substr(1)));
}

} // namespace
} // namespace vigil::model
