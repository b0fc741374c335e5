#include "bench/loadtest/sink.hpp"

namespace vigil::loadtest {

namespace {

uint64_t key_of(uint64_t index, uint32_t slot) noexcept {
  return (index << 16) | slot;
}

} // namespace

std::string e2e_runbook_yaml(const std::string& sink_host, uint16_t sink_port,
                             runbook_action action) {
  const std::string base = "http://" + sink_host + ":" + std::to_string(sink_port);
  const std::string url = base + "/hit/{{ event.id }}?lt={{ labels.loadtest_id }}";
  std::string out =
    "# vigil loadtest's end-to-end runbook (written by `vigil loadtest --print-runbook`).\n"
    "# Put it in Vigil's runbook repository (runbooks.repository in the config), start Vigil,\n"
    "# then run `vigil loadtest --sink "
    + sink_host + ":" + std::to_string(sink_port)
    + " ...`: each tagged load-test event starts one run,\n"
      "# whose first step tells the load generator's sink that the run has started.\n";
  if (action == runbook_action::http)
    out += "# The config needs the integration this step names:\n"
           "#   integrations:\n"
           "#     loadtest_sink: {type: http, url: \""
           + base + "\"}\n";
  out += "name: vigil-loadtest-e2e\n"
         "description: Reports to vigil loadtest's sink that a run started for a tagged event\n"
         "category: test\n"
         "triggers:\n"
         "  - type: alert\n"
         "    status: firing\n"
         "    labels: {alertname: "
         + std::string{e2e_alertname}
         + "}\n"
           "timeout: 1m\n"
           "steps:\n"
           "  - name: hit\n";
  if (action == runbook_action::http)
    out += "    action: http\n"
           "    integration: loadtest_sink\n"
           "    params: {method: GET, url: \""
           + url + "\", expect_status: 200}\n";
  else
    out += "    action: exec\n"
           "    command: [\"curl\", \"-s\", \"-o\", \"/dev/null\", \"--max-time\", \"5\",\n"
           "              \""
           + url + "\"]\n";
  out += "    timeout: 10s\n";
  return out;
}

e2e_sink::e2e_sink(const schedule_book& schedule) : schedule_(schedule) {}

void e2e_sink::use(const payload_factory& payloads) {
  std::lock_guard<std::mutex> guard{mutex_};
  payloads_ = &payloads;
}

e2e_sink::~e2e_sink() {
  stop();
}

std::string e2e_sink::start(const std::string& host, uint16_t port) {
  server_ =
    std::make_unique<mini_server>([this](const std::string& method, const std::string& target,
                                         std::string&, const mini_server::reply_fn& reply) {
      // GET /hit/{event id}?lt={loadtest id}: the loadtest id when given, else the event id.
      constexpr std::string_view prefix = "/hit/";
      std::string_view t = target;
      if (method != "GET" || t.substr(0, prefix.size()) != prefix) {
        reply(404, "not found\n");
        return;
      }
      t.remove_prefix(prefix.size());
      const auto query = t.find('?');
      std::string_view id = t.substr(0, query);
      if (query != std::string_view::npos) {
        const auto q = t.substr(query + 1);
        const auto lt = q.find("lt=");
        if (lt != std::string_view::npos && (lt == 0 || q[lt - 1] == '&')) {
          const auto value = q.substr(lt + 3, q.find('&', lt) - (lt + 3));
          if (!value.empty())
            id = value;
        }
      }
      on_hit(std::string{id});
      reply(200, "ok\n");
    });
  auto problem = server_->start(host, port);
  if (!problem.empty()) {
    server_.reset();
    return problem + " (the end-to-end sink; --sink picks another address)";
  }
  port_ = server_->port();
  return {};
}

void e2e_sink::stop() {
  if (server_)
    server_->stop();
}

void e2e_sink::on_hit(const std::string& id) {
  const int64_t now = now_ns();
  std::lock_guard<std::mutex> guard{mutex_};
  std::optional<std::pair<uint64_t, uint32_t>> decoded;
  if (payloads_ != nullptr)
    decoded = payloads_->decode_id(id);
  std::optional<phase_plan> plan;
  if (decoded)
    plan = schedule_.find(decoded->first);
  ++hits_;
  last_hit_ = now;
  if (!plan || !plan->measured(decoded->first)) {
    ++ignored_;
    return;
  }
  auto& data = phases_[plan->number];
  if (!data.seen.insert(key_of(decoded->first, decoded->second)).second) {
    ++ignored_;
    return;
  }
  const int64_t due = plan->due_ns(decoded->first);
  const auto latency = static_cast<uint64_t>(std::max<int64_t>(0, now - due));
  data.latency.record(latency);
  const auto offset = due - plan->measure_start_ns();
  const auto w =
    offset <= 0 ? std::size_t{0} : static_cast<std::size_t>(offset / plan->window.count());
  if (w >= data.windows.size())
    data.windows.resize(w + 1);
  data.windows[w].record(latency);
}

log_linear_histogram e2e_sink::snapshot(unsigned phase) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = phases_.find(phase);
  return it == phases_.end() ? log_linear_histogram{} : it->second.latency;
}

std::pair<uint64_t, int64_t> e2e_sink::activity() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return {hits_, last_hit_};
}

uint64_t e2e_sink::ignored_hits() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return ignored_;
}

void e2e_sink::settle(unsigned phase, const std::vector<std::pair<uint64_t, uint32_t>>& expected,
                      int64_t now, phase_stats& stats) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& data = phases_[phase];
  stats.e2e_expected = expected.size();
  stats.e2e_seen = data.latency.count();
  stats.end_to_end.merge(data.latency);
  for (std::size_t w = 0; w < data.windows.size(); ++w)
    stats.window_at(stats.window * static_cast<int64_t>(w)).end_to_end.merge(data.windows[w]);
  for (const auto& [index, slot] : expected) {
    if (data.seen.count(key_of(index, slot)) != 0)
      continue;
    const auto plan = schedule_.find(index);
    if (!plan)
      continue;
    // Never seen: its latency is at least the time waited for it.
    const int64_t due = plan->due_ns(index);
    const auto bound = static_cast<uint64_t>(std::max<int64_t>(0, now - due));
    ++stats.e2e_missing;
    stats.end_to_end.record(bound);
    stats.window_at(std::chrono::nanoseconds{due - plan->measure_start_ns()})
      .end_to_end.record(bound);
  }
}

} // namespace vigil::loadtest
