#pragma once

#include <iosfwd>

#include "bench/loadtest/options.hpp"

namespace vigil::loadtest {

/// `vigil loadtest`: drives a running Vigil (or any compatible endpoint) at a target rate, open
/// loop, and judges the SLOs. Prints a live progress line and a summary on stdout, writes the
/// report when asked. Exit code: 0 when the SLOs were met (with --max-rate: when some rate
/// held), 1 when one was missed, 2 for bad options or when the server cannot be reached.
int run_loadtest(const loadtest_options& opts);

/// The same, printing to `out` / `err`; `interactive` redraws one progress line in place (for a
/// terminal) instead of printing a plain line every few seconds.
int run_loadtest(const loadtest_options& opts, std::ostream& out, std::ostream& err,
                 bool interactive);

} // namespace vigil::loadtest
