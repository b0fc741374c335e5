#include "bench/loadtest/slo.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "bench/loadtest/units.hpp"

namespace vigil::loadtest {

namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool parse_number(std::string_view s, double& out) {
  if (s.empty() || s.size() > 30)
    return false;
  const std::string text{s};
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(out) && text.front() != '-'
         && text.front() != '+';
}

/// Parses one item; an empty string on success, else the reason.
std::string parse_one(std::string_view item, slo& out) {
  out.text = std::string{item};
  const auto op = item.find('<');
  if (op == std::string_view::npos)
    return "expected METRIC<LIMIT, e.g. p95<5s or errors<0.1%";
  auto metric = trim(item.substr(0, op));
  auto limit = item.substr(op + 1);
  if (!limit.empty() && limit.front() == '=') {
    out.inclusive = true;
    limit.remove_prefix(1);
  }
  limit = trim(limit);
  if (metric.empty())
    return "missing metric before '<' (p50..p99.9, max, errors)";
  if (limit.empty())
    return "missing limit after '<'";

  if (metric == "errors") {
    out.subject = slo_subject::errors;
    if (limit.back() != '%')
      return "errors takes a percentage, e.g. errors<0.1%";
    double pct = 0;
    if (!parse_number(trim(limit.substr(0, limit.size() - 1)), pct) || pct > 100)
      return "errors takes a percentage between 0% and 100%";
    out.error_share = pct / 100;
    return {};
  }

  out.subject = slo_subject::every_latency;
  if (metric.substr(0, 7) == "accept.") {
    out.subject = slo_subject::accept;
    metric.remove_prefix(7);
  } else if (metric.substr(0, 4) == "e2e.") {
    out.subject = slo_subject::end_to_end;
    metric.remove_prefix(4);
  }
  if (metric == "max") {
    out.percentile = 100;
  } else if (metric.size() >= 2 && metric.front() == 'p') {
    double p = 0;
    if (!parse_number(metric.substr(1), p) || !(p > 0) || !(p < 100))
      return "unknown percentile \"" + std::string{metric}
             + "\" (write p50, p90, p95, p99, p99.9, ...: above 0, below 100)";
    out.percentile = p;
  } else {
    return "unknown metric \"" + std::string{metric}
           + "\" (known: pNN such as p95 or p99.9, max, errors; prefix accept. or e2e. to pick "
             "one latency)";
  }
  auto d = parse_duration(limit);
  if (!d)
    return "bad duration \"" + std::string{limit} + "\" (e.g. 250ms, 5s, 1us)";
  out.limit = *d;
  return {};
}

std::string metric_name(const slo& s) {
  if (s.percentile >= 100)
    return "max";
  char buf[32];
  std::snprintf(buf, sizeof buf, "p%g", s.percentile);
  return buf;
}

slo_verdict judge_latency(const slo& s, const char* subject, const log_linear_histogram* h,
                          bool required) {
  slo_verdict v;
  v.slo = s.text;
  v.subject = subject;
  const std::string what =
    std::string{subject == std::string_view{"accept"} ? "accept" : "e2e"} + " " + metric_name(s);
  if (h == nullptr || h->empty()) {
    v.measured = false;
    v.met = !required;
    v.detail = what + ": no samples";
    return v;
  }
  const uint64_t value = h->percentile(s.percentile);
  const auto limit = static_cast<uint64_t>(s.limit.count());
  v.observed = to_ms(value);
  v.met = s.inclusive ? value <= limit : value < limit;
  const char* cmp = v.met ? (s.inclusive ? " <= " : " < ") : (s.inclusive ? " > " : " >= ");
  v.detail = what + " = " + format_latency(value) + cmp + format_duration(s.limit);
  return v;
}

} // namespace

slo_parse_result parse_slos(std::string_view text) {
  slo_parse_result out;
  if (trim(text).empty()) {
    out.error = "--slo: empty (e.g. --slo \"p95<5s,errors<0.1%\")";
    return out;
  }
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string_view::npos)
      comma = text.size();
    const auto item = trim(text.substr(start, comma - start));
    if (item.empty()) {
      out.error = "--slo: empty item in \"" + std::string{text} + "\"";
      out.slos.clear();
      return out;
    }
    slo s;
    if (auto why = parse_one(item, s); !why.empty()) {
      out.error = "--slo: \"" + std::string{item} + "\": " + why;
      out.slos.clear();
      return out;
    }
    out.slos.push_back(std::move(s));
    start = comma + 1;
  }
  return out;
}

std::vector<slo_verdict> evaluate_slos(const std::vector<slo>& slos, const slo_inputs& in) {
  std::vector<slo_verdict> out;
  out.reserve(slos.size() * 2);
  const bool e2e_measured = in.end_to_end != nullptr && !in.end_to_end->empty();
  for (const auto& s : slos) {
    switch (s.subject) {
      case slo_subject::errors: {
        slo_verdict v;
        v.slo = s.text;
        v.subject = "errors";
        if (in.requests == 0) {
          v.measured = false;
          v.detail = "errors: no requests were sent";
          out.push_back(std::move(v));
          continue;
        }
        const double share =
          static_cast<double>(in.failed_requests) / static_cast<double>(in.requests);
        v.observed = share * 100;
        v.met = s.inclusive ? share <= s.error_share : share < s.error_share;
        char buf[160];
        std::snprintf(buf, sizeof buf, "errors = %.3g%% (%llu of %llu requests) %s %g%%",
                      share * 100, static_cast<unsigned long long>(in.failed_requests),
                      static_cast<unsigned long long>(in.requests),
                      v.met ? (s.inclusive ? "<=" : "<") : (s.inclusive ? ">" : ">="),
                      s.error_share * 100);
        v.detail = buf;
        out.push_back(std::move(v));
        continue;
      }
      case slo_subject::accept:
        out.push_back(judge_latency(s, "accept", in.accept, true));
        continue;
      case slo_subject::end_to_end:
        out.push_back(judge_latency(s, "end_to_end", in.end_to_end, true));
        continue;
      case slo_subject::every_latency:
        out.push_back(judge_latency(s, "accept", in.accept, true));
        if (e2e_measured || in.end_to_end_required)
          out.push_back(judge_latency(s, "end_to_end", in.end_to_end, true));
        continue;
    }
  }
  return out;
}

bool all_met(const std::vector<slo_verdict>& verdicts) noexcept {
  for (const auto& v : verdicts)
    if (!v.met)
      return false;
  return true;
}

} // namespace vigil::loadtest
