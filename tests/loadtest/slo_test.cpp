// `--slo` parsing and verdicts, and the other flags' checks (exit 2 material).

#include <gtest/gtest.h>

#include "bench/loadtest/options.hpp"
#include "bench/loadtest/slo.hpp"
#include "bench/loadtest/units.hpp"

namespace vigil::loadtest {
namespace {

using namespace std::chrono_literals;

TEST(slo, parses_the_default_and_written_forms) {
  auto r = parse_slos(default_slos);
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.slos.size(), 2U);
  EXPECT_EQ(r.slos[0].subject, slo_subject::every_latency);
  EXPECT_DOUBLE_EQ(r.slos[0].percentile, 95);
  EXPECT_EQ(r.slos[0].limit, 5s);
  EXPECT_EQ(r.slos[1].subject, slo_subject::errors);
  EXPECT_DOUBLE_EQ(r.slos[1].error_share, 0.001);

  r = parse_slos(" p95<5s , p99<10s,errors<0.1%, p99.9 <= 250ms, e2e.p50<1.5s, accept.max<1us ");
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.slos.size(), 6U);
  EXPECT_EQ(r.slos[1].limit, 10s);
  EXPECT_DOUBLE_EQ(r.slos[3].percentile, 99.9);
  EXPECT_TRUE(r.slos[3].inclusive);
  EXPECT_EQ(r.slos[3].limit, 250ms);
  EXPECT_EQ(r.slos[4].subject, slo_subject::end_to_end);
  EXPECT_EQ(r.slos[4].limit, 1500ms);
  EXPECT_EQ(r.slos[5].subject, slo_subject::accept);
  EXPECT_DOUBLE_EQ(r.slos[5].percentile, 100);
  EXPECT_EQ(r.slos[5].limit, 1us);
  EXPECT_EQ(r.slos[0].text, "p95<5s");
}

TEST(slo, rejects_malformed_items_and_names_them) {
  struct bad {
    const char* text;
    const char* says;
  };
  for (const auto& b : {bad{"", "empty"}, bad{"p95", "expected METRIC<LIMIT"},
                        bad{"p95>5s", "expected METRIC<LIMIT"}, bad{"p95<", "missing limit"},
                        bad{"<5s", "missing metric"}, bad{"p100<5s", "unknown percentile"},
                        bad{"p0<5s", "unknown percentile"}, bad{"pxx<5s", "unknown percentile"},
                        bad{"latency<5s", "unknown metric"}, bad{"p95<5 parsecs", "bad duration"},
                        bad{"p95<-5s", "bad duration"}, bad{"errors<0.1", "percentage"},
                        bad{"errors<200%", "between 0% and 100%"},
                        bad{"p95<5s,,errors<1%", "empty item"}, bad{"e2e.errors<1%", "unknown"}}) {
    auto r = parse_slos(b.text);
    EXPECT_FALSE(r.error.empty()) << b.text;
    EXPECT_TRUE(r.slos.empty()) << b.text;
    EXPECT_NE(r.error.find(b.says), std::string::npos) << b.text << " -> " << r.error;
    EXPECT_EQ(r.error.rfind("--slo: ", 0), 0U) << r.error;
  }
}

log_linear_histogram uniform_ms(uint64_t from_ms, uint64_t to_ms) {
  log_linear_histogram h;
  for (uint64_t ms = from_ms; ms <= to_ms; ++ms)
    h.record(ms * 1'000'000);
  return h;
}

TEST(slo, verdicts_for_both_latencies_and_errors) {
  const auto accept = uniform_ms(1, 100); // p95 = 95 ms, p99 = 99 ms
  const auto e2e = uniform_ms(10, 1000);  // p95 = 951 ms
  auto slos = parse_slos("p95<500ms,accept.p99<100ms,e2e.max<=1s,errors<1%").slos;
  slo_inputs in;
  in.accept = &accept;
  in.end_to_end = &e2e;
  in.requests = 1000;
  in.failed_requests = 20;
  auto v = evaluate_slos(slos, in);
  ASSERT_EQ(v.size(), 5U);
  EXPECT_EQ(v[0].subject, "accept");
  EXPECT_TRUE(v[0].met) << v[0].detail;
  EXPECT_EQ(v[1].subject, "end_to_end");
  EXPECT_FALSE(v[1].met) << "the bare p95 also holds the end-to-end latency to 500ms";
  EXPECT_NE(v[1].detail.find("e2e p95"), std::string::npos) << v[1].detail;
  EXPECT_NEAR(v[1].observed, 951, 951 * 0.01);
  EXPECT_TRUE(v[2].met) << v[2].detail;
  EXPECT_TRUE(v[3].met) << "max <= 1s, inclusive: " << v[3].detail;
  EXPECT_EQ(v[4].subject, "errors");
  EXPECT_FALSE(v[4].met) << "2% errors";
  EXPECT_NEAR(v[4].observed, 2.0, 1e-9);
  EXPECT_NE(v[4].detail.find("20 of 1000"), std::string::npos) << v[4].detail;
  EXPECT_FALSE(all_met(v));
}

TEST(slo, end_to_end_only_when_measured_unless_required) {
  const auto accept = uniform_ms(1, 10);
  const log_linear_histogram none;
  auto slos = parse_slos("p95<5s").slos;
  slo_inputs in;
  in.accept = &accept;
  in.end_to_end = &none;
  in.requests = 10;
  auto v = evaluate_slos(slos, in);
  ASSERT_EQ(v.size(), 1U) << "no end-to-end samples: a bare SLO judges the accept latency";
  EXPECT_TRUE(all_met(v));

  in.end_to_end_required = true; // --e2e
  v = evaluate_slos(slos, in);
  ASSERT_EQ(v.size(), 2U);
  EXPECT_FALSE(v[1].met);
  EXPECT_FALSE(v[1].measured);
  EXPECT_NE(v[1].detail.find("no samples"), std::string::npos);

  in.end_to_end_required = false;
  v = evaluate_slos(parse_slos("e2e.p95<5s").slos, in);
  ASSERT_EQ(v.size(), 1U);
  EXPECT_FALSE(v[0].met) << "an explicit e2e SLO without samples is missed";
}

TEST(slo, a_microsecond_p95_fails_and_says_so) {
  const auto accept = uniform_ms(1, 10);
  slo_inputs in;
  in.accept = &accept;
  in.requests = 10;
  auto v = evaluate_slos(parse_slos("p95<1us").slos, in);
  ASSERT_EQ(v.size(), 1U);
  EXPECT_FALSE(v[0].met);
  EXPECT_EQ(v[0].slo, "p95<1us");
  EXPECT_EQ(v[0].detail.rfind("accept p95 = ", 0), 0U) << v[0].detail;
  EXPECT_NE(v[0].detail.find(" ms >= 1us"), std::string::npos) << v[0].detail;
}

TEST(units, durations) {
  EXPECT_EQ(parse_duration("10s"), std::chrono::nanoseconds{10s});
  EXPECT_EQ(parse_duration("1us"), std::chrono::nanoseconds{1us});
  EXPECT_EQ(parse_duration("1\xC2\xB5s"), std::chrono::nanoseconds{1us});
  EXPECT_EQ(parse_duration("250ms"), std::chrono::nanoseconds{250ms});
  EXPECT_EQ(parse_duration("1m30s"), std::chrono::nanoseconds{90s});
  EXPECT_EQ(parse_duration("1.5s"), std::chrono::nanoseconds{1500ms});
  EXPECT_EQ(parse_duration("2"), std::chrono::nanoseconds{2s});
  EXPECT_EQ(parse_duration("0"), std::chrono::nanoseconds{0});
  for (const char* bad : {"", "s", "10 s", "10sec", "1.2.3s", "-1s", "5s10", "ms"})
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  EXPECT_EQ(format_duration(5s), "5s");
  EXPECT_EQ(format_duration(1us), "1us");
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_latency(850), "850 ns");
  EXPECT_EQ(format_latency(1'234'567), "1.23 ms");
}

TEST(options, bad_flags_are_named) {
  struct bad {
    void (*change)(loadtest_options&);
    const char* says;
  };
  for (const auto& b : {
         bad{[](loadtest_options& o) { o.url = "127.0.0.1:9000"; }, "--url"},
         bad{[](loadtest_options& o) { o.url = "https://x:1"; }, "https"},
         bad{[](loadtest_options& o) { o.url = "http://x:99999"; }, "--url"},
         bad{[](loadtest_options& o) { o.rate = 0; }, "--rate"},
         bad{[](loadtest_options& o) { o.duration = "ten"; }, "--duration"},
         bad{[](loadtest_options& o) { o.duration = "0s"; }, "--duration"},
         bad{[](loadtest_options& o) { o.warmup = "-1s"; }, "--warmup"},
         bad{[](loadtest_options& o) { o.connections = 0; }, "--connections"},
         bad{[](loadtest_options& o) { o.payload = "xml"; }, "--payload"},
         bad{[](loadtest_options& o) { o.batch = 0; }, "--batch"},
         bad{[](loadtest_options& o) { o.duplicates = 1.5; }, "--duplicates"},
         bad{[](loadtest_options& o) { o.slo = "p95<"; }, "--slo"},
         bad{[](loadtest_options& o) { o.step_factor = 1; }, "--step-factor"},
         bad{[](loadtest_options& o) { o.sink = "nowhere"; }, "--sink"},
         bad{[](loadtest_options& o) { o.runbook_action = "ssh"; }, "--runbook-action"},
       }) {
    loadtest_options o;
    b.change(o);
    std::string error;
    (void)resolve_options(o, error);
    EXPECT_NE(error.find(b.says), std::string::npos) << "'" << error << "' should name " << b.says;
  }
  loadtest_options o;
  o.url = "http://localhost:9000/custom/ingest";
  std::string error;
  auto s = resolve_options(o, error);
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_EQ(s.host, "localhost");
  EXPECT_EQ(s.port, "9000");
  EXPECT_EQ(s.target, "/custom/ingest");
  EXPECT_EQ(s.slos.size(), 2U) << "the runbook's defaults";
}

} // namespace
} // namespace vigil::loadtest
