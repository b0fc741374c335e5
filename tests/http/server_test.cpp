#include "runtime/http/server.hpp"

#include <future>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "tests/support/http_client.hpp"

namespace vigil::http {
namespace {

using namespace std::chrono_literals;

/// Reads from a raw socket until EOF or `timeout`.
std::string read_all(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<long>(timeout.count() / 1000);
  tv.tv_usec = static_cast<long>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0)
      break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

/// The stream closes a timed-out socket before our handler counts it: poll briefly.
uint64_t wait_for_timeouts(const server& srv, uint64_t expected) {
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (srv.stats().timeouts.load() < expected && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  return srv.stats().timeouts.load();
}

void send_all(int fd, const std::string& data) {
  ASSERT_EQ(::send(fd, data.data(), data.size(), MSG_NOSIGNAL), static_cast<ssize_t>(data.size()));
}

class server_test : public ::testing::Test {
protected:
  void start(model::server_config cfg = {}) {
    cfg.listen = {"127.0.0.1", 0};
    routes_.add({method::get,
                 "/hello",
                 [](request&, responder reply) { reply(json_response(R"({"hello":"world"})")); },
                 {},
                 ""});
    routes_.add({method::get,
                 "/items/{id}",
                 [](request& req, responder reply) {
                   auto* verbose = req.query_param("verbose");
                   reply(json_response("{\"id\":\"" + req.path_params.at(0) + "\",\"verbose\":\""
                                       + (verbose != nullptr ? *verbose : "") + "\"}"));
                 },
                 {},
                 ""});
    routes_.add({method::post,
                 "/echo",
                 [](request& req, responder reply) {
                   // Answer from another thread, as the ingest path does after its fsync.
                   std::thread{[body = req.body, reply]() mutable {
                     response r;
                     r.body = body;
                     r.content_type = "text/plain";
                     reply(std::move(r));
                   }}.detach();
                 },
                 {"application/json", "application/x-ndjson"},
                 ""});
    routes_.add({method::get,
                 "/slow",
                 [this](request&, responder reply) {
                   slow_reply_ = std::move(reply);
                   slow_started_.set_value();
                 },
                 {},
                 ""});
    server_ = std::make_unique<server>(cfg, routes_);
    auto port = server_->start();
    ASSERT_TRUE(port);
    port_ = *port;
  }

  void TearDown() override {
    if (server_)
      server_->stop(1s);
  }

  router routes_;
  std::unique_ptr<server> server_;
  uint16_t port_ = 0;
  responder slow_reply_;
  std::promise<void> slow_started_;
};

TEST_F(server_test, serves_routes_with_keep_alive) {
  start();
  test::http_client client{port_};
  for (int i = 0; i < 3; ++i) {
    auto r = client.get("/hello");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"hello":"world"})");
    EXPECT_EQ(r.header("content-type"), "application/json");
  }
  EXPECT_EQ(server_->stats().connections_accepted.load(), 1U);
  auto r = client.get("/items/abc%20d?verbose=yes+please");
  EXPECT_EQ(r.body, R"({"id":"abc d","verbose":"yes please"})");
}

TEST_F(server_test, unknown_path_is_json_404_and_wrong_method_405) {
  start();
  test::http_client client{port_};
  auto r = client.get("/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find(R"("error":"not_found")"), std::string::npos);
  r = client.post("/hello", "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "GET");
  EXPECT_NE(r.body.find(R"("error":"method_not_allowed")"), std::string::npos);
}

TEST_F(server_test, answers_from_another_thread) {
  start();
  test::http_client client{port_};
  auto r = client.post("/echo", R"({"x":1})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"x":1})");
}

TEST_F(server_test, oversized_body_gets_413_before_it_is_sent) {
  model::server_config cfg;
  cfg.max_body_bytes = 1024;
  start(cfg);
  int fd = test::connect_raw(port_);
  ASSERT_GE(fd, 0);
  // Only the header: the server must answer without waiting for the 1 MB it announces.
  send_all(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: 1048576\r\n\r\n");
  auto reply = read_all(fd, 5s);
  ::close(fd);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0U) << reply;
  EXPECT_NE(reply.find("payload_too_large"), std::string::npos);
}

TEST_F(server_test, chunked_body_over_the_limit_gets_413) {
  model::server_config cfg;
  cfg.max_body_bytes = 1024;
  start(cfg);
  int fd = test::connect_raw(port_);
  ASSERT_GE(fd, 0);
  std::string chunk(2000, 'x');
  send_all(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\n\r\n7d0\r\n"
                 + chunk + "\r\n0\r\n\r\n");
  auto reply = read_all(fd, 5s);
  ::close(fd);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0U) << reply;
}

TEST_F(server_test, wrong_content_type_gets_415) {
  start();
  test::http_client client{port_};
  auto r = client.post("/echo", "a=b", "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 415);
  EXPECT_NE(r.body.find("unsupported_media_type"), std::string::npos);
  r = client.post("/echo", "{}", "application/json; charset=utf-8");
  EXPECT_EQ(r.status, 200);
}

/// Sends one raw request on a fresh connection; the whole answer.
std::string round_trip(uint16_t port, const std::string& raw) {
  int fd = test::connect_raw(port);
  if (fd < 0)
    return "<no connection>";
  send_all(fd, raw);
  auto reply = read_all(fd, 5s);
  ::close(fd);
  return reply;
}

TEST_F(server_test, host_must_be_sent_once_in_http_1_1) {
  start();
  const std::string rest = "Content-Type: application/json\r\nContent-Length: 2\r\n"
                           "Connection: close\r\n\r\n{}";
  auto reply = round_trip(port_, "POST /echo HTTP/1.1\r\n" + rest);
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0U) << reply;
  EXPECT_NE(reply.find("Host"), std::string::npos) << reply;
  reply = round_trip(port_, "POST /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n" + rest);
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0U) << reply;
  reply = round_trip(port_, "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0U) << "every route: " << reply;
  // HTTP/1.0 has no Host requirement; one Host (even empty) is what 1.1 asks for.
  reply = round_trip(port_, "POST /echo HTTP/1.0\r\n" + rest);
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0U) << reply;
  reply = round_trip(port_, "POST /echo HTTP/1.1\r\nHost:\r\n" + rest);
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0U) << reply;
}

TEST_F(server_test, a_repeated_content_type_or_authorization_is_400) {
  start();
  auto reply =
    round_trip(port_, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      "Content-Type: text/plain\r\nContent-Length: 2\r\n"
                      "Connection: close\r\n\r\n{}");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0U) << reply;
  EXPECT_NE(reply.find("Content-Type"), std::string::npos) << reply;
  reply = round_trip(port_, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            "Content-Type: application/json\r\nContent-Length: 2\r\n"
                            "Connection: close\r\n\r\n{}");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0U) << "even when both agree: " << reply;
  reply = round_trip(port_, "GET /hello HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\n"
                            "Authorization: Bearer b\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0U) << reply;
}

TEST_F(server_test, a_content_encoding_other_than_identity_is_415) {
  start();
  const auto post = [this](const std::string& encoding_lines) {
    return round_trip(port_, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                               + encoding_lines
                               + "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
  };
  for (std::string coding : {"gzip", "deflate", "br", "x-gzip", "compress", "gzip, identity",
                             "identity, gzip", "bogus"}) {
    auto reply = post("Content-Encoding: " + coding + "\r\n");
    EXPECT_EQ(reply.rfind("HTTP/1.1 415", 0), 0U) << coding << ": " << reply;
    EXPECT_NE(reply.find("Accept-Encoding: identity\r\n"), std::string::npos) << reply;
    EXPECT_NE(reply.find("unsupported_media_type"), std::string::npos) << reply;
  }
  auto reply = post("Content-Encoding: identity\r\nContent-Encoding: gzip\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 415", 0), 0U) << reply;
  for (std::string fine :
       {"", "Content-Encoding: identity\r\n", "Content-Encoding: IDENTITY\r\n"}) {
    reply = post(fine);
    EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0U) << fine << ": " << reply;
    EXPECT_NE(reply.find("\r\n\r\n{}"), std::string::npos) << reply;
  }
}

TEST_F(server_test, a_transfer_coding_but_chunked_is_refused_and_nothing_is_smuggled) {
  start();
  // Beast took a body whose last coding is not chunked for empty, and its bytes for the next
  // request: the GET below was answered too.
  const std::string smuggled = "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  auto reply =
    round_trip(port_, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      "Transfer-Encoding: gzip\r\n\r\n"
                        + smuggled);
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0U) << reply;
  EXPECT_EQ(reply.find("hello"), std::string::npos) << "the body ran as a request: " << reply;
  EXPECT_NE(reply.find("Connection: close"), std::string::npos) << reply;
  // A coding before chunked was ignored (the body read as if it were plain).
  reply = round_trip(port_, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            "Transfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n"
                            "2\r\n{}\r\n0\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 501", 0), 0U) << reply;
  reply = round_trip(port_, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                            "2\r\n{}\r\n0\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0U) << reply;
}

TEST_F(server_test, slow_header_is_cut_off_while_others_are_served) {
  model::server_config cfg;
  cfg.header_timeout = 300ms;
  cfg.io_threads = 1; // one thread: the slow client must not hold it
  start(cfg);
  int fd = test::connect_raw(port_);
  ASSERT_GE(fd, 0);
  send_all(fd, "GET /hello HTTP/1.1\r\nHost: x\r\n"); // never finishes the header
  test::http_client client{port_};
  EXPECT_EQ(client.get("/hello").status, 200);
  const auto t0 = std::chrono::steady_clock::now();
  auto reply = read_all(fd, 5s);
  const auto waited = std::chrono::steady_clock::now() - t0;
  ::close(fd);
  EXPECT_EQ(reply, "") << "the connection should be closed without an answer";
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, 3s);
  EXPECT_EQ(wait_for_timeouts(*server_, 1), 1U);
}

TEST_F(server_test, slow_body_is_cut_off) {
  model::server_config cfg;
  cfg.header_timeout = 300ms;
  start(cfg);
  int fd = test::connect_raw(port_);
  ASSERT_GE(fd, 0);
  send_all(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: 100\r\n\r\n{\"a\":");
  const auto t0 = std::chrono::steady_clock::now();
  auto reply = read_all(fd, 5s);
  ::close(fd);
  EXPECT_EQ(reply, "");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_EQ(wait_for_timeouts(*server_, 1), 1U);
}

TEST_F(server_test, connections_past_the_limit_get_503) {
  model::server_config cfg;
  cfg.max_connections = 2;
  start(cfg);
  test::http_client a{port_}, b{port_};
  ASSERT_EQ(a.get("/hello").status, 200);
  ASSERT_EQ(b.get("/hello").status, 200);
  test::http_client c{port_};
  auto r = c.get("/hello");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.header("retry-after"), "1");
  EXPECT_EQ(server_->stats().connections_refused.load(), 1U);
}

TEST_F(server_test, stop_finishes_in_flight_requests) {
  start();
  auto pending = std::async(std::launch::async, [this] {
    test::http_client client{port_};
    return client.get("/slow");
  });
  slow_started_.get_future().wait();
  std::thread answer{[this] {
    // Answer only once stop() has begun waiting.
    while (server_->serving())
      std::this_thread::yield();
    slow_reply_(json_response(R"({"late":true})"));
    slow_reply_ = {}; // it holds the connection; let it go
  }};
  server_->stop(5s);
  answer.join();
  auto r = pending.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"late":true})");
  EXPECT_EQ(r.header("connection"), "close");
}

} // namespace
} // namespace vigil::http
