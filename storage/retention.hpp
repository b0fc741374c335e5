#pragma once

#include <cstddef>
#include <string>

#include <caf/expected.hpp>

#include "runtime/model/time.hpp"

namespace vigil::storage {

class database;
class workflow_store;

/// What one retention sweep removed.
struct retention_report {
  std::size_t runs = 0;   ///< finished runs (with their timelines)
  std::size_t events = 0; ///< dispatched events (with their states)
  std::size_t dedup = 0;  ///< expired idempotency keys
};

/// Removes finished runs (completed, failed, cancelled) created before `runs_before`,
/// dispatched events received before `events_before`, and idempotency keys expired at `now`.
/// Events not yet dispatched, drained or quarantined, and runs not finished, are never removed.
[[nodiscard]] caf::expected<retention_report> sweep(database& db, workflow_store& store,
                                                    model::timestamp runs_before,
                                                    model::timestamp events_before,
                                                    model::timestamp now);

/// Writes every finished run created before `before` to `path` as NDJSON (one run per line,
/// with its steps and its timeline under `logs`), syncs the file, then removes those runs.
/// How many were archived. The file is written first: a failure leaves the runs in place.
[[nodiscard]] caf::expected<std::size_t>
archive_runs(workflow_store& store, model::timestamp before, const std::string& path);

} // namespace vigil::storage
