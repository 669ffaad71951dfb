#include "http/http_server.h"

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <list>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "base/log.h"

namespace lens {

namespace beast = boost::beast;
namespace http = beast::http;
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

}  // namespace

class Session;

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

  const HttpServerOptions options_;
  const Router* router_;
  MetricsRegistry* metrics_;
  net::io_context ioc_;
  // Keeps the io threads running while a request is on the worker pool and
  // no socket operation is pending (its answer still has to be written).
  net::executor_work_guard<net::io_context::executor_type> work_;
  tcp::acceptor acceptor_;
  net::thread_pool workers_;
  std::vector<std::thread> io_threads_;
  std::atomic<size_t> connections_{0};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  bool stopped_ = false;
  uint16_t port_ = 0;

  absl::Mutex sessions_mu_;
  std::list<std::weak_ptr<Session>> sessions_ ABSL_GUARDED_BY(sessions_mu_);

 private:
  void DoAccept();
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, HttpServer::Impl* server)
      : stream_(std::move(socket)), server_(server) {}
  ~Session() {
    server_->Unregister(this);
    server_->connections_.fetch_sub(1);
  }

  void Run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::DoReadHeader, shared_from_this()));
  }

  // Closes the socket from any thread (used at shutdown).
  void Close() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
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

    server_->in_flight_.fetch_add(1);
    net::post(server_->workers_, [self = shared_from_this(), req] {
      HttpResponse res = self->server_->Handle(*req);
      net::post(self->stream_.get_executor(), [self, res = std::move(res)]() mutable {
        self->counted_in_flight_ = true;  // released once the answer is written
        self->Write(std::move(res));
      });
    });
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
  size_t drained_ = 0;

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
  DoAccept();
  for (int i = 0; i < options_.io_threads; ++i) io_threads_.emplace_back([this] { ioc_.run(); });
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
  stopping_.store(true);
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
  });
  // Let requests already being handled finish and be answered.
  absl::Time deadline = absl::Now() + grace;
  while (in_flight_.load() > 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  {
    absl::MutexLock lock(&sessions_mu_);
    for (auto& w : sessions_)
      if (auto s = w.lock()) s->Close();
  }
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
