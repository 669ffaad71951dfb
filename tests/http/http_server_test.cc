// The HTTP core over real loopback sockets: keep-alive, timeouts, limits,
// concurrency, a graceful stop that answers in-flight requests, and live
// streams (server-sent events and WebSocket) fed by an in-test EventStream.
#include "http/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "http/event_stream.h"
#include "tests/support/http_client.h"
#include "tests/support/stream_client.h"

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

// An EventStream the test feeds: a thread-safe queue that calls `wake` on
// each push, and records how the server drives it (starts, polls, stops,
// overlapping polls) so that tests can check the contract.
class TestStream : public EventStream {
 public:
  explicit TestStream(absl::Time deadline) : deadline_(deadline) {}

  void Start(std::function<void()> wake) override {
    absl::MutexLock lock(&mu_);
    ++starts_;
    wake_ = std::move(wake);
  }
  absl::StatusOr<std::vector<StreamMessage>> Poll(size_t max) override {
    if (in_poll_.fetch_add(1) != 0) overlapping_polls_.fetch_add(1);
    std::vector<StreamMessage> out;
    absl::Status failure;
    {
      absl::MutexLock lock(&mu_);
      ++polls_;
      if (starts_ == 0 || stops_ > 0) misuse_ = true;
      failure = failure_;
      while (failure.ok() && out.size() < max && !queue_.empty()) {
        out.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    in_poll_.fetch_sub(1);
    if (!failure.ok()) return failure;
    return out;
  }
  void Stop() override {
    absl::MutexLock lock(&mu_);
    ++stops_;
    wake_ = nullptr;
  }
  absl::Time deadline() const override { return deadline_; }

  void Push(StreamMessage m) {
    std::function<void()> wake;
    {
      absl::MutexLock lock(&mu_);
      queue_.push_back(std::move(m));
      wake = wake_;
    }
    if (wake) wake();  // outside the lock, as a real source would
  }
  void Fail(absl::Status status) {
    std::function<void()> wake;
    {
      absl::MutexLock lock(&mu_);
      failure_ = std::move(status);
      wake = wake_;
    }
    if (wake) wake();
  }
  bool WaitStopped(int ms) {
    absl::MutexLock lock(&mu_);
    auto stopped = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stops_ > 0; };
    return mu_.AwaitWithTimeout(absl::Condition(&stopped), absl::Milliseconds(ms));
  }
  int starts() {
    absl::MutexLock lock(&mu_);
    return starts_;
  }
  int stops() {
    absl::MutexLock lock(&mu_);
    return stops_;
  }
  int polls() {
    absl::MutexLock lock(&mu_);
    return polls_;
  }
  // A Poll before Start or after Stop.
  bool misused() {
    absl::MutexLock lock(&mu_);
    return misuse_;
  }
  int overlapping_polls() const { return overlapping_polls_.load(); }

 private:
  const absl::Time deadline_;
  absl::Mutex mu_;
  std::deque<StreamMessage> queue_ ABSL_GUARDED_BY(mu_);
  std::function<void()> wake_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  int starts_ ABSL_GUARDED_BY(mu_) = 0;
  int stops_ ABSL_GUARDED_BY(mu_) = 0;
  int polls_ ABSL_GUARDED_BY(mu_) = 0;
  bool misuse_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int> in_poll_{0};
  std::atomic<int> overlapping_polls_{0};
};

StreamMessage Msg(std::string id, std::string event, const Json& data) {
  return StreamMessage{std::move(id), std::move(event), data.dump()};
}

// Polls `pred` every 5 ms for up to `ms`.
bool WaitFor(const std::function<bool()>& pred, int ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(ms);
  while (!pred()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions o) {
    // GET /stream: a live stream over a TestStream. ?ttl_ms=N sets its
    // deadline, ?preload=N queues N messages before the server starts it,
    // "Authorization: Bearer bad" is refused with 401 like a real handler.
    router_.Add("GET", "/stream", [this](HttpRequest& r) {
      if (r.Header("authorization").value_or("") == "Bearer bad")
        return HttpResponse::Error(401, "unauthenticated", "bad token");
      absl::Time deadline = absl::InfiniteFuture();
      if (auto ttl = r.Query("ttl_ms"))
        deadline = absl::Now() + absl::Milliseconds(std::stoi(std::string(*ttl)));
      auto stream = std::make_shared<TestStream>(deadline);
      int preload = std::stoi(std::string(r.Query("preload").value_or("0")));
      for (int i = 1; i <= preload; ++i)
        stream->Push(Msg(std::to_string(i), "backlog", Json{{"n", i}}));
      {
        absl::MutexLock lock(&streams_mu_);
        streams_.push_back(stream);
      }
      HttpResponse res;
      res.stream = stream;
      res.headers.emplace_back("X-Stream", "yes");
      return res;
    });
    // A stream answer with an error status: sent as the error, never streamed.
    router_.Add("GET", "/stream-refused", [this](HttpRequest&) {
      auto stream = std::make_shared<TestStream>(absl::InfiniteFuture());
      {
        absl::MutexLock lock(&streams_mu_);
        streams_.push_back(stream);
      }
      HttpResponse res = HttpResponse::Error(403, "forbidden", "not yours");
      res.stream = stream;
      return res;
    });
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
    absl::MutexLock lock(&streams_mu_);
    for (auto& s : streams_) {
      EXPECT_EQ(s->stops(), 1) << "every stream a handler returns is stopped exactly once";
      EXPECT_LE(s->starts(), 1);
      EXPECT_EQ(s->overlapping_polls(), 0);
      EXPECT_FALSE(s->misused()) << "Poll before Start or after Stop";
    }
  }

  // The `index`-th stream a handler created (waits up to 5 s for it).
  std::shared_ptr<TestStream> StreamAt(size_t index) {
    std::shared_ptr<TestStream> out;
    WaitFor(
        [&] {
          absl::MutexLock lock(&streams_mu_);
          if (streams_.size() > index) out = streams_[index];
          return out != nullptr;
        },
        5000);
    return out;
  }
  size_t StreamCount() {
    absl::MutexLock lock(&streams_mu_);
    return streams_.size();
  }
  bool MetricsHave(const std::string& line) {
    return metrics_.RenderPrometheus().find(line + "\n") != std::string::npos;
  }

  Router router_;
  MetricsRegistry metrics_;
  std::unique_ptr<HttpServer> server_;
  std::atomic<int> in_slow_{0};
  absl::Mutex streams_mu_;
  std::vector<std::shared_ptr<TestStream>> streams_ ABSL_GUARDED_BY(streams_mu_);
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

// --- live streams -------------------------------------------------------------

TEST_F(HttpServerTest, SseDeliversPushedMessagesInOrderWithIds) {
  Start({});
  SseClient sse(server_->port());
  ASSERT_EQ(sse.Connect("/stream", {{"X-Request-Id", "sse-req-1"}}), 200);
  EXPECT_EQ(sse.header("content-type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(sse.header("cache-control"), "no-cache");
  EXPECT_EQ(sse.header("x-accel-buffering"), "no");
  EXPECT_EQ(sse.header("connection"), "close");
  EXPECT_EQ(sse.header("x-request-id"), "sse-req-1");
  EXPECT_EQ(sse.header("x-stream"), "yes") << "the handler's headers are in the head";
  EXPECT_EQ(sse.header("content-length"), "") << "the body ends with the connection";
  EXPECT_EQ(sse.header("transfer-encoding"), "");
  std::shared_ptr<TestStream> stream = StreamAt(0);
  ASSERT_NE(stream, nullptr);
  for (int i = 1; i <= 100; ++i)
    stream->Push(Msg(std::to_string(i), "notification", Json{{"n", i}, {"text", "a\"b"}}));
  stream->Push(StreamMessage{"", "note", "{\"no_id\":true}"});
  for (int i = 1; i <= 100; ++i) {
    std::optional<StreamEvent> e = sse.Next(5000);
    ASSERT_TRUE(e.has_value()) << "message " << i;
    EXPECT_EQ(e->id, std::to_string(i));
    EXPECT_EQ(e->event, "notification");
    EXPECT_EQ(e->json()["n"], i);
    EXPECT_EQ(e->json()["text"], "a\"b");
  }
  std::optional<StreamEvent> last = sse.Next(5000);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->id, "") << "no id: line for an empty id";
  EXPECT_EQ(last->event, "note");
  EXPECT_EQ(last->json()["no_id"], true);
  EXPECT_EQ(sse.last_event_id(), "100");
  EXPECT_EQ(sse.retry_ms(), 3000);
  ASSERT_FALSE(sse.comments().empty());
  EXPECT_EQ(sse.comments()[0], "connected");
  EXPECT_FALSE(sse.closed());
  EXPECT_EQ(stream->starts(), 1);
}

TEST_F(HttpServerTest, BacklogLargerThanTheQueueArrivesWhole) {
  HttpServerOptions o;
  o.stream_queue_messages = 8;  // 500 messages: many polls, each refilling the queue
  Start(o);
  SseClient sse(server_->port());
  ASSERT_EQ(sse.Connect("/stream?preload=500"), 200);
  for (int i = 1; i <= 500; ++i) {
    std::optional<StreamEvent> e = sse.Next(5000);
    ASSERT_TRUE(e.has_value()) << "message " << i;
    ASSERT_EQ(e->id, std::to_string(i));
  }
  std::shared_ptr<TestStream> stream = StreamAt(0);
  EXPECT_GE(stream->polls(), 500 / 8) << "never more than the queue's room per poll";
  EXPECT_FALSE(sse.closed()) << "a client that keeps up is not a slow consumer";
  EXPECT_TRUE(MetricsHave("lens_stream_closed_total{reason=\"slow_consumer\"} 0"));
}

TEST_F(HttpServerTest, WebSocketDeliversMessagesAsJsonFrames) {
  Start({});
  WsClient ws(server_->port());
  ASSERT_TRUE(ws.Connect("/stream", {{"X-Request-Id", "ws-req-1"}})) << ws.status();
  EXPECT_EQ(ws.status(), 101);
  EXPECT_EQ(ws.header("x-request-id"), "ws-req-1");
  EXPECT_EQ(ws.header("x-stream"), "yes") << "the handler's headers are in the handshake";
  std::shared_ptr<TestStream> stream = StreamAt(0);
  ASSERT_NE(stream, nullptr);
  for (int i = 1; i <= 50; ++i)
    stream->Push(Msg(std::to_string(i), "message", Json{{"n", i}, {"nested", {{"a", {1, 2}}}}}));
  stream->Push(StreamMessage{"id\"with quote", "ev\\ent", "[1,\"two\"]"});
  for (int i = 1; i <= 50; ++i) {
    std::optional<StreamEvent> e = ws.Next(5000);
    ASSERT_TRUE(e.has_value()) << "message " << i;
    EXPECT_EQ(e->id, std::to_string(i));
    EXPECT_EQ(e->event, "message");
    EXPECT_EQ(e->json(), (Json{{"n", i}, {"nested", {{"a", {1, 2}}}}}));
  }
  std::optional<StreamEvent> odd = ws.Next(5000);
  ASSERT_TRUE(odd.has_value());
  EXPECT_EQ(odd->id, "id\"with quote") << "id and event are escaped";
  EXPECT_EQ(odd->event, "ev\\ent");
  EXPECT_EQ(odd->json(), Json::parse("[1,\"two\"]")) << "data is spliced in as JSON";
  // What the client sends is read and discarded; the stream goes on.
  ASSERT_TRUE(ws.Send("hello?"));
  stream->Push(Msg("51", "message", Json{{"n", 51}}));
  std::optional<StreamEvent> after = ws.Next(5000);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->id, "51");
  EXPECT_TRUE(MetricsHave("lens_stream_connections{transport=\"websocket\"} 1"));
  ws.Close();
  EXPECT_TRUE(stream->WaitStopped(5000));
  EXPECT_TRUE(WaitFor([&] { return MetricsHave("lens_stream_connections{transport=\"websocket\"} 0"); },
                      5000));
  EXPECT_TRUE(MetricsHave("lens_stream_closed_total{reason=\"client_closed\"} 1"));
}

TEST_F(HttpServerTest, SseHeartbeatWhenIdle) {
  HttpServerOptions o;
  o.stream_heartbeat = absl::Milliseconds(150);
  Start(o);
  SseClient sse(server_->port());
  ASSERT_EQ(sse.Connect("/stream"), 200);
  EXPECT_FALSE(sse.Next(1000).has_value());
  EXPECT_GE(sse.keepalives(), 3) << "about one per 150 ms of silence";
  EXPECT_LE(sse.keepalives(), 8);
  EXPECT_FALSE(sse.closed());
  StreamAt(0)->Push(Msg("1", "x", Json{{"ok", true}}));
  std::optional<StreamEvent> e = sse.Next(5000);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->id, "1");
}

TEST_F(HttpServerTest, SlowConsumerIsClosedWhileOthersKeepBeingServed) {
  HttpServerOptions o;
  o.stream_queue_messages = 4;
  o.stream_send_buffer_bytes = 4096;
  Start(o);
  SseClient fast(server_->port());
  ASSERT_EQ(fast.Connect("/stream"), 200);
  std::shared_ptr<TestStream> fast_stream = StreamAt(0);
  // Never reads, with a tiny receive window: the server's socket fills up
  // after a few KiB, then its queue.
  SseClient slow(server_->port(), {.receive_buffer_bytes = 4096});
  ASSERT_TRUE(slow.SendRequestOnly("/stream"));
  std::shared_ptr<TestStream> slow_stream = StreamAt(1);
  ASSERT_NE(slow_stream, nullptr);
  const Json payload = std::string(4000, 'x');
  int pushed = 0;
  auto t0 = Clock::now();
  while (slow_stream->stops() == 0 && Clock::now() - t0 < std::chrono::seconds(15)) {
    slow_stream->Push(Msg(std::to_string(++pushed), "bulk", payload));
    if (pushed % 10 == 0) {
      // The other client is served all along.
      fast_stream->Push(Msg(std::to_string(pushed), "tick", Json{{"n", pushed}}));
      std::optional<StreamEvent> e = fast.Next(5000);
      ASSERT_TRUE(e.has_value()) << "after " << pushed;
      EXPECT_EQ(e->id, std::to_string(pushed));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  ASSERT_EQ(slow_stream->stops(), 1) << "not detected after " << pushed << " messages";
  // Only a few messages fit in the kernel buffers and the 4-message queue.
  EXPECT_LT(pushed, 200);
  EXPECT_TRUE(MetricsHave("lens_stream_closed_total{reason=\"slow_consumer\"} 1"));
  // Its connection is gone once the final event is out or after 5 s.
  EXPECT_TRUE(WaitFor([&] { return MetricsHave("lens_stream_connections{transport=\"sse\"} 1"); },
                      8000));
  for (int i = 0; i < 20; ++i) {
    fast_stream->Push(Msg("after-" + std::to_string(i), "tick", Json{{"i", i}}));
    std::optional<StreamEvent> e = fast.Next(5000);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->id, "after-" + std::to_string(i));
  }
  EXPECT_EQ(fast_stream->stops(), 0);
  EXPECT_TRUE(MetricsHave("lens_stream_closed_total{reason=\"slow_consumer\"} 1"));
}

TEST_F(HttpServerTest, SlowWebSocketConsumerIsClosedWithAReasonWhileOthersKeepBeingServed) {
  HttpServerOptions o;
  o.stream_queue_messages = 4;
  o.stream_send_buffer_bytes = 4096;
  Start(o);
  WsClient fast(server_->port());
  ASSERT_TRUE(fast.Connect("/stream")) << fast.status();
  std::shared_ptr<TestStream> fast_stream = StreamAt(0);
  // Connected, then never read from (its io_context does not run) with a
  // tiny receive window, until the server gives up on it.
  WsClient slow(server_->port(), {.receive_buffer_bytes = 4096});
  ASSERT_TRUE(slow.Connect("/stream")) << slow.status();
  std::shared_ptr<TestStream> slow_stream = StreamAt(1);
  ASSERT_NE(slow_stream, nullptr);
  const Json payload = std::string(4000, 'x');
  int pushed = 0;
  auto t0 = Clock::now();
  while (slow_stream->stops() == 0 && Clock::now() - t0 < std::chrono::seconds(15)) {
    slow_stream->Push(Msg(std::to_string(++pushed), "bulk", payload));
    if (pushed % 10 == 0) {
      fast_stream->Push(Msg(std::to_string(pushed), "tick", Json{{"n", pushed}}));
      std::optional<StreamEvent> e = fast.Next(5000);
      ASSERT_TRUE(e.has_value()) << "after " << pushed;
      EXPECT_EQ(e->id, std::to_string(pushed));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  ASSERT_EQ(slow_stream->stops(), 1) << "not detected after " << pushed << " messages";
  EXPECT_LT(pushed, 200) << "only a few messages fit in the kernel buffers and the queue";
  EXPECT_TRUE(MetricsHave("lens_stream_closed_total{reason=\"slow_consumer\"} 1"));
  // Once it reads again, it gets what was already queued, in order, then a
  // close frame that says why (1008 policy error, "slow_consumer").
  int received = 0;
  while (std::optional<StreamEvent> e = slow.Next(8000)) {
    ++received;
    EXPECT_EQ(e->id, std::to_string(received)) << "no gaps and no reordering before the close";
  }
  ASSERT_TRUE(slow.closed());
  EXPECT_EQ(slow.close_code(), 1008);
  EXPECT_EQ(slow.close_reason(), "slow_consumer");
  EXPECT_GE(received, 1) << "what was queued before the verdict is still delivered";
  EXPECT_TRUE(WaitFor(
      [&] { return MetricsHave("lens_stream_connections{transport=\"websocket\"} 1"); }, 8000));
  for (int i = 0; i < 20; ++i) {
    fast_stream->Push(Msg("after-" + std::to_string(i), "tick", Json{{"i", i}}));
    std::optional<StreamEvent> e = fast.Next(5000);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->id, "after-" + std::to_string(i));
  }
  EXPECT_EQ(fast_stream->stops(), 0);
  EXPECT_TRUE(MetricsHave("lens_stream_closed_total{reason=\"slow_consumer\"} 1"));
}

TEST_F(HttpServerTest, DeadlineEndsTheStreamWithTokenExpired) {
  Start({});
  SseClient sse(server_->port());
  ASSERT_EQ(sse.Connect("/stream?ttl_ms=400"), 200);
  StreamAt(0)->Push(Msg("1", "x", Json{{"n", 1}}));
  std::optional<StreamEvent> first = sse.Next(5000);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->id, "1");
  std::optional<StreamEvent> end = sse.Next(5000);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->event, "error");
  EXPECT_EQ(end->error_code(), "token_expired");
  EXPECT_TRUE(sse.WaitClosed(3000)) << "the server closes after the error event";
  EXPECT_TRUE(StreamAt(0)->WaitStopped(1000));

  WsClient ws(server_->port());
  ASSERT_TRUE(ws.Connect("/stream?ttl_ms=400"));
  EXPECT_TRUE(ws.WaitClosed(5000));
  EXPECT_EQ(ws.close_code(), 1008);
  EXPECT_EQ(ws.close_reason(), "token_expired");
  EXPECT_TRUE(StreamAt(1)->WaitStopped(2000));
  EXPECT_TRUE(MetricsHave("lens_stream_closed_total{reason=\"token_expired\"} 2"));
}

TEST_F(HttpServerTest, PollErrorEndsTheStreamWithStreamFailed) {
  Start({});
  SseClient sse(server_->port());
  ASSERT_EQ(sse.Connect("/stream"), 200);
  StreamAt(0)->Fail(absl::InternalError("disk on fire"));
  std::optional<StreamEvent> end = sse.Next(5000);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->event, "error");
  EXPECT_EQ(end->error_code(), "stream_failed");
  EXPECT_EQ(end->data.find("disk"), std::string::npos) << "internals stay in the log";
  EXPECT_TRUE(sse.WaitClosed(3000));

  WsClient ws(server_->port());
  ASSERT_TRUE(ws.Connect("/stream"));
  StreamAt(1)->Fail(absl::InternalError("disk on fire"));
  EXPECT_TRUE(ws.WaitClosed(5000));
  EXPECT_EQ(ws.close_code(), 1011);
  EXPECT_EQ(ws.close_reason(), "stream_failed");
  EXPECT_TRUE(MetricsHave("lens_stream_closed_total{reason=\"stream_failed\"} 2"));
}

TEST_F(HttpServerTest, HandlerErrorOnAnUpgradeRequestIsAPlainHttpAnswer) {
  Start({});
  WsClient refused(server_->port());
  EXPECT_FALSE(refused.Connect("/stream", {Bearer("bad")}));
  EXPECT_EQ(refused.status(), 401);
  EXPECT_EQ(refused.error_code(), "unauthenticated");
  EXPECT_FALSE(refused.header("x-request-id").empty());
  // A non-stream answer to an upgrade request is an ordinary response.
  WsClient ping(server_->port());
  EXPECT_FALSE(ping.Connect("/ping"));
  EXPECT_EQ(ping.status(), 200);
  EXPECT_EQ(Json::parse(ping.body(), nullptr, false), (Json{{"pong", true}}));
  // An error status with a stream attached is the error, and the stream is
  // stopped without being started.
  WsClient forbidden(server_->port());
  EXPECT_FALSE(forbidden.Connect("/stream-refused"));
  EXPECT_EQ(forbidden.status(), 403);
  SseClient sse(server_->port());
  EXPECT_EQ(sse.Connect("/stream-refused"), 403);
  EXPECT_EQ(sse.error_code(), "forbidden");
  ASSERT_EQ(StreamCount(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(StreamAt(i)->WaitStopped(2000));
    EXPECT_EQ(StreamAt(i)->starts(), 0);
  }
  HttpClient c(server_->port());
  EXPECT_EQ(c.Get("/ping").status, 200);
  EXPECT_TRUE(MetricsHave("lens_stream_connections{transport=\"websocket\"} 0"));
}

TEST_F(HttpServerTest, NonStreamRequestsWorkAlongsideStreams) {
  Start({});
  SseClient sse(server_->port());
  ASSERT_EQ(sse.Connect("/stream"), 200);
  WsClient ws(server_->port());
  ASSERT_TRUE(ws.Connect("/stream"));
  HttpClient c(server_->port());
  for (int i = 0; i < 20; ++i) ASSERT_EQ(c.Get("/ping").status, 200);
  EXPECT_EQ(c.Post("/echo", "{\"a\":1}").body, "{\"a\":1}");
  EXPECT_TRUE(MetricsHave("lens_stream_connections{transport=\"sse\"} 1"));
  EXPECT_TRUE(MetricsHave("lens_stream_connections{transport=\"websocket\"} 1"));
  StreamAt(0)->Push(Msg("1", "x", Json{{"to", "sse"}}));
  StreamAt(1)->Push(Msg("1", "x", Json{{"to", "ws"}}));
  std::optional<StreamEvent> a = sse.Next(5000);
  std::optional<StreamEvent> b = ws.Next(5000);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->json()["to"], "sse");
  EXPECT_EQ(b->json()["to"], "ws");
  // A client that leaves ends its stream.
  sse.Close();
  EXPECT_TRUE(StreamAt(0)->WaitStopped(5000));
  EXPECT_TRUE(WaitFor([&] { return MetricsHave("lens_stream_connections{transport=\"sse\"} 0"); },
                      5000));
  EXPECT_TRUE(MetricsHave("lens_stream_closed_total{reason=\"client_closed\"} 1"));
  EXPECT_EQ(c.Get("/ping").status, 200);
}

TEST_F(HttpServerTest, StreamsCountAgainstMaxConnections) {
  HttpServerOptions o;
  o.max_connections = 2;
  Start(o);
  SseClient a(server_->port()), b(server_->port());
  ASSERT_EQ(a.Connect("/stream"), 200);
  ASSERT_EQ(b.Connect("/stream"), 200);
  HttpClient extra(server_->port());
  EXPECT_EQ(extra.Get("/ping").status, 503);
  a.Close();
  ASSERT_TRUE(StreamAt(0)->WaitStopped(5000));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  HttpClient later(server_->port());
  EXPECT_EQ(later.Get("/ping").status, 200);
}

TEST_F(HttpServerTest, StopClosesOpenStreamsPromptly) {
  Start({});  // the default 10 s grace: streams must not wait for it
  SseClient sse1(server_->port()), sse2(server_->port());
  ASSERT_EQ(sse1.Connect("/stream"), 200);
  ASSERT_EQ(sse2.Connect("/stream"), 200);
  WsClient ws(server_->port());
  ASSERT_TRUE(ws.Connect("/stream"));
  ASSERT_EQ(StreamCount(), 3u);
  for (size_t i = 0; i < 3; ++i) StreamAt(i)->Push(Msg("1", "x", Json{{"i", i}}));
  ASSERT_TRUE(sse1.Next(5000).has_value());
  ASSERT_TRUE(sse2.Next(5000).has_value());
  ASSERT_TRUE(ws.Next(5000).has_value());
  // The WebSocket client keeps reading, as a real one would, and so sees
  // the close frame.
  std::thread reader([&] { ws.WaitClosed(5000); });
  auto t0 = Clock::now();
  server_->Stop();
  auto elapsed = Clock::now() - t0;
  reader.join();
  EXPECT_LT(elapsed, std::chrono::milliseconds(2500));
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(StreamAt(i)->stops(), 1) << "stream " << i;
  EXPECT_TRUE(sse1.WaitClosed(1000));
  EXPECT_TRUE(sse2.WaitClosed(1000));
  EXPECT_TRUE(ws.closed());
  EXPECT_EQ(ws.close_code(), 1001);
  EXPECT_EQ(ws.close_reason(), "server_stopping");
  EXPECT_TRUE(MetricsHave("lens_stream_closed_total{reason=\"server_stopping\"} 3"));
  EXPECT_TRUE(MetricsHave("lens_stream_connections{transport=\"sse\"} 0"));
}

}  // namespace
}  // namespace lens::testing
