#include "bench/payloads.hpp"

namespace vigil::bench {

std::string alertmanager_alert(int i) {
  const auto n = std::to_string(i);
  return R"({"status":"firing","labels":{"alertname":"HighMemoryUsage","cluster":"prod-eu-west-1",)"
         R"("instance":"web-)"
         + n
         + R"(.prod.example.com:9100","job":"node-exporter",)"
           R"("namespace":"payments","pod":"payments-api-7d9f8b6c5d-)"
         + n
         + R"(","severity":"critical",)"
           R"("team":"sre"},"annotations":{"description":"Memory usage on web-)"
         + n
         + R"( has been above 90% for more than 5 minutes (current value: 93.7%).",)"
           R"("runbook_url":"https://runbooks.example.com/HighMemoryUsage","summary":"High memory usage"},)"
           R"("startsAt":"2024-05-01T11:00:00.123Z","endsAt":"0001-01-01T00:00:00Z",)"
           R"("generatorURL":"http://prometheus.example.com:9090/graph?g0.expr=node_memory_usage%3E90",)"
           R"("fingerprint":"c6bd7c6b2e1f3a2d"})";
}

std::string alertmanager_webhook(int n, int first) {
  std::string body =
    R"({"version":"4","groupKey":"{}:{alertname=\"HighMemoryUsage\"}","truncatedAlerts":0,)"
    R"("status":"firing","receiver":"vigil","groupLabels":{"alertname":"HighMemoryUsage"},)"
    R"("commonLabels":{"alertname":"HighMemoryUsage"},"commonAnnotations":{},)"
    R"("externalURL":"http://alertmanager.example.com:9093","alerts":[)";
  for (int i = 0; i < n; ++i) {
    if (i > 0)
      body += ',';
    body += alertmanager_alert(first + i);
  }
  body += "]}";
  return body;
}

std::string single_event(int i) {
  return R"({"type":"alert","severity":"warning","source":"prometheus","labels":{"alertname":"HighMemoryUsage","instance":"server-)"
         + std::to_string(i)
         + R"(","severity":"warning"},"annotations":{"summary":"High memory usage detected"}})";
}

} // namespace vigil::bench
