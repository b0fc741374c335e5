// The JSON report's schema, the summary's lines and the SVG charts, from a synthetic run.

#include <gtest/gtest.h>

#include "bench/loadtest/result.hpp"
#include "tests/loadtest/report_schema.hpp"

namespace vigil::loadtest {
namespace {

struct synthetic_run {
  loadtest_settings settings;
  run_result result;

  explicit synthetic_run(bool max_rate) {
    loadtest_options o;
    o.max_rate = max_rate;
    o.slo = "p95<5s,e2e.p99<10s,errors<0.1%";
    std::string error;
    settings = resolve_options(o, error);
    EXPECT_EQ(error, "");
    result.settings = &settings;
    result.started_at = "2026-01-01T00:00:00Z";
    result.e2e_enabled = true;
    result.e2e_measured = true;
    result.sink_port = 9099;
    result.before.metrics_json = R"({"events_total":10})";
    result.server_ingest_to_trigger = server_latency{100, 0.001, 0.004, 0.009};
    for (int k = 0; k < (max_rate ? 3 : 1); ++k) {
      step_result step;
      step.target_rate = 1000.0 * (k + 1);
      step.measured_s = 3;
      step.offset_s = 3.0 * k;
      for (int w = 0; w < 3; ++w)
        for (uint64_t i = 1; i <= 100; ++i) {
          const uint64_t v = i * 100'000 * (k + 1) * (w + 1);
          step.stats.accept.record(v);
          step.stats.window_at(std::chrono::seconds{w}).accept.record(v);
          step.stats.end_to_end.record(v * 10);
          step.stats.window_at(std::chrono::seconds{w}).end_to_end.record(v * 10);
          step.stats.dispatch_lag.record(1000);
          ++step.stats.window_at(std::chrono::seconds{w}).requests;
        }
      step.stats.requests = step.stats.ok = 300;
      step.stats.events = step.stats.ok_events = 300;
      step.stats.errors["429"] = k;
      step.stats.failed = static_cast<uint64_t>(k);
      slo_inputs in;
      in.accept = &step.stats.accept;
      in.end_to_end = &step.stats.end_to_end;
      in.requests = step.stats.requests;
      in.failed_requests = step.stats.failed;
      step.verdicts = evaluate_slos(settings.slos, in);
      step.met = all_met(step.verdicts);
      result.steps.push_back(std::move(step));
    }
    if (max_rate) {
      result.highest_rate_held = 1000;
      result.chosen = 0;
    }
  }
};

TEST(report, json_has_every_documented_key_with_its_type) {
  synthetic_run run{false};
  const auto json = report_json(run.result);
  test::expect_report_schema(json);
  EXPECT_NE(json.find(R"("metrics_before":{"events_total":10})"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("metrics_after":null)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("max_rate":null)"), std::string::npos);

  synthetic_run ramp{true};
  const auto ramp_json = report_json(ramp.result);
  test::expect_report_schema(ramp_json);
  EXPECT_NE(ramp_json.find(R"("highest_rate_held":1000)"), std::string::npos) << ramp_json;
}

TEST(report, summary_prints_both_latencies_and_every_verdict) {
  synthetic_run run{false};
  const auto text = summary_text(run.result);
  for (const char* needle :
       {"p50", "p90", "p95", "p99", "p99.9", "max", "accept (HTTP 2xx)", "end to end (run started)",
        "server ingest-to-trigger", "met     p95<5s", "met     e2e.p99<10s", "met     errors<0.1%",
        "result: SLOs met"})
    EXPECT_NE(text.find(needle), std::string::npos) << needle << " in\n" << text;
  EXPECT_EQ(run.result.exit_code(), 0);

  synthetic_run ramp{true};
  const auto ramp_text = summary_text(ramp.result);
  EXPECT_NE(ramp_text.find("highest rate that held: 1000/s"), std::string::npos) << ramp_text;
  EXPECT_NE(ramp_text.find("MISSED  errors<0.1%"), std::string::npos) << ramp_text;
  EXPECT_EQ(ramp.result.exit_code(), 0);
}

TEST(report, charts_are_standalone_svg) {
  synthetic_run run{true};
  for (const auto& svg : {latency_svg(run.result), histogram_svg(run.result)}) {
    EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0U);
    EXPECT_NE(svg.find("</svg>\n"), std::string::npos);
    EXPECT_EQ(svg.find("nan"), std::string::npos) << svg;
    EXPECT_EQ(svg.find("inf"), std::string::npos) << svg;
  }
  const auto lat = latency_svg(run.result);
  EXPECT_NE(lat.find("<polyline"), std::string::npos);
  EXPECT_NE(lat.find("SLO p95&lt;5s"), std::string::npos) << "thresholds are drawn and escaped";
  EXPECT_NE(histogram_svg(run.result).find("<rect x="), std::string::npos);
}

} // namespace
} // namespace vigil::loadtest
