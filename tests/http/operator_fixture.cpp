#include "tests/http/operator_fixture.hpp"

#include <algorithm>
#include <filesystem>
#include <thread>

#include <simdjson.h>

#include "runtime/model/errc.hpp"

namespace vigil::test {

// -- json_answer -------------------------------------------------------------------------

struct json_answer::impl {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  bool valid = false;

  std::optional<simdjson::dom::element> at(std::string_view pointer) const {
    if (!valid)
      return std::nullopt;
    simdjson::dom::element el;
    if (root.at_pointer(pointer).get(el) != simdjson::SUCCESS)
      return std::nullopt;
    return el;
  }
};

json_answer::json_answer(const std::string& text) : impl_(std::make_unique<impl>()) {
  impl_->valid = impl_->parser.parse(text).get(impl_->root) == simdjson::SUCCESS;
}

json_answer::~json_answer() = default;
json_answer::json_answer(json_answer&&) noexcept = default;
json_answer& json_answer::operator=(json_answer&&) noexcept = default;

bool json_answer::valid() const noexcept {
  return impl_->valid;
}

std::optional<std::string> json_answer::text(std::string_view pointer) const {
  auto el = impl_->at(pointer);
  std::string_view s;
  if (!el || el->get_string().get(s) != simdjson::SUCCESS)
    return std::nullopt;
  return std::string{s};
}

std::optional<int64_t> json_answer::integer(std::string_view pointer) const {
  auto el = impl_->at(pointer);
  int64_t v = 0;
  if (!el || el->get_int64().get(v) != simdjson::SUCCESS)
    return std::nullopt;
  return v;
}

std::optional<bool> json_answer::boolean(std::string_view pointer) const {
  auto el = impl_->at(pointer);
  bool v = false;
  if (!el || el->get_bool().get(v) != simdjson::SUCCESS)
    return std::nullopt;
  return v;
}

std::optional<std::size_t> json_answer::size(std::string_view pointer) const {
  auto el = impl_->at(pointer);
  if (!el)
    return std::nullopt;
  simdjson::dom::array arr;
  if (el->get_array().get(arr) == simdjson::SUCCESS)
    return arr.size();
  simdjson::dom::object obj;
  if (el->get_object().get(obj) == simdjson::SUCCESS)
    return obj.size();
  return std::nullopt;
}

bool json_answer::has(std::string_view pointer) const {
  return impl_->at(pointer).has_value();
}

std::vector<std::string> json_answer::texts(std::string_view pointer,
                                            std::string_view field) const {
  std::vector<std::string> out;
  auto el = impl_->at(pointer);
  simdjson::dom::array arr;
  if (!el || el->get_array().get(arr) != simdjson::SUCCESS)
    return out;
  for (auto item : arr) {
    std::string_view s;
    if (item[field].get_string().get(s) == simdjson::SUCCESS)
      out.emplace_back(s);
  }
  return out;
}

std::map<std::string, int64_t> json_answer::counts(std::string_view pointer) const {
  std::map<std::string, int64_t> out;
  auto el = impl_->at(pointer);
  simdjson::dom::object obj;
  if (!el || el->get_object().get(obj) != simdjson::SUCCESS)
    return out;
  for (auto [key, value] : obj) {
    int64_t n = 0;
    if (value.get_int64().get(n) == simdjson::SUCCESS)
      out.emplace(std::string{key}, n);
  }
  return out;
}

// -- helpers -----------------------------------------------------------------------------

std::vector<model::auth_token> operator_tokens() {
  return {{"ops", ops_token, {"ingest", "read", "operate", "admin"}},
          {"ingester", ingest_token, {"ingest"}},
          {"reader", read_token, {"read"}},
          {"operator", operate_token, {"operate"}}};
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  return true;
}

std::string log_runbook(const std::string& name, const std::string& alertname,
                        const std::string& category, const std::string& description) {
  return "name: " + name + "\ndescription: " + description + "\ncategory: " + category
         + "\ntriggers:\n  - type: alert\n    labels: {alertname: " + alertname
         + "}\nsteps:\n  - name: say\n    action: log\n    message: \"seen {{ labels.instance "
           "}}\"\n";
}

std::string alert_json(const std::string& alertname, const std::string& instance,
                       const std::string& severity, const std::string& source) {
  return R"({"type":"alert","severity":")" + severity + R"(","source":")" + source
         + R"(","labels":{"alertname":")" + alertname + R"(","instance":")" + instance + R"("}})";
}

testing::AssertionResult is_error(const http_result& r, int status, const std::string& code,
                                  const std::string& field) {
  if (r.status != status)
    return testing::AssertionFailure()
           << "status " << r.status << ", expected " << status << ": " << r.body;
  if (r.header("content-type") != "application/json")
    return testing::AssertionFailure() << "content type " << r.header("content-type");
  json_answer j{r.body};
  if (!j.valid())
    return testing::AssertionFailure() << "not JSON: " << r.body;
  if (j.text("/error") != code)
    return testing::AssertionFailure() << "error code is not " << code << ": " << r.body;
  if (!j.text("/message") || j.text("/message")->empty())
    return testing::AssertionFailure() << "no message: " << r.body;
  if (!j.size("/details"))
    return testing::AssertionFailure() << "no details array: " << r.body;
  if (!field.empty()) {
    const auto fields = j.texts("/details", "field");
    if (std::find(fields.begin(), fields.end(), field) == fields.end())
      return testing::AssertionFailure() << "no detail names " << field << ": " << r.body;
    if (j.text("/message")->find(field) == std::string::npos)
      return testing::AssertionFailure() << "the message does not name " << field << ": " << r.body;
  }
  return testing::AssertionSuccess();
}

// -- operator_fixture --------------------------------------------------------------------

operator_fixture::operator_fixture() : repo_(dir_.file("runbooks")) {
  std::filesystem::create_directories(repo_);
  cfg_.server.listen = {"127.0.0.1", 0};
  cfg_.storage.path = dir_.file("data");
  cfg_.storage.sync = model::sync_policy::none;
  cfg_.runbooks.repository = repo_;
  // Reloads happen when a test asks for them; runbook_routes_test turns the watcher on itself.
  cfg_.runbooks.auto_reload = false;
}

operator_fixture::~operator_fixture() {
  stop();
}

void operator_fixture::start(const model::clock* clk) {
  auto started =
    clk != nullptr ? app::application::start(cfg_, *clk) : app::application::start(cfg_);
  ASSERT_TRUE(started) << describe(started.error());
  app_ = std::move(*started);
  client_ = std::make_unique<http_client>(app_->port());
}

void operator_fixture::stop() {
  client_.reset();
  if (app_)
    app_->stop();
  app_.reset();
}

void operator_fixture::write_runbook(const std::string& relative, const std::string& yaml) {
  const auto path = std::filesystem::path{repo_} / relative;
  std::filesystem::create_directories(path.parent_path());
  write_file(path.string(), yaml);
}

http_result operator_fixture::send(const std::string& method, const std::string& target,
                                   const std::string& body, const std::string& token,
                                   const std::string& content_type) {
  std::map<std::string, std::string> headers;
  if (!token.empty())
    headers["Authorization"] = "Bearer " + token;
  if (!content_type.empty() && !body.empty())
    headers["Content-Type"] = content_type;
  return client_->request(method, target, body, headers);
}

http_result operator_fixture::get(const std::string& target, const std::string& token) {
  return send("GET", target, "", token);
}

http_result operator_fixture::post(const std::string& target, const std::string& body,
                                   const std::string& token, const std::string& content_type) {
  return send("POST", target, body, token, content_type);
}

json_answer operator_fixture::get_json(const std::string& target, const std::string& token) {
  auto r = get(target, token);
  EXPECT_EQ(r.status, 200) << target << ": " << r.body;
  json_answer j{r.body};
  EXPECT_TRUE(j.valid()) << target << ": " << r.body;
  return j;
}

std::vector<std::string> operator_fixture::workflow_ids() {
  return get_json("/api/workflows?limit=10000", cfg_.auth.tokens.empty() ? "" : ops_token)
    .texts("/workflows", "id");
}

std::size_t operator_fixture::events_in_state(const std::string& state) {
  auto j =
    get_json("/api/events?limit=10000&state=" + state, cfg_.auth.tokens.empty() ? "" : ops_token);
  return j.size("/events").value_or(0);
}

bool operator_fixture::wait_for_workflow(const std::string& id, const std::string& status) {
  const std::string token = cfg_.auth.tokens.empty() ? "" : ops_token;
  return eventually([&] {
    auto r = get("/api/workflows/" + id, token);
    return r.status == 200 && json_answer{r.body}.text("/status") == status;
  });
}

} // namespace vigil::test
