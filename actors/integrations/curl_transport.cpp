// The libcurl transport: one thread, one multi handle, every integration's requests.

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <thread>

#include <curl/curl.h>

#include "actors/integrations/http_transport.hpp"

namespace vigil::actors {

std::string_view http_response::header(std::string_view lowercase_name) const noexcept {
  for (const auto& [k, v] : headers)
    if (k == lowercase_name)
      return v;
  return {};
}

namespace {

/// One request on its way, owned by the transport's thread once started.
struct transfer {
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  http_request req;
  http_completion done;
  http_response resp;
  char errbuf[CURL_ERROR_SIZE] = {};

  ~transfer() {
    if (easy != nullptr)
      curl_easy_cleanup(easy);
    if (header_list != nullptr)
      curl_slist_free_all(header_list);
  }
};

using namespace std::string_view_literals;

/// What of `r` would let bytes outside it reach the wire ("the URL", "header X"), or empty.
std::string split_risk(const http_request& r) {
  auto risky = [](std::string_view s) { return s.find_first_of("\r\n\0"sv) != s.npos; };
  if (risky(r.url))
    return "the URL";
  for (const auto& [k, v] : r.headers)
    if (risky(k) || risky(v))
      return "header " + std::string{k.substr(0, k.find_first_of("\r\n\0"sv))};
  return {};
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<transfer*>(user);
  const auto len = size * count;
  const auto room = t->req.max_body - std::min(t->req.max_body, t->resp.body.size());
  if (len > room) {
    t->resp.body.append(data, room);
    t->resp.truncated = true;
    return 0; // stops the transfer: what is over the cap is never read
  }
  t->resp.body.append(data, len);
  return len;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<transfer*>(user);
  const auto len = size * count;
  std::string_view line{data, len};
  if (line.rfind("HTTP/", 0) == 0) {
    t->resp.headers.clear(); // a new response (after a redirect or a 100 Continue)
    return len;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos)
    return len;
  std::string name{line.substr(0, colon)};
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  t->resp.headers.emplace_back(std::move(name), std::string{value});
  return len;
}

transport_error classify(CURLcode rc, bool truncated) {
  switch (rc) {
    case CURLE_OK:
      return transport_error::none;
    case CURLE_WRITE_ERROR:
      return truncated ? transport_error::none : transport_error::other;
    case CURLE_OPERATION_TIMEDOUT:
      return transport_error::timeout;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return transport_error::connection;
    default:
      return transport_error::other;
  }
}

class curl_transport final : public http_transport {
public:
  curl_transport() {
    static std::once_flag global;
    std::call_once(global, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    multi_ = curl_multi_init();
    thread_ = std::thread{[this] { loop(); }};
  }

  ~curl_transport() override {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      stopping_ = true;
    }
    curl_multi_wakeup(multi_);
    thread_.join();
    for (auto& [easy, t] : running_) {
      curl_multi_remove_handle(multi_, easy);
      delete t;
    }
    curl_multi_cleanup(multi_);
  }

  curl_transport(const curl_transport&) = delete;
  curl_transport& operator=(const curl_transport&) = delete;

  void submit(http_request req, http_completion done) override {
    auto t = std::make_unique<transfer>();
    t->req = std::move(req);
    t->done = std::move(done);
    {
      std::lock_guard<std::mutex> guard{mutex_};
      if (stopping_)
        return;
      incoming_.push_back(std::move(t));
    }
    curl_multi_wakeup(multi_);
  }

private:
  void loop() {
    std::vector<std::unique_ptr<transfer>> batch;
    for (;;) {
      {
        std::lock_guard<std::mutex> guard{mutex_};
        if (stopping_)
          return;
        batch.swap(incoming_);
      }
      for (auto& t : batch)
        start(std::move(t));
      batch.clear();
      int running = 0;
      curl_multi_perform(multi_, &running);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &left))
        if (msg->msg == CURLMSG_DONE)
          finish(msg->easy_handle, msg->data.result);
      curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
    }
  }

  void start(std::unique_ptr<transfer> t) {
    // The adapters refuse these with a clearer message; this is the last line before bytes
    // reach the wire: a CR or LF in a header or the URL would split the request.
    if (auto bad = split_risk(t->req); !bad.empty()) {
      t->resp.error = transport_error::other;
      t->resp.error_text = bad + " holds a CR, LF or NUL; the request was not sent";
      t->done(std::move(t->resp));
      return;
    }
    CURL* e = curl_easy_init();
    if (e == nullptr) {
      t->resp.error = transport_error::other;
      t->resp.error_text = "out of memory";
      t->done(std::move(t->resp));
      return;
    }
    t->easy = e;
    const auto& r = t->req;
    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    // Send the path as planned: dot segments are refused before, never resolved here.
    curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count()));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout.count()));
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, r.follow_redirects ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "vigil");
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
    if (r.method == "GET") {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (r.method == "HEAD") {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
      if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
      }
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    }
    t->header_list = curl_slist_append(t->header_list, "Expect:");
    for (const auto& [k, v] : r.headers) {
      const auto line = v.empty() ? k + ";" : k + ": " + v;
      t->header_list = curl_slist_append(t->header_list, line.c_str());
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->header_list);
    if (curl_multi_add_handle(multi_, e) != CURLM_OK) {
      t->resp.error = transport_error::other;
      t->resp.error_text = "could not start the request";
      t->done(std::move(t->resp));
      return;
    }
    running_.emplace_back(e, t.release());
  }

  void finish(CURL* e, CURLcode rc) {
    auto it =
      std::find_if(running_.begin(), running_.end(), [e](const auto& p) { return p.first == e; });
    if (it == running_.end())
      return;
    std::unique_ptr<transfer> t{it->second};
    running_.erase(it);
    curl_multi_remove_handle(multi_, e);
    auto& resp = t->resp;
    resp.error = classify(rc, resp.truncated);
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_off_t total_us = 0;
    curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &total_us);
    resp.elapsed = std::chrono::microseconds{total_us};
    if (resp.error == transport_error::none) {
      resp.status = static_cast<int>(status);
    } else {
      resp.status = 0;
      resp.error_text = t->errbuf[0] != 0 ? std::string{t->errbuf} : curl_easy_strerror(rc);
    }
    t->done(std::move(resp));
  }

  CURLM* multi_ = nullptr;
  std::thread thread_;
  std::mutex mutex_;
  bool stopping_ = false;                            // guarded by mutex_
  std::vector<std::unique_ptr<transfer>> incoming_;  // guarded by mutex_
  std::vector<std::pair<CURL*, transfer*>> running_; // the thread's own
};

} // namespace

std::shared_ptr<http_transport> make_curl_transport() {
  return std::make_shared<curl_transport>();
}

} // namespace vigil::actors
