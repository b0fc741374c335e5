#pragma once

// An HTTP transport for deterministic actor tests: it records each request and answers it at
// once (from `responder`) or when the test says (`complete`). Its completions are messages to
// the adapter, so with CAF's test coordinator nothing happens until the test runs them.

#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actors/integrations/http_transport.hpp"

namespace vigil::test {

class fake_transport final : public actors::http_transport {
public:
  /// Decides an answer at once; nullopt leaves the request pending.
  using responder_fn =
    std::function<std::optional<actors::http_response>(const actors::http_request&)>;

  /// An answer with `status` and `body`.
  static actors::http_response
  reply(int status, std::string body = "",
        std::vector<std::pair<std::string, std::string>> headers = {}) {
    actors::http_response r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
  }

  /// A connection error.
  static actors::http_response refused() {
    actors::http_response r;
    r.error = actors::transport_error::connection;
    r.error_text = "Couldn't connect to server";
    return r;
  }

  void set_responder(responder_fn fn) {
    std::lock_guard<std::mutex> guard{mutex_};
    responder_ = std::move(fn);
  }

  void submit(actors::http_request req, actors::http_completion done) override {
    std::optional<actors::http_response> answer;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      requests_.push_back(req);
      if (responder_)
        answer = responder_(req);
      if (!answer) {
        pending_.push_back({std::move(req), std::move(done)});
        return;
      }
    }
    done(std::move(*answer));
  }

  /// Answers the oldest pending request; false when none is pending.
  bool complete(actors::http_response resp) {
    actors::http_completion done;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      if (pending_.empty())
        return false;
      done = std::move(pending_.front().second);
      pending_.pop_front();
    }
    done(std::move(resp));
    return true;
  }

  /// Every request so far.
  [[nodiscard]] std::vector<actors::http_request> requests() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return requests_;
  }

  /// How many requests went out.
  [[nodiscard]] std::size_t sent() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return requests_.size();
  }

  /// How many wait for `complete`.
  [[nodiscard]] std::size_t pending() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return pending_.size();
  }

private:
  mutable std::mutex mutex_;
  responder_fn responder_;
  std::vector<actors::http_request> requests_;
  std::deque<std::pair<actors::http_request, actors::http_completion>> pending_;
};

} // namespace vigil::test
