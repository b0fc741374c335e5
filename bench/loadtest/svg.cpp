// Hand-written SVG charts: no dependencies, viewable in any browser.

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "bench/loadtest/result.hpp"
#include "bench/loadtest/units.hpp"

namespace vigil::loadtest {

namespace {

constexpr double width = 960;
constexpr double height = 480;
constexpr double left = 80;
constexpr double right = 200; ///< room for the legend
constexpr double top = 48;
constexpr double bottom = 56;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

/// A number as people write it: `5`, `2.5`, `1000`.
std::string printf_free_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// `1 us`, `10 ms`, `1 s` for a power of ten in nanoseconds.
std::string decade_label(int exponent) {
  static const char* units[] = {"ns", "us", "ms", "s"};
  const int unit = std::clamp(exponent / 3, 0, 3);
  const double value = std::pow(10.0, exponent - unit * 3);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g %s", value, units[unit]);
  return buf;
}

std::string header(const std::string& title, const std::string& subtitle) {
  std::string out = R"(<svg xmlns="http://www.w3.org/2000/svg" width=")" + num(width)
                    + R"(" height=")" + num(height) + R"(" viewBox="0 0 )" + num(width) + " "
                    + num(height) + R"(" font-family="sans-serif" font-size="12">)" + "\n";
  out += R"(<rect width="100%" height="100%" fill="white"/>)"
         "\n";
  out += R"(<text x=")" + num(left) + R"(" y="20" font-size="15" font-weight="bold">)"
         + xml_escape(title) + "</text>\n";
  out +=
    R"(<text x=")" + num(left) + R"(" y="37" fill="#555">)" + xml_escape(subtitle) + "</text>\n";
  return out;
}

/// A log-scale y axis over [10^lo, 10^hi] nanoseconds.
struct log_axis {
  int lo = 3;
  int hi = 9;
  [[nodiscard]] double y(double ns) const {
    const double v = std::log10(std::max(ns, 1.0));
    const double share = (v - lo) / static_cast<double>(hi - lo);
    return height - bottom - share * (height - top - bottom);
  }
};

log_axis axis_for(double min_ns, double max_ns) {
  log_axis a;
  a.lo = static_cast<int>(std::floor(std::log10(std::max(min_ns, 1.0))));
  a.hi = static_cast<int>(std::ceil(std::log10(std::max(max_ns, 10.0))));
  if (a.hi <= a.lo)
    a.hi = a.lo + 1;
  return a;
}

std::string y_grid(const log_axis& a) {
  std::string out;
  for (int e = a.lo; e <= a.hi; ++e) {
    const double y = a.y(std::pow(10.0, e));
    out += R"(<line x1=")" + num(left) + R"(" x2=")" + num(width - right) + R"(" y1=")" + num(y)
           + R"(" y2=")" + num(y) + R"(" stroke="#ddd"/>)" + "\n";
    out += R"(<text x=")" + num(left - 6) + R"(" y=")" + num(y + 4) + R"(" text-anchor="end">)"
           + decade_label(e) + "</text>\n";
  }
  return out;
}

struct series {
  std::string name;
  std::string color;
  bool dashed = false;
  std::vector<std::pair<double, double>> points; ///< (x seconds, y ns)
};

std::string legend(const std::vector<series>& all) {
  std::string out;
  double y = top + 10;
  for (const auto& s : all) {
    if (s.points.empty())
      continue;
    const double x = width - right + 16;
    out += R"(<line x1=")" + num(x) + R"(" x2=")" + num(x + 24) + R"(" y1=")" + num(y) + R"(" y2=")"
           + num(y) + R"(" stroke=")" + s.color + R"(" stroke-width="2")"
           + (s.dashed ? R"( stroke-dasharray="6 3")" : "") + "/>\n";
    out += R"(<text x=")" + num(x + 30) + R"(" y=")" + num(y + 4) + "\">" + xml_escape(s.name)
           + "</text>\n";
    y += 18;
  }
  return out;
}

} // namespace

std::string latency_svg(const run_result& r) {
  const bool e2e = r.e2e_measured;
  struct pick {
    const char* name;
    double p;
    const char* color;
  };
  const pick picks[] = {{"p50", 50, "#1f77b4"},
                        {"p90", 90, "#2ca02c"},
                        {"p99", 99, "#ff7f0e"},
                        {"max", 100, "#d62728"}};
  std::vector<series> all;
  for (const auto& p : picks)
    all.push_back({std::string{"accept "} + p.name, p.color, false, {}});
  if (e2e)
    for (const auto& p : picks)
      all.push_back({std::string{"end to end "} + p.name, p.color, true, {}});
  double t_end = 1;
  double lo = 1e18;
  double hi = 1;
  for (const auto& step : r.steps) {
    const double w = static_cast<double>(step.stats.window.count()) / 1e9;
    for (std::size_t i = 0; i < step.stats.windows.size(); ++i) {
      const auto& win = step.stats.windows[i];
      const double t = step.offset_s + (static_cast<double>(i) + 0.5) * w;
      t_end = std::max(t_end, step.offset_s + static_cast<double>(i + 1) * w);
      for (std::size_t k = 0; k < 4; ++k) {
        if (!win.accept.empty()) {
          const double v = static_cast<double>(win.accept.percentile(picks[k].p));
          all[k].points.emplace_back(t, v);
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
        if (e2e && !win.end_to_end.empty()) {
          const double v = static_cast<double>(win.end_to_end.percentile(picks[k].p));
          all[4 + k].points.emplace_back(t, v);
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
      }
    }
  }
  const auto& s = *r.settings;
  // SLO limits, drawn as thresholds.
  std::vector<std::pair<std::string, double>> limits;
  for (const auto& o : s.slos)
    if (o.subject != slo_subject::errors) {
      limits.emplace_back(o.text, static_cast<double>(o.limit.count()));
      hi = std::max(hi, static_cast<double>(o.limit.count()));
      lo = std::min(lo, static_cast<double>(o.limit.count()));
    }
  if (lo > hi)
    lo = hi / 10;
  const auto axis = axis_for(lo, hi);
  auto x_of = [&](double t) { return left + t / t_end * (width - left - right); };

  std::string out = header("vigil loadtest: latency percentiles over time",
                           s.url + ", " + std::string{to_string(s.payload)} + " x"
                             + std::to_string(s.batch) + "; by scheduled send time, per "
                             + format_duration(r.main_step().stats.window) + " window");
  out += y_grid(axis);
  // x axis: about ten ticks at a round step.
  double step = 1;
  for (double candidate : {1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0}) {
    step = candidate;
    if (t_end / candidate <= 12)
      break;
  }
  for (double t = 0; t <= t_end + 1e-9; t += step) {
    const double x = x_of(t);
    out += R"(<line x1=")" + num(x) + R"(" x2=")" + num(x) + R"(" y1=")" + num(top) + R"(" y2=")"
           + num(height - bottom) + R"(" stroke="#eee"/>)" + "\n";
    out += R"(<text x=")" + num(x) + R"(" y=")" + num(height - bottom + 16)
           + R"(" text-anchor="middle">)" + printf_free_number(t) + "</text>\n";
  }
  out += R"(<text x=")" + num((left + width - right) / 2) + R"(" y=")" + num(height - 14)
         + R"(" text-anchor="middle">seconds since measurement began</text>)" + "\n";
  if (s.max_rate)
    for (const auto& st : r.steps) {
      const double x = x_of(st.offset_s);
      out += R"(<line x1=")" + num(x) + R"(" x2=")" + num(x) + R"(" y1=")" + num(top) + R"(" y2=")"
             + num(height - bottom) + R"(" stroke="#999" stroke-dasharray="2 4"/>)" + "\n<text x=\""
             + num(x + 3) + R"(" y=")" + num(top + 12) + R"(" fill="#777">)"
             + printf_free_number(st.target_rate) + "/s</text>\n";
    }
  for (const auto& [name, ns] : limits) {
    const double y = axis.y(ns);
    out += R"(<line x1=")" + num(left) + R"(" x2=")" + num(width - right) + R"(" y1=")" + num(y)
           + R"(" y2=")" + num(y)
           + R"(" stroke="#d62728" stroke-width="1" stroke-dasharray="8 4"/>)" + "\n<text x=\""
           + num(width - right - 4) + R"(" y=")" + num(y - 4)
           + R"(" text-anchor="end" fill="#d62728">SLO )" + xml_escape(name) + "</text>\n";
  }
  for (const auto& ser : all) {
    if (ser.points.empty())
      continue;
    out += R"(<polyline fill="none" stroke=")" + ser.color + R"(" stroke-width="1.5")"
           + (ser.dashed ? R"( stroke-dasharray="6 3")" : "") + R"( points=")";
    for (const auto& [t, v] : ser.points)
      out += num(x_of(t)) + "," + num(axis.y(v)) + " ";
    out += "\"/>\n";
  }
  out += R"(<rect x=")" + num(left) + R"(" y=")" + num(top) + R"(" width=")"
         + num(width - left - right) + R"(" height=")" + num(height - top - bottom)
         + R"(" fill="none" stroke="#333"/>)" + "\n";
  out += legend(all);
  out += "</svg>\n";
  return out;
}

std::string histogram_svg(const run_result& r) {
  const auto& st = r.main_step().stats;
  const bool e2e = r.e2e_measured && !st.end_to_end.empty();
  // Ten log-spaced bins per decade; each latency's share of its samples per bin.
  auto bins_of = [](const log_linear_histogram& h) {
    std::vector<std::pair<int, double>> bins; // (bin, share)
    if (h.empty())
      return bins;
    for (std::size_t i = 0; i < h.bucket_limit(); ++i) {
      const auto n = h.bucket_count(i);
      if (n == 0)
        continue;
      const double mid = (static_cast<double>(log_linear_histogram::lowest_in(i))
                          + static_cast<double>(log_linear_histogram::highest_in(i)))
                         / 2;
      const int bin = static_cast<int>(std::floor(std::log10(std::max(mid, 1.0)) * 10));
      bins.emplace_back(bin, static_cast<double>(n) / static_cast<double>(h.count()));
    }
    return bins;
  };
  auto accept_bins = bins_of(st.accept);
  auto e2e_bins = e2e ? bins_of(st.end_to_end) : std::vector<std::pair<int, double>>{};
  std::vector<double> accept_share;
  std::vector<double> e2e_share;
  int lo = 1 << 30;
  int hi = 0;
  for (const auto& b : accept_bins) {
    lo = std::min(lo, b.first);
    hi = std::max(hi, b.first);
  }
  for (const auto& b : e2e_bins) {
    lo = std::min(lo, b.first);
    hi = std::max(hi, b.first);
  }
  if (lo > hi) {
    lo = 30;
    hi = 40;
  }
  lo = lo / 10 * 10;
  hi = (hi / 10 + 1) * 10;
  accept_share.assign(static_cast<std::size_t>(hi - lo), 0);
  e2e_share.assign(static_cast<std::size_t>(hi - lo), 0);
  double top_share = 0.01;
  for (const auto& [b, share] : accept_bins)
    top_share = std::max(top_share, accept_share[static_cast<std::size_t>(b - lo)] += share);
  for (const auto& [b, share] : e2e_bins)
    top_share = std::max(top_share, e2e_share[static_cast<std::size_t>(b - lo)] += share);

  for (double nice : {0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0})
    if (nice >= top_share) {
      top_share = nice;
      break;
    }
  const double plot_w = width - left - right;
  const double plot_h = height - top - bottom;
  const double bin_w = plot_w / static_cast<double>(hi - lo);
  auto y_of = [&](double share) { return height - bottom - share / top_share * plot_h; };

  std::string out =
    header("vigil loadtest: latency distribution",
           std::to_string(st.accept.count()) + " accepted requests"
             + (e2e ? ", " + std::to_string(st.end_to_end.count()) + " end-to-end samples" : "")
             + "; share of samples per bin (10 bins per decade)");
  for (int k = 0; k <= 4; ++k) {
    const double share = top_share * k / 4;
    const double y = y_of(share);
    out += R"(<line x1=")" + num(left) + R"(" x2=")" + num(width - right) + R"(" y1=")" + num(y)
           + R"(" y2=")" + num(y) + R"(" stroke="#ddd"/>)" + "\n<text x=\"" + num(left - 6)
           + R"(" y=")" + num(y + 4) + R"(" text-anchor="end">)" + printf_free_number(share * 100)
           + "%</text>\n";
  }
  for (int d = lo; d <= hi; d += 10) {
    const double x = left + (d - lo) * bin_w;
    out += R"(<line x1=")" + num(x) + R"(" x2=")" + num(x) + R"(" y1=")" + num(top) + R"(" y2=")"
           + num(height - bottom) + R"(" stroke="#eee"/>)" + "\n<text x=\"" + num(x) + R"(" y=")"
           + num(height - bottom + 16) + R"(" text-anchor="middle">)" + decade_label(d / 10)
           + "</text>\n";
  }
  auto bars = [&](const std::vector<double>& shares, const char* color, double offset) {
    std::string b;
    for (std::size_t i = 0; i < shares.size(); ++i) {
      if (shares[i] <= 0)
        continue;
      const double x = left + static_cast<double>(i) * bin_w + offset * bin_w;
      const double y = y_of(shares[i]);
      b += R"(<rect x=")" + num(x) + R"(" y=")" + num(y) + R"(" width=")"
           + num(bin_w * (e2e ? 0.45 : 0.9)) + R"(" height=")" + num(height - bottom - y)
           + R"(" fill=")" + color + "\"/>\n";
    }
    return b;
  };
  out += bars(accept_share, "#1f77b4", 0.05);
  if (e2e)
    out += bars(e2e_share, "#ff7f0e", 0.5);
  // Percentile markers of the accept latency.
  for (double p : {50.0, 95.0, 99.0}) {
    const auto v = static_cast<double>(st.accept.percentile(p));
    const double x = left + (std::log10(std::max(v, 1.0)) * 10 - lo) * bin_w;
    out += R"(<line x1=")" + num(x) + R"(" x2=")" + num(x) + R"(" y1=")" + num(top) + R"(" y2=")"
           + num(height - bottom) + R"(" stroke="#1f77b4" stroke-dasharray="3 3"/>)"
           + "\n<text x=\"" + num(x + 3) + R"(" y=")" + num(top + 12) + R"(" fill="#1f77b4">p)"
           + printf_free_number(p) + "</text>\n";
  }
  out += R"(<text x=")" + num((left + width - right) / 2) + R"(" y=")" + num(height - 14)
         + R"(" text-anchor="middle">latency from the scheduled send (log scale)</text>)" + "\n";
  out += R"(<rect x=")" + num(left) + R"(" y=")" + num(top) + R"(" width=")" + num(plot_w)
         + R"(" height=")" + num(plot_h) + R"(" fill="none" stroke="#333"/>)" + "\n";
  std::vector<series> keys{{"accept", "#1f77b4", false, {{0, 0}}}};
  if (e2e)
    keys.push_back({"end to end", "#ff7f0e", false, {{0, 0}}});
  out += legend(keys);
  out += "</svg>\n";
  return out;
}

} // namespace vigil::loadtest
