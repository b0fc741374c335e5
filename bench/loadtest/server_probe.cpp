#include "bench/loadtest/server_probe.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <simdjson.h>

namespace vigil::loadtest {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

namespace {

/// One GET; the body when the answer was 200, nullopt otherwise.
std::optional<std::string> get(const std::string& host, const std::string& port,
                               const std::string& target, const std::string& authorization,
                               std::chrono::milliseconds timeout) {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  std::optional<std::string> result;
  beast::error_code ec;
  tcp::resolver resolver{ioc};
  auto endpoints = resolver.resolve(host, port, ec);
  if (ec)
    return result;
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, host + ":" + port);
  req.set(bhttp::field::user_agent, "vigil-loadtest");
  if (!authorization.empty())
    req.set(bhttp::field::authorization, authorization);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  stream.expires_after(timeout);
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
    if (e)
      return;
    bhttp::async_write(stream, req, [&](beast::error_code e2, std::size_t) {
      if (e2)
        return;
      bhttp::async_read(stream, buffer, res, [&](beast::error_code e3, std::size_t) {
        if (!e3 && res.result_int() == 200)
          result = std::move(res.body());
      });
    });
  });
  ioc.run();
  return result;
}

bool valid_json(const std::string& text) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  return !parser.parse(text).get(doc);
}

} // namespace

void parse_prometheus_histogram(const std::string& text, const std::string& name,
                                std::map<double, double>& buckets, double& count) {
  std::istringstream in{text};
  std::string line;
  const std::string bucket_prefix = name + "_bucket";
  const std::string count_prefix = name + "_count";
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    const auto space = line.rfind(' ');
    if (space == std::string::npos)
      continue;
    // A sample may end with a timestamp: value is then the second-last field.
    std::string head = line.substr(0, space);
    std::string value = line.substr(space + 1);
    if (const auto brace = head.rfind('}'); brace != std::string::npos && brace + 1 < head.size()) {
      value = head.substr(head.rfind(' ') + 1);
      head = head.substr(0, head.rfind(' '));
    }
    const double v = std::strtod(value.c_str(), nullptr);
    if (head.compare(0, count_prefix.size(), count_prefix) == 0
        && (head.size() == count_prefix.size() || head[count_prefix.size()] == '{')) {
      count += v;
      continue;
    }
    if (head.compare(0, bucket_prefix.size(), bucket_prefix) != 0
        || head.size() <= bucket_prefix.size() || head[bucket_prefix.size()] != '{')
      continue;
    const auto le = head.find("le=\"");
    if (le == std::string::npos)
      continue;
    const auto end = head.find('"', le + 4);
    const std::string bound = head.substr(le + 4, end - le - 4);
    const double upper = bound == "+Inf" ? std::numeric_limits<double>::infinity()
                                         : std::strtod(bound.c_str(), nullptr);
    buckets[upper] += v;
  }
}

server_snapshot probe_server(const std::string& host, const std::string& port,
                             const std::string& authorization, std::chrono::milliseconds timeout) {
  server_snapshot s;
  if (auto body = get(host, port, "/api/metrics", authorization, timeout);
      body && valid_json(*body))
    s.metrics_json = std::move(*body);
  if (auto text = get(host, port, "/metrics", authorization, timeout))
    parse_prometheus_histogram(*text, "vigil_ingest_to_trigger_seconds",
                               s.ingest_to_trigger_buckets, s.ingest_to_trigger_count);
  return s;
}

std::optional<server_latency> ingest_to_trigger_between(const server_snapshot& before,
                                                        const server_snapshot& after) {
  if (after.ingest_to_trigger_buckets.empty())
    return std::nullopt;
  std::vector<std::pair<double, double>> delta; // (upper bound, cumulative count)
  delta.reserve(after.ingest_to_trigger_buckets.size());
  for (const auto& [le, n] : after.ingest_to_trigger_buckets) {
    auto it = before.ingest_to_trigger_buckets.find(le);
    delta.emplace_back(le, n - (it == before.ingest_to_trigger_buckets.end() ? 0 : it->second));
  }
  const double total = delta.back().second;
  if (!(total > 0))
    return std::nullopt;
  auto quantile = [&](double q) {
    const double rank = q * total;
    double prev_le = 0;
    double prev_n = 0;
    for (const auto& [le, n] : delta) {
      if (n >= rank) {
        if (std::isinf(le))
          return prev_le; // as histogram_quantile: the highest finite bound
        return prev_le + (le - prev_le) * (n - prev_n > 0 ? (rank - prev_n) / (n - prev_n) : 0);
      }
      prev_le = std::isinf(le) ? prev_le : le;
      prev_n = n;
    }
    return prev_le;
  };
  server_latency out;
  out.count = total;
  out.p50_s = quantile(0.5);
  out.p95_s = quantile(0.95);
  out.p99_s = quantile(0.99);
  return out;
}

} // namespace vigil::loadtest
