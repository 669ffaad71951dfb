#include "http/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <deque>
#include <list>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "base/json.h"
#include "base/log.h"
#include "base/thread_name.h"
#include "http/event_stream.h"

namespace lens {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Splits the request target into a decoded path and query parameters.
bool ParseTarget(std::string_view target, HttpRequest* req) {
  if (target.empty() || target[0] != '/') return false;
  size_t q = target.find('?');
  auto path = PercentDecode(target.substr(0, q), false);
  if (!path || path->find('\0') != std::string::npos) return false;
  req->path = std::move(*path);
  if (q == std::string_view::npos) return true;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto k = PercentDecode(pair.substr(0, eq), true);
    auto v = PercentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1),
                           true);
    if (!k || !v) return false;
    req->query.emplace_back(std::move(*k), std::move(*v));
  }
  return true;
}

bool ValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.'))
      return false;
  return true;
}

std::string NewRequestId() {
  thread_local std::mt19937_64 rng(std::random_device{}() ^
                                   std::hash<std::thread::id>()(std::this_thread::get_id()));
  static const char* kHex = "0123456789abcdef";
  uint64_t a = rng(), b = rng();
  std::string s(32, '0');
  for (int i = 0; i < 16; ++i) {
    s[i] = kHex[(a >> (i * 4)) & 0xf];
    s[16 + i] = kHex[(b >> (i * 4)) & 0xf];
  }
  return s;
}

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return std::chrono::microseconds(absl::ToInt64Microseconds(d));
}

// Why a live stream ended: the `reason` label of lens_stream_closed_total
// and of the stream's access log line.
enum class StreamEnd { kClientClosed, kSlowConsumer, kTokenExpired, kServerStopping, kStreamFailed };
constexpr size_t kStreamEndCount = 5;

const char* StreamEndName(StreamEnd e) {
  switch (e) {
    case StreamEnd::kClientClosed:
      return "client_closed";
    case StreamEnd::kSlowConsumer:
      return "slow_consumer";
    case StreamEnd::kTokenExpired:
      return "token_expired";
    case StreamEnd::kServerStopping:
      return "server_stopping";
    case StreamEnd::kStreamFailed:
      return "stream_failed";
  }
  return "unknown";
}

// The final message a client gets when the server ends its stream.
const char* StreamEndMessage(StreamEnd e) {
  switch (e) {
    case StreamEnd::kSlowConsumer:
      return "the client is not reading fast enough; reconnect with Last-Event-ID";
    case StreamEnd::kTokenExpired:
      return "the access token expired; reconnect with a fresh token and Last-Event-ID";
    case StreamEnd::kStreamFailed:
      return "the stream failed; reconnect with Last-Event-ID";
    default:
      return "the stream ended";
  }
}

websocket::close_code StreamEndCloseCode(StreamEnd e) {
  switch (e) {
    case StreamEnd::kServerStopping:
      return websocket::close_code::going_away;
    case StreamEnd::kStreamFailed:
      return websocket::close_code::internal_error;
    default:
      return websocket::close_code::policy_error;
  }
}

// Appends `s` without CR/LF: one SSE field or header value must stay on one
// line whatever a handler put in it.
void AppendOneLine(std::string& out, std::string_view s) {
  for (char c : s)
    if (c != '\r' && c != '\n') out.push_back(c);
}

// id/event/data as one SSE event. `data` is one JSON document; a newline in
// it would end the field early, so each line becomes its own data: field
// (the client joins them back with newlines).
std::string SseEvent(const StreamMessage& m) {
  std::string out;
  out.reserve(m.id.size() + m.event.size() + m.data.size() + 32);
  if (!m.id.empty()) {
    out += "id: ";
    AppendOneLine(out, m.id);
    out += '\n';
  }
  if (!m.event.empty()) {
    out += "event: ";
    AppendOneLine(out, m.event);
    out += '\n';
  }
  out += "data: ";
  for (char c : m.data) {
    if (c == '\n')
      out += "\ndata: ";
    else if (c != '\r')
      out.push_back(c);
  }
  out += "\n\n";
  return out;
}

std::string SseError(StreamEnd e) {
  Json body = {{"error", {{"code", StreamEndName(e)}, {"message", StreamEndMessage(e)}}}};
  return "event: error\ndata: " + DumpJson(body) + "\n\n";
}

// {"id":..,"event":..,"data":<data>}: `data` is already a JSON document and
// is spliced in as it is, not escaped a second time.
std::string WebSocketPayload(const StreamMessage& m) {
  std::string out;
  out.reserve(m.id.size() + m.event.size() + m.data.size() + 32);
  out += "{\"id\":";
  out += DumpJson(Json(m.id));
  out += ",\"event\":";
  out += DumpJson(Json(m.event));
  out += ",\"data\":";
  out += m.data.empty() ? std::string_view("null") : std::string_view(m.data);
  out += '}';
  return out;
}

// A handler header that may go into a stream's response head: a token name,
// a one-line value, and none of the fields the server owns for streams.
bool StreamHeaderAllowed(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  if (value.find_first_of("\r\n", 0) != std::string_view::npos ||
      value.find('\0') != std::string_view::npos)
    return false;
  for (const char* owned : {"content-type", "content-length", "transfer-encoding",
                                 "connection", "upgrade", "sec-websocket-accept"})
    if (beast::iequals(beast::string_view(name.data(), name.size()), owned)) return false;
  return true;
}

}  // namespace

class Session;
class StreamSession;

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, const Router* router, MetricsRegistry* metrics)
      : options_(std::move(options)),
        router_(router),
        metrics_(metrics),
        ioc_(options_.io_threads),
        work_(ioc_.get_executor()),
        acceptor_(ioc_),
        workers_(static_cast<size_t>(options_.worker_threads)) {}

  absl::Status Start();
  void Stop(absl::Duration grace);
  uint16_t port() const { return port_; }

  // Runs the handler for one request (on a worker thread).
  HttpResponse Handle(HttpRequest& req);
  void Register(const std::shared_ptr<Session>& s);
  void Unregister(Session* s);
  // False once Stop has begun: the caller must end the stream itself. The
  // check and the insertion share Stop's lock, so a stream either sees the
  // stop or is in the list Stop closes.
  bool RegisterStream(const std::shared_ptr<StreamSession>& s);
  void UnregisterStream(StreamSession* s);
  void CountStreamClosed(StreamEnd reason) {
    if (Counter* c = stream_closed_[static_cast<size_t>(reason)]) c->Inc();
  }

  // Open stream connections by transport, for the gauge. Shared with the
  // gauge callback, which the registry may call after the server is gone.
  struct StreamGauges {
    std::atomic<int64_t> sse{0};
    std::atomic<int64_t> websocket{0};
  };

  const HttpServerOptions options_;
  const Router* router_;
  MetricsRegistry* metrics_;

  // What a session touches as it dies. Declared before the io_context and
  // the worker pool: handlers they still hold when destroyed own sessions,
  // whose destructors need these alive.
  std::atomic<size_t> connections_{0};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> stream_sessions_{0};  // StreamSession objects alive
  std::atomic<bool> stopping_{false};
  std::shared_ptr<StreamGauges> stream_gauges_ = std::make_shared<StreamGauges>();
  std::array<Counter*, kStreamEndCount> stream_closed_{};  // by StreamEnd; null without metrics
  absl::Mutex sessions_mu_;
  std::list<std::weak_ptr<Session>> sessions_ ABSL_GUARDED_BY(sessions_mu_);
  std::list<std::weak_ptr<StreamSession>> streams_ ABSL_GUARDED_BY(sessions_mu_);

  net::io_context ioc_;
  // Keeps the io threads running while a request is on the worker pool and
  // no socket operation is pending (its answer still has to be written).
  net::executor_work_guard<net::io_context::executor_type> work_;
  tcp::acceptor acceptor_;
  net::thread_pool workers_;
  std::vector<std::thread> io_threads_;
  bool started_ = false;
  bool stopped_ = false;
  uint16_t port_ = 0;

 private:
  void DoAccept();
};

// One live stream: the connection after a handler answered with an
// EventStream. Owns the socket (plain for SSE, wrapped in a WebSocket for
// WebSocket) and pulls messages from the stream into a bounded queue that
// the writer drains.
//
// Everything but the Start/Poll calls runs on the connection's strand.
// Start and Poll run on the worker pool, one at a time (`polling_`), never
// while the queue is full except for the one-message probe that tells a
// slow consumer from a client that is merely between reads. Pending async
// operations and queued polls each hold a shared_ptr to the session, so it
// lives until the last of them has run.
class StreamSession : public std::enable_shared_from_this<StreamSession> {
 public:
  using Clock = std::chrono::steady_clock;

  // `upgrade` is set for a WebSocket: the request to accept.
  StreamSession(beast::tcp_stream&& tcp, HttpServer::Impl* server,
                std::shared_ptr<EventStream> source, std::string request_id,
                std::vector<std::pair<std::string, std::string>> headers,
                std::optional<http::request<http::string_body>> upgrade)
      : server_(server),
        strand_(tcp.get_executor()),
        source_(std::move(source)),
        request_id_(std::move(request_id)),
        headers_(std::move(headers)),
        upgrade_(std::move(upgrade)),
        timer_(strand_) {
    if (upgrade_)
      ws_.emplace(std::move(tcp));
    else
      sse_.emplace(std::move(tcp));
    server_->stream_sessions_.fetch_add(1);
    std::chrono::steady_clock::time_point now = Clock::now();
    last_write_ = now;
    absl::Time deadline = source_->deadline();
    if (deadline != absl::InfiniteFuture())
      deadline_ = now + ToChrono(std::max(deadline - absl::Now(), absl::ZeroDuration()));
  }

  ~StreamSession() {
    // Normally the stream was stopped when the connection ended; this is for
    // a session whose handlers were dropped by a stopped io_context.
    if (!source_stopped_) source_->Stop();
    if (open_ && !closed_) GaugeOf().fetch_sub(1);
    server_->UnregisterStream(this);
    server_->connections_.fetch_sub(1);
    server_->stream_sessions_.fetch_sub(1);
  }

  // On the strand.
  void Run() {
    beast::error_code ec;
    if (size_t bytes = server_->options_.stream_send_buffer_bytes; bytes > 0)
      Socket().set_option(net::socket_base::send_buffer_size(static_cast<int>(bytes)), ec);
    if (!server_->RegisterStream(shared_from_this())) return Finish(StreamEnd::kServerStopping);
    if (ws_) return Handshake();
    sse_->expires_never();  // the request's read timeout must not cut the stream
    // The body is delimited by closing the connection: no Content-Length,
    // no chunking, nothing for a buffering proxy to hold back.
    std::string head =
        "HTTP/1.1 200 OK\r\nServer: lens\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
        "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\nConnection: close\r\n";
    for (const auto& [k, v] : headers_)
      if (StreamHeaderAllowed(k, v)) head += k + ": " + v + "\r\n";
    head += "\r\n: connected\nretry: 3000\n\n";
    headers_ = {};
    queue_.push_back({std::move(head), false});
    Open();
  }

  // Ends the stream from any thread (the server is stopping).
  void Close() {
    net::post(strand_, [self = shared_from_this()] { self->Finish(StreamEnd::kServerStopping); });
  }

  std::list<std::weak_ptr<StreamSession>>::iterator registry_pos;

 private:
  struct Outbound {
    std::string bytes;  // SSE: the encoded event; WebSocket: the frame's payload
    bool message;       // a StreamMessage (counts against the queue), not a comment
  };

  tcp::socket& Socket() {
    return sse_ ? sse_->socket() : beast::get_lowest_layer(*ws_).socket();
  }
  std::atomic<int64_t>& GaugeOf() {
    return sse_ ? server_->stream_gauges_->sse : server_->stream_gauges_->websocket;
  }
  const char* TransportName() const { return sse_ ? "sse" : "websocket"; }
  size_t Capacity() const { return std::max<size_t>(1, server_->options_.stream_queue_messages); }

  void Handshake() {
    websocket::stream<beast::tcp_stream>& ws = *ws_;
    // The WebSocket layer keeps its own timeouts (handshake, idle with
    // pings); the tcp_stream's would cut a quiet stream.
    beast::get_lowest_layer(ws).expires_never();
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    // A ping after one heartbeat of silence from the peer, closed after two:
    // proxies drop idle connections long before the suggested 300 s.
    timeouts.idle_timeout = std::max<std::chrono::steady_clock::duration>(
        ToChrono(2 * server_->options_.stream_heartbeat), std::chrono::milliseconds(100));
    ws.set_option(timeouts);
    ws.read_message_max(4096);  // clients have nothing to say on this stream
    ws.auto_fragment(false);    // one message, one frame
    ws.set_option(websocket::stream_base::decorator(
        [headers = std::move(headers_)](websocket::response_type& res) {
          res.set(http::field::server, "lens");
          for (const auto& [k, v] : headers)
            if (StreamHeaderAllowed(k, v)) res.set(k, v);
        }));
    headers_ = {};
    ws.async_accept(*upgrade_, [self = shared_from_this()](beast::error_code ec) {
      self->upgrade_.reset();
      // The decorator held the handler's headers; they are written.
      self->ws_->set_option(websocket::stream_base::decorator([](websocket::response_type&) {}));
      if (self->closed_) return;
      if (ec) {
        if (self->server_->options_.access_log)
          LogInfo("websocket handshake failed",
                  {{"request_id", self->request_id_}, {"error", ec.message()}});
        return self->Finish(StreamEnd::kClientClosed);
      }
      if (self->ending_) return self->CloseNow(false);
      self->ws_->text(true);
      self->Open();
    });
  }

  // The stream is established (SSE head queued, or WebSocket accepted).
  void Open() {
    open_ = true;
    opened_at_ = Clock::now();
    last_write_ = opened_at_;
    GaugeOf().fetch_add(1);
    Read();
    ArmTick();
    Pump();
    MaybePoll();  // the first poll starts the stream and sends its backlog
  }

  // A read stays pending for the whole stream: it is how a client that went
  // away is noticed without writing, and on a WebSocket it is what answers
  // pings and the close handshake. Whatever the client sends is discarded.
  void Read() {
    if (sse_) {
      sse_->async_read_some(net::buffer(sse_read_buf_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (self->closed_) return;
                              if (ec) return self->ClientGone();
                              self->Read();
                            });
      return;
    }
    ws_->async_read(ws_read_buf_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (self->closed_) return;
      if (ec) return self->ClientGone();
      self->ws_read_buf_.clear();
      self->ws_read_buf_.shrink_to_fit();  // idle streams keep no read buffer
      self->Read();
    });
  }

  void ClientGone() {
    if (ending_) return CloseNow(false);
    Finish(StreamEnd::kClientClosed);
  }

  // --- the pull loop ---------------------------------------------------

  // The stream's wake: cheap and callable from any thread. A wake while one
  // is pending is dropped: the pending one will make the strand look.
  std::function<void()> MakeWake() {
    return [weak = weak_from_this()] {
      std::shared_ptr<StreamSession> self = weak.lock();
      if (!self || self->wake_pending_.exchange(true)) return;
      net::post(self->strand_, [self] { self->MaybePoll(); });
    };
  }

  // Polls when there is a reason (a wake, or a last poll that filled its
  // quota) and room; with the queue full, a wake buys a one-message probe.
  // Invariant: while `wake_pending_` is set, a MaybePoll is posted, a poll
  // is running (OnPolled calls MaybePoll) or the stream is ending.
  void MaybePoll() {
    if (!open_ || ending_ || polling_) return;
    size_t queued = queued_messages_;
    if (queued >= Capacity()) {
      if (wake_pending_.exchange(false)) SchedulePoll(1, /*probe=*/true);
      return;  // a full poll quota waits for room
    }
    bool woken = wake_pending_.exchange(false);
    if (!woken && !more_) return;
    more_ = false;
    SchedulePoll(Capacity() - queued, /*probe=*/false);
  }

  void SchedulePoll(size_t max, bool probe) {
    polling_ = true;
    std::function<void()> wake;
    if (!start_requested_) {
      start_requested_ = true;
      wake = MakeWake();
    }
    net::post(server_->workers_, [self = shared_from_this(), max, probe,
                                  wake = std::move(wake)]() mutable {
      absl::StatusOr<std::vector<StreamMessage>> got;
      try {
        if (wake) self->source_->Start(std::move(wake));
        got = self->source_->Poll(max);
      } catch (const std::exception& e) {
        got = absl::InternalError(std::string("event stream threw: ") + e.what());
      }
      net::post(self->strand_, [self, max, probe, got = std::move(got)]() mutable {
        self->OnPolled(max, probe, std::move(got));
      });
    });
  }

  void OnPolled(size_t max, bool probe, absl::StatusOr<std::vector<StreamMessage>> got) {
    polling_ = false;
    if (ending_) return StopSourceIfIdle();
    if (!got.ok()) {
      LogWarn("event stream failed",
              {{"request_id", request_id_}, {"error", std::string(got.status().message())}});
      return Finish(StreamEnd::kStreamFailed);
    }
    if (probe) {
      // The queue was full and the stream has more: this client is not
      // keeping up, and buffering for it is what the cap forbids.
      if (!got->empty()) return Finish(StreamEnd::kSlowConsumer);
      return MaybePoll();
    }
    more_ = got->size() >= max;
    for (StreamMessage& m : *got) {
      queue_.push_back({sse_ ? SseEvent(m) : WebSocketPayload(m), true});
      ++queued_messages_;
    }
    Pump();
    MaybePoll();
  }

  // Stop is called once, and never while a Start or Poll is running.
  void StopSourceIfIdle() {
    if (source_stopped_ || polling_ || !ending_) return;
    source_stopped_ = true;
    source_->Stop();
  }

  // --- writing ---------------------------------------------------------

  void Pump() {
    if (closed_ || writing_ > 0) return;
    if (queue_.empty()) {
      if (ending_) FinishWrites();
      return;
    }
    write_started_ = Clock::now();
    if (sse_) {
      // Everything queued (within reason) in one gathered write.
      std::vector<net::const_buffer> buffers;
      size_t bytes = 0;
      for (const Outbound& o : queue_) {
        if (buffers.size() >= 64 || bytes >= (64u << 10)) break;
        buffers.push_back(net::buffer(o.bytes));
        bytes += o.bytes.size();
      }
      writing_ = buffers.size();
      net::async_write(*sse_, buffers,
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         self->OnWritten(ec);
                       });
      return;
    }
    writing_ = 1;
    ws_->async_write(net::buffer(queue_.front().bytes),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->OnWritten(ec);
                     });
  }

  void OnWritten(beast::error_code ec) {
    size_t written = writing_;
    writing_ = 0;
    if (closed_) return;
    if (ec) return ClientGone();
    last_write_ = Clock::now();
    for (size_t i = 0; i < written && !queue_.empty(); ++i) {
      if (queue_.front().message) {
        --queued_messages_;
        ++messages_sent_;
      }
      queue_.pop_front();
    }
    Pump();
    MaybePoll();
  }

  // The stream is ending and everything queued is written.
  void FinishWrites() {
    if (sse_) return CloseNow(false);  // the final event, if any, is out
    if (close_sent_) return;
    close_sent_ = true;
    websocket::close_reason reason(StreamEndCloseCode(reason_), StreamEndName(reason_));
    ws_->async_close(reason,
                     [self = shared_from_this()](beast::error_code) { self->CloseNow(false); });
  }

  // --- ending ----------------------------------------------------------

  // Decides that the stream ends, once: stops the source, queues the final
  // message (SSE error event; WebSocket close frame after the queue) and
  // gives it a bounded time to go out.
  void Finish(StreamEnd reason) {
    if (ending_ || closed_) return;
    ending_ = true;
    reason_ = reason;
    StopSourceIfIdle();
    if (!open_) return CloseNow(false);
    server_->CountStreamClosed(reason);
    absl::Duration linger = absl::Seconds(5);
    switch (reason) {
      case StreamEnd::kClientClosed:
        return CloseNow(false);
      case StreamEnd::kServerStopping:
        // SSE clients reconnect on their own; a WebSocket gets a close
        // frame, but Stop waits for no one.
        if (sse_) return CloseNow(false);
        DropUnsent();
        linger = absl::Seconds(1);
        break;
      default:
        if (sse_) queue_.push_back({SseError(reason), false});
        break;
    }
    ArmTimer(Clock::now() + ToChrono(linger));
    Pump();
  }

  // Drops the queued messages no write holds: the client resumes from its
  // Last-Event-ID.
  void DropUnsent() {
    while (queue_.size() > writing_) {
      if (queue_.back().message) --queued_messages_;
      queue_.pop_back();
    }
  }

  // Closes the socket now. `abortive`: reset instead of FIN, so that the
  // kernel does not keep trying to deliver to a client that is not reading.
  void CloseNow(bool abortive) {
    if (closed_) return;
    closed_ = true;
    ending_ = true;
    ++timer_gen_;
    timer_.cancel();
    beast::error_code ec;
    if (abortive) Socket().set_option(net::socket_base::linger(true, 0), ec);
    if (sse_)
      sse_->close();
    else
      beast::get_lowest_layer(*ws_).close();
    DropUnsent();  // what a pending write holds stays until its handler runs
    StopSourceIfIdle();
    if (!open_) return;
    GaugeOf().fetch_sub(1);
    if (server_->options_.access_log)
      LogInfo("stream closed",
              {{"request_id", request_id_},
               {"transport", TransportName()},
               {"reason", StreamEndName(reason_)},
               {"messages", messages_sent_},
               {"seconds",
                std::chrono::duration<double>(Clock::now() - opened_at_).count()}});
  }

  // --- timer: heartbeat, deadline, stuck writes, final-message linger ----

  void ArmTimer(Clock::time_point at) {
    uint64_t gen = ++timer_gen_;
    timer_.expires_at(at);
    // A handler already queued when the timer was re-armed still runs with
    // success: the generation tells it apart.
    timer_.async_wait([self = shared_from_this(), gen](beast::error_code ec) {
      if (ec || gen != self->timer_gen_ || self->closed_) return;
      self->OnTimer();
    });
  }

  void ArmTick() {
    Clock::time_point now = Clock::now();
    Clock::duration heartbeat = ToChrono(server_->options_.stream_heartbeat);
    Clock::time_point next;
    if (writing_ > 0)  // a write in progress: watch it for a stall
      next = std::min(now + heartbeat,
                      write_started_ + ToChrono(server_->options_.stream_write_timeout));
    else if (sse_)  // the next keepalive
      next = last_write_ + heartbeat;
    else  // WebSocket keepalive is Beast's pings
      next = now + heartbeat;
    if (deadline_) next = std::min(next, *deadline_);
    ArmTimer(std::max(next, now + std::chrono::milliseconds(10)));
  }

  void OnTimer() {
    if (ending_) return CloseNow(true);  // the final message did not go out in time
    Clock::time_point now = Clock::now();
    if (deadline_ && now >= *deadline_) return Finish(StreamEnd::kTokenExpired);
    if (writing_ > 0 && now - write_started_ >= ToChrono(server_->options_.stream_write_timeout))
      return Finish(StreamEnd::kSlowConsumer);
    if (sse_ && writing_ == 0 && queue_.empty() &&
        now - last_write_ >= ToChrono(server_->options_.stream_heartbeat)) {
      queue_.push_back({": keepalive\n\n", false});
      Pump();
    }
    ArmTick();
  }

  HttpServer::Impl* server_;
  net::any_io_executor strand_;
  std::optional<beast::tcp_stream> sse_;                        // set for SSE
  std::optional<websocket::stream<beast::tcp_stream>> ws_;      // set for WebSocket
  std::shared_ptr<EventStream> source_;
  std::string request_id_;
  std::vector<std::pair<std::string, std::string>> headers_;    // until the head is written
  std::optional<http::request<http::string_body>> upgrade_;     // until the handshake is done
  net::steady_timer timer_;
  uint64_t timer_gen_ = 0;
  std::array<char, 64> sse_read_buf_;
  beast::flat_buffer ws_read_buf_;

  std::deque<Outbound> queue_;  // front: being written or next
  size_t queued_messages_ = 0;  // Outbound::message entries in queue_
  size_t writing_ = 0;          // front entries a pending write holds
  std::atomic<bool> wake_pending_{true};  // true: the first poll needs no wake
  bool start_requested_ = false;
  bool polling_ = false;
  bool more_ = false;  // the last poll filled its quota: more may be ready
  bool source_stopped_ = false;
  bool open_ = false;  // established and counted in the gauge
  bool ending_ = false;
  bool closed_ = false;
  bool close_sent_ = false;
  StreamEnd reason_ = StreamEnd::kClientClosed;
  uint64_t messages_sent_ = 0;
  Clock::time_point opened_at_;
  Clock::time_point last_write_;
  Clock::time_point write_started_;
  std::optional<Clock::time_point> deadline_;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, HttpServer::Impl* server)
      : stream_(std::move(socket)), server_(server) {}
  ~Session() {
    server_->Unregister(this);
    // A stream took the socket over, and with it the connection count.
    if (!handed_off_) server_->connections_.fetch_sub(1);
  }

  void Run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::DoReadHeader, shared_from_this()));
  }

  // Closes the socket from any thread (used at shutdown).
  void Close() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->handed_off_) return;  // the StreamSession closes it
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      self->stream_.close();
    });
  }

  std::list<std::weak_ptr<Session>>::iterator registry_pos;

 private:
  void DoReadHeader() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(server_->options_.body_limit);
    if (buffer_.size() > 0) return ReadHeader();  // pipelined bytes already here
    // Waiting for the first byte of the next request is the idle timeout;
    // once it arrived, the whole request must come within the read timeout.
    stream_.expires_after(ToChrono(server_->options_.idle_timeout));
    stream_.async_read_some(
        buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, size_t n) {
          if (ec) return self->OnReadError(ec == net::error::eof ? http::error::end_of_stream : ec);
          self->buffer_.commit(n);
          self->ReadHeader();
        });
  }

  void ReadHeader() {
    stream_.expires_after(ToChrono(server_->options_.read_timeout));
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    if (over_capacity_) return SendError(503, "unavailable", "too many connections; retry shortly");
    auto& msg = parser_->get();
    if (auto len = parser_->content_length(); len && *len > server_->options_.body_limit)
      return SendError(
          413, "payload_too_large",
          "the body exceeds " + std::to_string(server_->options_.body_limit) + " bytes");
    auto expect = msg[http::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *cont,
                        [self = shared_from_this(), cont](beast::error_code ec, size_t) {
                          if (ec) return self->Shutdown();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit)
      return SendError(
          413, "payload_too_large",
          "the body exceeds " + std::to_string(server_->options_.body_limit) + " bytes");
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return SendError(431, "headers_too_large", "request headers exceed 16 KiB");
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof)
      return Shutdown();
    if (ec.category() == http::make_error_code(http::error::bad_target).category())
      return SendError(400, "bad_request", "malformed HTTP request: " + ec.message());
    Shutdown();
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    http::request<http::string_body> raw = parser_->release();
    auto req = std::make_shared<HttpRequest>();
    req->method = std::string(raw.method_string());
    req->target = std::string(raw.target());
    keep_alive_ = raw.keep_alive();
    for (const auto& f : raw) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req->headers.emplace_back(std::move(name), std::string(f.value()));
    }
    if (!ParseTarget(req->target, req.get()))
      return SendError(400, "bad_request", "malformed request target");
    req->body = std::move(raw.body());
    auto rid = req->Header("x-request-id");
    req->request_id = rid && ValidRequestId(*rid) ? std::string(*rid) : NewRequestId();
    // Kept for the handshake, should the handler answer with a stream: the
    // handler itself sees an ordinary request (with its Upgrade headers).
    if (websocket::is_upgrade(raw)) upgrade_ = std::move(raw);

    server_->in_flight_.fetch_add(1);
    if (!upgrade_ && server_->options_.run_inline && server_->options_.run_inline(*req)) {
      HttpResponse res = server_->Handle(*req);
      return OnHandled(std::move(res), std::move(req->request_id));
    }
    net::post(server_->workers_, [self = shared_from_this(), req] {
      static thread_local bool named = (SetCurrentThreadName("lens-worker"), true);
      (void)named;
      HttpResponse res = self->server_->Handle(*req);
      net::post(self->stream_.get_executor(),
                [self, res = std::move(res), rid = std::move(req->request_id)]() mutable {
                  self->OnHandled(std::move(res), std::move(rid));
                });
    });
  }

  void OnHandled(HttpResponse res, std::string request_id) {
    if (res.stream) {
      if (res.status == 200 && !server_->stopping_.load())
        return StartStream(std::move(res), std::move(request_id));
      // Not delivered as a stream; its source still gets its one Stop.
      res.stream->Stop();
      res.stream.reset();
      if (res.status == 200) {
        HttpResponse refused = HttpResponse::Error(503, "unavailable", "the server is stopping");
        refused.headers = std::move(res.headers);
        res = std::move(refused);
      }
    }
    upgrade_.reset();
    counted_in_flight_ = true;  // released once the answer is written
    Write(std::move(res));
  }

  // Hands the connection to a StreamSession. This session then has no
  // pending operation and dies with the caller's reference, and with it the
  // parser and the read buffer: an idle stream costs only its own state.
  void StartStream(HttpResponse res, std::string request_id) {
    // A stream is not an in-flight request: Stop closes it, it does not
    // wait for it.
    server_->in_flight_.fetch_sub(1);
    handed_off_ = true;
    server_->Unregister(this);
    parser_.reset();
    buffer_ = beast::flat_buffer();
    auto s = std::make_shared<StreamSession>(std::move(stream_), server_, std::move(res.stream),
                                             std::move(request_id), std::move(res.headers),
                                             std::move(upgrade_));
    upgrade_.reset();
    s->Run();
  }

  void SendError(int status, std::string code, std::string message) {
    keep_alive_ = false;  // the rest of the stream cannot be trusted
    drain_before_close_ = true;
    HttpResponse res = HttpResponse::Error(status, code, message);
    Write(std::move(res));
  }

  // A "lingering close": after refusing a request whose body is still
  // arriving, read and discard what the client sends (bounded in bytes and
  // time) so that closing does not reset the connection before the client
  // has read the error.
  void DrainAndClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(2));
    DrainSome();
  }
  void DrainSome() {
    auto buf = std::make_shared<std::array<char, 16384>>();
    stream_.async_read_some(net::buffer(*buf),
                            [self = shared_from_this(), buf](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > (64u << 20)) {
                                self->stream_.close();
                                self->server_->Unregister(self.get());
                                return;
                              }
                              self->DrainSome();
                            });
  }

  void Write(HttpResponse res) {
    if (server_->stopping_.load()) keep_alive_ = false;
    auto out = std::make_shared<http::response<http::string_body>>();
    out->version(11);
    out->result(static_cast<unsigned>(res.status));
    out->set(http::field::server, "lens");
    out->set(http::field::content_type, res.content_type);
    for (auto& [k, v] : res.headers) out->set(k, v);
    out->body() = std::move(res.body);
    out->keep_alive(keep_alive_);
    out->prepare_payload();
    stream_.expires_after(ToChrono(server_->options_.read_timeout));
    http::async_write(stream_, *out,
                      [self = shared_from_this(), out](beast::error_code ec, size_t) {
                        if (self->counted_in_flight_) {
                          self->counted_in_flight_ = false;
                          self->server_->in_flight_.fetch_sub(1);
                        }
                        if (!ec && self->drain_before_close_) return self->DrainAndClose();
                        if (ec || !self->keep_alive_) return self->Shutdown();
                        self->DoReadHeader();
                      });
  }

  void Shutdown() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
    server_->Unregister(this);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{64 * 1024};  // max size; headers are capped lower by the parser
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpServer::Impl* server_;
  bool keep_alive_ = true;
  bool drain_before_close_ = false;
  bool counted_in_flight_ = false;
  bool handed_off_ = false;  // the socket belongs to a StreamSession now
  size_t drained_ = 0;
  std::optional<http::request<http::string_body>> upgrade_;  // a WebSocket upgrade request

 public:
  bool over_capacity_ = false;  // answer 503 to the first request, then close
};

absl::Status HttpServer::Impl::Start() {
  beast::error_code ec;
  auto addr = net::ip::make_address(options_.address, ec);
  if (ec) return absl::InvalidArgumentError("bad listen address " + options_.address);
  tcp::endpoint ep(addr, options_.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return absl::UnavailableError("cannot listen on " + options_.address + ":" +
                                  std::to_string(options_.port) + ": " + ec.message());
  port_ = acceptor_.local_endpoint().port();
  if (metrics_ != nullptr) {
    metrics_->AddGauge("lens_stream_connections", "Open live-stream connections by transport",
                       [gauges = stream_gauges_] {
                         return std::vector<std::pair<MetricLabels, double>>{
                             {{{"transport", "sse"}}, static_cast<double>(gauges->sse.load())},
                             {{{"transport", "websocket"}},
                              static_cast<double>(gauges->websocket.load())}};
                       });
    // Every reason from the start, at 0, so that rates exist before the
    // first stream ends.
    for (size_t i = 0; i < kStreamEndCount; ++i)
      stream_closed_[i] = metrics_->GetCounter(
          "lens_stream_closed_total", "Live streams ended, by reason",
          {{"reason", StreamEndName(static_cast<StreamEnd>(i))}});
  }
  DoAccept();
  for (int i = 0; i < options_.io_threads; ++i)
    io_threads_.emplace_back([this] {
      SetCurrentThreadName("lens-http-io");
      ioc_.run();
    });
  started_ = true;
  return absl::OkStatus();
}

void HttpServer::Impl::DoAccept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
      LogWarn("accept failed", {{"error", ec.message()}});
    } else {
      // Over the cap, the connection still gets a short-lived session that
      // reads the request and answers 503: closing unread would reset it
      // before the client could read why.
      bool over = connections_.load() >= options_.max_connections;
      connections_.fetch_add(1);
      auto session = std::make_shared<Session>(std::move(socket), this);
      session->over_capacity_ = over;
      Register(session);
      session->Run();
    }
    if (!stopping_.load()) DoAccept();
  });
}

void HttpServer::Impl::Register(const std::shared_ptr<Session>& s) {
  absl::MutexLock lock(&sessions_mu_);
  sessions_.push_front(s);
  s->registry_pos = sessions_.begin();
}

void HttpServer::Impl::Unregister(Session* s) {
  absl::MutexLock lock(&sessions_mu_);
  if (s->registry_pos != std::list<std::weak_ptr<Session>>::iterator()) {
    sessions_.erase(s->registry_pos);
    s->registry_pos = {};
  }
}

bool HttpServer::Impl::RegisterStream(const std::shared_ptr<StreamSession>& s) {
  absl::MutexLock lock(&sessions_mu_);
  if (stopping_.load()) return false;
  streams_.push_front(s);
  s->registry_pos = streams_.begin();
  return true;
}

void HttpServer::Impl::UnregisterStream(StreamSession* s) {
  absl::MutexLock lock(&sessions_mu_);
  if (s->registry_pos != std::list<std::weak_ptr<StreamSession>>::iterator()) {
    streams_.erase(s->registry_pos);
    s->registry_pos = {};
  }
}

HttpResponse HttpServer::Impl::Handle(HttpRequest& req) {
  auto started = std::chrono::steady_clock::now();
  HttpResponse res;
  try {
    res = router_->Dispatch(req);
  } catch (const std::exception& e) {
    LogError("handler threw", {{"request_id", req.request_id}, {"error", e.what()}});
    res = HttpResponse::Error(500, "internal", "internal error");
  }
  res.headers.emplace_back("X-Request-Id", req.request_id);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::string route = router_->RouteOf(req);
  if (metrics_ != nullptr) {
    metrics_
        ->GetCounter(
            "lens_http_requests_total", "HTTP requests by route, method and status",
            {{"route", route}, {"method", req.method}, {"status", std::to_string(res.status)}})
        ->Inc();
    metrics_
        ->GetHistogram("lens_http_request_duration_seconds", "HTTP request latency by route",
                       {{"route", route}, {"method", req.method}})
        ->Observe(secs);
  }
  if (options_.access_log)
    LogInfo("request", {{"request_id", req.request_id},
                        {"method", req.method},
                        {"route", route},
                        {"status", res.status},
                        {"ms", secs * 1000}});
  return res;
}

void HttpServer::Impl::Stop(absl::Duration grace) {
  if (!started_ || stopped_) return;
  stopped_ = true;
  std::vector<std::shared_ptr<StreamSession>> streams;
  {
    // Set under the lock RegisterStream takes: a stream being set up either
    // sees `stopping_` or is in the list closed below.
    absl::MutexLock lock(&sessions_mu_);
    stopping_.store(true);
    for (auto& w : streams_)
      if (auto s = w.lock()) streams.push_back(std::move(s));
  }
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
  });
  // Streams never finish on their own: close them now rather than after
  // the grace period.
  for (auto& s : streams) s->Close();
  streams.clear();  // outside the lock: the last reference runs a destructor that takes it
  // Let requests already being handled finish and be answered.
  absl::Time deadline = absl::Now() + grace;
  while (in_flight_.load() > 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  {
    absl::MutexLock lock(&sessions_mu_);
    for (auto& w : sessions_)
      if (auto s = w.lock()) s->Close();
  }
  // Let the streams finish closing (a WebSocket's close frame, a poll still
  // on the pool, the sources' Stop) while the threads still run; a
  // WebSocket's close handshake is capped at 1 s.
  absl::Time streams_deadline = absl::Now() + absl::Seconds(3);
  while (stream_sessions_.load() > 0 && absl::Now() < streams_deadline)
    absl::SleepFor(absl::Milliseconds(5));
  if (int64_t left = stream_sessions_.load(); left > 0)
    LogWarn("streams still open at shutdown", {{"streams", left}});
  workers_.join();
  work_.reset();
  ioc_.stop();
  for (auto& t : io_threads_) t.join();
}

HttpServer::HttpServer(HttpServerOptions options, const Router* router, MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}
HttpServer::~HttpServer() { Stop(); }
absl::Status HttpServer::Start() { return impl_->Start(); }
uint16_t HttpServer::port() const { return impl_->port(); }
void HttpServer::Stop(absl::Duration grace) { impl_->Stop(grace); }

}  // namespace lens
