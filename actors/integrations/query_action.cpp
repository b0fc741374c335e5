// The `prometheus_query` action: an instant query (`GET <url>/api/v1/query`) and a condition on
// the first sample's value.

#include <cmath>
#include <cstdlib>

#include "actors/integrations/adapter_json.hpp"

namespace vigil::actors::detail {

call_plan plan_query(const model::integration_config& cfg, const call_request& req) {
  call_plan plan;
  json_params p{req.params};
  p.only("prometheus_query", {"query", "condition", "time"});
  const auto query = p.text("query").value_or("");
  if (query.empty())
    p.fail("prometheus_query: give the query");
  if (auto c = p.text("condition"); c && !c->empty()) {
    plan.condition = parse_condition(*c);
    if (!plan.condition)
      p.fail("prometheus_query: condition \"" + *c
             + "\" is not of the form `value OP number` (OP: < <= > >= == !=)");
  }
  const auto time = p.text("time");
  if (cfg.url.empty())
    p.fail("prometheus_query: integration " + cfg.name + " has no url");
  if (!p.error().empty()) {
    plan.error = p.error();
    return plan;
  }
  auto target = "/api/v1/query?query=" + url_encode(query);
  if (time && !time->empty())
    target += "&time=" + url_encode(*time);
  plan.request = base_request(cfg, req, "GET", join_url(cfg.url, target));
  set_header(plan.request, "Accept", "application/json");
  return plan;
}

namespace {

/// The value of the first sample: `[ts, "v"]` (vector, scalar) or the newest of a matrix series.
bool first_value(simdjson::dom::element data, std::string& out, std::string& error) {
  std::string_view type;
  simdjson::dom::element result;
  if (data.at_key("resultType").get_string().get(type) != simdjson::SUCCESS
      || data.at_key("result").get(result) != simdjson::SUCCESS) {
    error = "Prometheus's answer has no data.result";
    return false;
  }
  simdjson::dom::element pair;
  if (type == "scalar" || type == "string") {
    pair = result;
  } else {
    simdjson::dom::array series;
    if (result.get_array().get(series) != simdjson::SUCCESS || series.size() == 0)
      return false; // no data
    const auto first = series.at(0);
    if (type == "matrix") {
      simdjson::dom::array values;
      if (first.at_key("values").get_array().get(values) != simdjson::SUCCESS || values.size() == 0)
        return false;
      pair = values.at(values.size() - 1).value_unsafe();
    } else if (first.at_key("value").get(pair) != simdjson::SUCCESS) {
      error = "Prometheus's answer has a sample without a value";
      return false;
    }
  }
  std::string_view v;
  if (pair.at(1).get_string().get(v) != simdjson::SUCCESS) {
    error = "Prometheus's answer has a sample without a value";
    return false;
  }
  out = std::string{v};
  return true;
}

} // namespace

call_result read_query(const call_plan& plan, const http_response& resp) {
  call_result r;
  r.status = resp.status;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view status;
  if (parser.parse(resp.body).get(doc) != simdjson::SUCCESS
      || doc.at_key("status").get_string().get(status) != simdjson::SUCCESS) {
    r.failure = call_failure::error;
    r.error = "Prometheus's answer is not JSON with a status: " + snippet(resp.body);
    return r;
  }
  if (status != "success") {
    std::string_view message;
    if (doc.at_key("error").get_string().get(message) != simdjson::SUCCESS)
      message = "(no message)";
    r.failure = call_failure::error;
    r.error = "query failed: " + std::string{message};
    return r;
  }
  std::string value;
  std::string error;
  simdjson::dom::element data;
  if (doc.at_key("data").get(data) != simdjson::SUCCESS) {
    r.failure = call_failure::error;
    r.error = "Prometheus's answer has no data";
    return r;
  }
  if (!first_value(data, value, error)) {
    r.failure = call_failure::error;
    r.error = error.empty() ? "the query returned no data" : error;
    return r;
  }
  r.output = value;
  if (!plan.condition)
    return r;
  // Prometheus writes NaN, +Inf and -Inf as such; strtod reads all three.
  char* end = nullptr;
  const double number = std::strtod(value.c_str(), &end);
  if (end == value.c_str()) {
    r.failure = call_failure::error;
    r.error = "the query's value \"" + value + "\" is not a number";
    return r;
  }
  if (!plan.condition->holds(number)) {
    r.failure = call_failure::error;
    r.error = "condition `" + plan.condition->text + "` does not hold: value is " + value;
  }
  return r;
}

} // namespace vigil::actors::detail
