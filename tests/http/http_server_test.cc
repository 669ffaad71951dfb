// The HTTP core over real loopback sockets: keep-alive, timeouts, limits,
// concurrency, and a graceful stop that answers in-flight requests.
#include "http/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "gtest/gtest.h"
#include "tests/support/http_client.h"

namespace lens::testing {
namespace {

using Clock = std::chrono::steady_clock;

int ConnectTo(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  return fd;
}

// Milliseconds until the server closes `fd` (recv returns 0 or an error),
// or -1 if it stays open for `limit_ms`.
long MillisUntilClosed(int fd, int limit_ms) {
  auto t0 = Clock::now();
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int left =
        limit_ms -
        static_cast<int>(
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
    if (left <= 0 || ::poll(&p, 1, left) <= 0) return -1;
    if (::recv(fd, buf, sizeof(buf), 0) <= 0)
      return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  }
}

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions o) {
    router_.Add("GET", "/ping", [](HttpRequest&) {
      return HttpResponse::JsonBody(200, Json{{"pong", true}});
    });
    router_.Add("POST", "/echo", [](HttpRequest& r) { return HttpResponse::Text(200, r.body); });
    router_.Add("GET", "/slow", [this](HttpRequest&) {
      in_slow_++;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      return HttpResponse::JsonBody(200, Json{{"slow", true}});
    });
    router_.Add("GET", "/items/{id}", [](HttpRequest& r) {
      return HttpResponse::JsonBody(
          200, Json{{"id", r.path_params[0]}, {"q", r.Query("q").value_or("")}});
    });
    o.port = 0;
    o.access_log = false;
    server_ = std::make_unique<HttpServer>(o, &router_, &metrics_);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  Router router_;
  MetricsRegistry metrics_;
  std::unique_ptr<HttpServer> server_;
  std::atomic<int> in_slow_{0};
};

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  Start({});
  HttpClient c(server_->port());
  for (int i = 0; i < 50; ++i) {
    HttpResult r = c.Get("/ping");
    ASSERT_EQ(r.status, 200);
    ASSERT_FALSE(c.closed()) << "connection closed after request " << i;
  }
  EXPECT_FALSE(c.Get("/ping").header("x-request-id").empty());
}

TEST_F(HttpServerTest, PathParametersAndDecodedQuery) {
  Start({});
  HttpClient c(server_->port());
  HttpResult r = c.Get("/items/42?q=caf%C3%A9+au+lait");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["id"], "42");
  EXPECT_EQ(r.json()["q"], "caf\xc3\xa9 au lait");
  EXPECT_EQ(c.Get("/items/1", {{"X-Request-Id", "my-req-1"}}).header("x-request-id"), "my-req-1");
}

TEST_F(HttpServerTest, IdleConnectionIsClosedAfterIdleTimeout) {
  HttpServerOptions o;
  o.idle_timeout = absl::Milliseconds(300);
  Start(o);
  int fd = ConnectTo(server_->port());
  long ms = MillisUntilClosed(fd, 5000);
  ::close(fd);
  EXPECT_GE(ms, 200);
  EXPECT_LE(ms, 2000);
}

TEST_F(HttpServerTest, SlowRequestIsClosedAfterReadTimeout) {
  HttpServerOptions o;
  o.read_timeout = absl::Milliseconds(300);
  o.idle_timeout = absl::Seconds(30);
  Start(o);
  int fd = ConnectTo(server_->port());
  const char partial[] = "GET /ping HTTP/1.1\r\nHost: x\r\n";  // never finished
  ASSERT_GT(::send(fd, partial, sizeof(partial) - 1, 0), 0);
  long ms = MillisUntilClosed(fd, 5000);
  ::close(fd);
  EXPECT_GE(ms, 0) << "a request trickling in must not hold the connection forever";
  EXPECT_LE(ms, 2000);
}

TEST_F(HttpServerTest, BodyLimitIs413AndTheServerKeepsServing) {
  HttpServerOptions o;
  o.body_limit = 1024;
  Start(o);
  HttpClient c(server_->port());
  EXPECT_EQ(c.Post("/echo", std::string(1024, 'a')).status, 200);
  HttpResult big = c.Post("/echo", std::string(1025, 'a'));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.error_code(), "payload_too_large");
  HttpClient c2(server_->port());
  EXPECT_EQ(c2.Get("/ping").status, 200);
}

TEST_F(HttpServerTest, ServesConcurrentConnectionsInParallel) {
  HttpServerOptions o;
  o.worker_threads = 32;
  Start(o);
  constexpr int kClients = 24;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  auto t0 = Clock::now();
  for (int i = 0; i < kClients; ++i)
    threads.emplace_back([&] {
      HttpClient c(server_->port());
      if (c.Get("/slow").status == 200) ok++;
    });
  for (auto& t : threads) t.join();
  auto elapsed = Clock::now() - t0;
  EXPECT_EQ(ok.load(), kClients);
  // 24 × 300 ms handlers in well under their serial 7.2 s.
  EXPECT_LT(elapsed, std::chrono::milliseconds(2500));
}

TEST_F(HttpServerTest, ManyOpenConnectionsEachGetAnswers) {
  Start({});
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int i = 0; i < 300; ++i) {
    clients.push_back(std::make_unique<HttpClient>(server_->port()));
    ASSERT_EQ(clients.back()->Get("/ping").status, 200) << i;
  }
  for (auto& c : clients) EXPECT_EQ(c->Get("/ping").status, 200);
}

TEST_F(HttpServerTest, ConnectionsOverTheCapGet503) {
  HttpServerOptions o;
  o.max_connections = 4;
  Start(o);
  std::vector<std::unique_ptr<HttpClient>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<HttpClient>(server_->port()));
    ASSERT_EQ(held.back()->Get("/ping").status, 200);
  }
  HttpClient extra(server_->port());
  HttpResult r = extra.Get("/ping");
  EXPECT_EQ(r.status, 503);
  held.clear();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  HttpClient later(server_->port());
  EXPECT_EQ(later.Get("/ping").status, 200);
}

TEST_F(HttpServerTest, StopAnswersInFlightRequests) {
  Start({});
  HttpResult slow;
  std::thread t([&] {
    HttpClient c(server_->port());
    slow = c.Get("/slow");
  });
  while (in_slow_.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  server_->Stop();
  t.join();
  EXPECT_EQ(slow.status, 200) << "a request being handled at shutdown is still answered";
  EXPECT_EQ(slow.header("connection"), "close");
}

TEST_F(HttpServerTest, CountsRequestsInMetrics) {
  Start({});
  HttpClient c(server_->port());
  c.Get("/ping");
  c.Get("/items/7");
  c.Get("/missing");
  std::string text = metrics_.RenderPrometheus();
  EXPECT_NE(text.find("lens_http_requests_total{route=\"/ping\",method=\"GET\",status=\"200\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("route=\"/items/{id}\""), std::string::npos);
  EXPECT_NE(text.find("route=\"unmatched\",method=\"GET\",status=\"404\""), std::string::npos);
}

}  // namespace
}  // namespace lens::testing
