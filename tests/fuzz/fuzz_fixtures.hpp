#pragma once

// Shared by the runbook-side fuzz targets: one fixed event, parameters and step results to
// render templates and evaluate triggers against.

#include <map>
#include <string>

#include "runtime/model/event.hpp"
#include "runtime/runbook/runbook.hpp"

namespace vigil::fuzz {

/// A firing alert with the labels the example runbooks read.
inline const model::event& fixed_event() {
  static const model::event e = [] {
    model::event x;
    x.id = "fuzz-1";
    x.type = model::event_type::alert;
    x.severity = "critical";
    x.source = "prometheus";
    x.labels = model::label_set{{{"alertname", "HighMemoryUsage"},
                                 {"instance", "server-01"},
                                 {"severity", "critical"},
                                 {"service", "api"},
                                 {"value", "95"}}};
    x.annotations = model::label_set{{{"summary", "High memory usage"}}};
    x.metric_name = "memory_usage_percent";
    x.value = 95.5;
    x.fingerprint = model::fingerprint_of(x.labels);
    return x;
  }();
  return e;
}

/// Values for every kind of placeholder.
inline runbook::render_context fixed_context() {
  static const std::map<std::string, std::string> params{{"service", "api"}, {"threshold", "90"}};
  static const std::map<std::string, runbook::step_view> steps{{"check", {"ok\n", "succeeded"}},
                                                               {"restart", {"", "failed"}}};
  return runbook::render_context{&fixed_event(), &params, &steps, "wf-0001"};
}

} // namespace vigil::fuzz
