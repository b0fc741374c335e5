#pragma once

// Shared by the fuzz targets: an invariant that fails aborts, which libFuzzer reports as a
// crash and saves the input (the targets are built without NDEBUG's help or hindrance).

#include <cstdio>
#include <cstdlib>

/// Aborts with `what` and the source line when `condition` is false.
#define VIGIL_FUZZ_CHECK(condition, what)                                                          \
  do {                                                                                             \
    if (!(condition)) {                                                                            \
      std::fprintf(stderr, "%s:%d: invariant failed: %s (%s)\n", __FILE__, __LINE__, what,         \
                   #condition);                                                                    \
      std::abort();                                                                                \
    }                                                                                              \
  } while (false)
