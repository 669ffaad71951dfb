#include "tests/support/stream_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace lens::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

int MillisLeft(Clock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string ErrorCodeOf(const std::string& body) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("error") || !j["error"].is_object())
    return "";
  return j["error"].value("code", "");
}

}  // namespace

std::string StreamEvent::error_code() const { return ErrorCodeOf(data); }

// --- SseClient -------------------------------------------------------------

SseClient::SseClient(uint16_t port, StreamClientOptions options) : port_(port), options_(options) {}

SseClient::~SseClient() { Close(); }

void SseClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string SseClient::header(const std::string& lower_name) const {
  auto it = headers_.find(lower_name);
  return it == headers_.end() ? "" : it->second;
}

std::string SseClient::error_code() const { return ErrorCodeOf(body_); }

int SseClient::keepalives() const {
  int n = 0;
  for (const std::string& c : comments_) n += c == "keepalive";
  return n;
}

bool SseClient::Open() {
  Close();
  buffer_.clear();
  status_ = 0;
  headers_.clear();
  body_.clear();
  pending_ = {};
  pending_data_ = false;
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) return false;
  if (options_.receive_buffer_bytes > 0) {
    // Before connect: the window scale is agreed in the handshake.
    int bytes = options_.receive_buffer_bytes;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS) {
      Close();
      return false;
    }
    pollfd p{fd_, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof(err);
    if (::poll(&p, 1, options_.timeout_ms) <= 0 ||
        ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      Close();
      return false;
    }
  }
  return true;
}

bool SseClient::SendGet(const std::string& target, const Headers& headers) {
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "\r\n";
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  size_t off = 0;
  while (off < req.size()) {
    ssize_t n = ::send(fd_, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, MillisLeft(deadline)) > 0) continue;
    }
    Close();
    return false;
  }
  return true;
}

bool SseClient::Fill(int timeout_ms) {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  int r = ::poll(&p, 1, timeout_ms);
  if (r < 0 && errno == EINTR) return true;
  if (r <= 0) return false;
  char buf[65536];
  ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
  if (n > 0) {
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
  Close();  // what is buffered can still be parsed
  return false;
}

bool SseClient::SendRequestOnly(const std::string& target, const Headers& headers) {
  return Open() && SendGet(target, headers);
}

int SseClient::Connect(const std::string& target, const Headers& headers) {
  if (!SendRequestOnly(target, headers)) return 0;
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (fd_ < 0 || MillisLeft(deadline) == 0) {
      Close();
      return 0;
    }
    Fill(MillisLeft(deadline));
  }
  std::string head = buffer_.substr(0, head_end);
  buffer_.erase(0, head_end + 4);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0) {
    Close();
    return 0;
  }
  status_ = std::atoi(status_line.substr(9, 3).c_str());
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string line = head.substr(pos, e - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      size_t v = colon + 1;
      while (v < line.size() && line[v] == ' ') ++v;
      headers_[Lower(line.substr(0, colon))] = line.substr(v);
    }
    pos = e + 2;
  }
  if (status_ != 200) {
    // An ordinary answer: its body is the error.
    std::string length = header("content-length");
    size_t want = length.empty() ? std::string::npos : std::strtoul(length.c_str(), nullptr, 10);
    while (buffer_.size() < want && fd_ >= 0 && MillisLeft(deadline) > 0)
      Fill(MillisLeft(deadline));
    body_ = buffer_.substr(0, want);
    buffer_.clear();
    Close();
  }
  return status_;
}

std::optional<StreamEvent> SseClient::ParseBuffered() {
  size_t pos = 0;
  std::optional<StreamEvent> out;
  while (!out) {
    size_t nl = buffer_.find('\n', pos);
    if (nl == std::string::npos) break;
    std::string line = buffer_.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      // End of a block: it is an event if it carried data (the EventSource
      // rule); otherwise its fields are dropped.
      if (pending_data_) {
        out = std::move(pending_);
        if (out->event.empty()) out->event = "message";
      }
      pending_ = {};
      pending_data_ = false;
      continue;
    }
    if (line[0] == ':') {
      comments_.push_back(line.substr(line.size() > 1 && line[1] == ' ' ? 2 : 1));
      continue;
    }
    size_t colon = line.find(':');
    std::string field = line.substr(0, colon);
    std::string value;
    if (colon != std::string::npos) {
      value = line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    }
    if (field == "data") {
      if (pending_data_) pending_.data += '\n';
      pending_.data += value;
      pending_data_ = true;
    } else if (field == "event") {
      pending_.event = value;
    } else if (field == "id") {
      pending_.id = value;
      last_event_id_ = value;
    } else if (field == "retry") {
      retry_ms_ = std::atoi(value.c_str());
    }
  }
  buffer_.erase(0, pos);
  return out;
}

std::optional<StreamEvent> SseClient::Next(int timeout_ms) {
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (std::optional<StreamEvent> e = ParseBuffered()) return e;
    if (fd_ < 0) return std::nullopt;
    int left = MillisLeft(deadline);
    if (left == 0) return std::nullopt;
    Fill(left);
  }
}

bool SseClient::WaitClosed(int timeout_ms) {
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (fd_ >= 0 && MillisLeft(deadline) > 0) Next(MillisLeft(deadline));
  return fd_ < 0;
}

// --- WsClient --------------------------------------------------------------

struct WsClient::Impl {
  // Completion of one asynchronous operation. Shared with its handler, so
  // that an operation given up on never writes into a dead stack frame.
  struct Done {
    bool done = false;
    beast::error_code ec;
  };

  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  websocket::response_type handshake_response;
  beast::flat_buffer read_buffer;
  std::shared_ptr<Done> read;  // the pending read, kept across Next calls
  bool connected = false;

  // Runs handlers until `d` completes or `timeout_ms` passes.
  bool RunUntil(const Done& d, int timeout_ms) {
    Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!d.done) {
      if (ioc.stopped()) ioc.restart();
      int left = MillisLeft(deadline);
      if (left == 0) return false;
      if (ioc.run_one_for(std::chrono::milliseconds(left)) == 0 && ioc.stopped() && !d.done)
        return false;  // nothing pending: it will never complete
    }
    return true;
  }

  // Like RunUntil, but an operation that times out is cancelled by closing
  // the socket and then run to completion.
  bool Await(const Done& d, int timeout_ms) {
    if (RunUntil(d, timeout_ms)) return true;
    CloseSocket();
    RunUntil(d, 2000);
    return false;
  }

  void CloseSocket() {
    beast::error_code ec;
    beast::get_lowest_layer(ws).socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws).close();
  }

  ~Impl() {
    // Let the handlers that closing cancels run before the members go.
    CloseSocket();
    ioc.restart();
    ioc.poll();
  }
};

WsClient::WsClient(uint16_t port, StreamClientOptions options)
    : impl_(std::make_unique<Impl>()), port_(port), options_(options) {}

WsClient::~WsClient() {
  if (impl_->connected && !closed_) Close();
}

std::string WsClient::header(const std::string& lower_name) const {
  auto it = headers_.find(lower_name);
  return it == headers_.end() ? "" : it->second;
}

std::string WsClient::error_code() const { return ErrorCodeOf(body_); }

bool WsClient::Connect(const std::string& target, const Headers& headers) {
  beast::tcp_stream& tcp = beast::get_lowest_layer(impl_->ws);
  // The handshake runs under the tcp_stream's timeout; the WebSocket layer
  // takes over once it is open.
  tcp.expires_after(std::chrono::milliseconds(options_.timeout_ms));
  if (options_.receive_buffer_bytes > 0) {
    // Before connecting, so that the window advertised is small from the start.
    beast::error_code ec;
    tcp.socket().open(net::ip::tcp::v4(), ec);
    if (!ec)
      tcp.socket().set_option(net::socket_base::receive_buffer_size(options_.receive_buffer_bytes), ec);
  }
  auto connected = std::make_shared<Impl::Done>();
  tcp.async_connect(net::ip::tcp::endpoint(net::ip::address_v4::loopback(), port_),
                    [connected](beast::error_code ec) {
                      connected->done = true;
                      connected->ec = ec;
                    });
  if (!impl_->Await(*connected, options_.timeout_ms + 1000) || connected->ec) {
    closed_ = true;
    return false;
  }
  beast::error_code ignored;
  tcp.socket().set_option(net::ip::tcp::no_delay(true), ignored);
  impl_->ws.set_option(
      websocket::stream_base::decorator([headers](websocket::request_type& req) {
        req.set(http::field::user_agent, "lens-test-ws");
        for (const auto& [k, v] : headers) req.set(k, v);
      }));
  auto handshake = std::make_shared<Impl::Done>();
  impl_->ws.async_handshake(impl_->handshake_response, "127.0.0.1:" + std::to_string(port_),
                            target, [handshake](beast::error_code ec) {
                              handshake->done = true;
                              handshake->ec = ec;
                            });
  bool finished = impl_->Await(*handshake, options_.timeout_ms + 1000);
  const websocket::response_type& res = impl_->handshake_response;
  status_ = static_cast<int>(res.result_int());
  for (const auto& f : res) headers_[Lower(std::string(f.name_string()))] = std::string(f.value());
  body_ = res.body();
  if (!finished || handshake->ec) {
    impl_->CloseSocket();
    closed_ = true;
    return false;
  }
  tcp.expires_never();
  impl_->ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  impl_->connected = true;
  return true;
}

std::optional<StreamEvent> WsClient::Next(int timeout_ms) {
  if (closed_ || !impl_->connected) return std::nullopt;
  if (!impl_->read) {
    auto read = std::make_shared<Impl::Done>();
    impl_->read = read;
    impl_->ws.async_read(impl_->read_buffer, [read](beast::error_code ec, size_t) {
      read->done = true;
      read->ec = ec;
    });
  }
  // On timeout the read stays pending: the next call picks it up.
  if (!impl_->RunUntil(*impl_->read, timeout_ms)) return std::nullopt;
  beast::error_code ec = impl_->read->ec;
  impl_->read.reset();
  if (ec) {
    closed_ = true;
    if (ec == websocket::error::closed) {
      close_code_ = impl_->ws.reason().code;
      close_reason_ = std::string(impl_->ws.reason().reason.c_str());
    }
    impl_->CloseSocket();
    return std::nullopt;
  }
  std::string text = beast::buffers_to_string(impl_->read_buffer.data());
  impl_->read_buffer.consume(impl_->read_buffer.size());
  StreamEvent e;
  Json j = Json::parse(text, nullptr, false);
  if (j.is_object() && j.contains("data")) {
    if (j.contains("id") && j["id"].is_string()) e.id = j["id"].get<std::string>();
    if (j.contains("event") && j["event"].is_string()) e.event = j["event"].get<std::string>();
    e.data = j["data"].dump();
  } else {
    e.data = text;
  }
  return e;
}

bool WsClient::WaitClosed(int timeout_ms) {
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!closed_ && MillisLeft(deadline) > 0) Next(MillisLeft(deadline));
  return closed_;
}

bool WsClient::Send(const std::string& text) {
  if (closed_ || !impl_->connected) return false;
  auto sent = std::make_shared<Impl::Done>();
  impl_->ws.text(true);
  impl_->ws.async_write(net::buffer(text), [sent](beast::error_code ec, size_t) {
    sent->done = true;
    sent->ec = ec;
  });
  if (!impl_->Await(*sent, options_.timeout_ms)) {
    closed_ = true;
    return false;
  }
  return !sent->ec;
}

void WsClient::Close() {
  if (closed_ || !impl_->connected) return;
  auto done = std::make_shared<Impl::Done>();
  impl_->ws.async_close(websocket::close_code::normal, [done](beast::error_code ec) {
    done->done = true;
    done->ec = ec;
  });
  // A pending read completes once the server answers the close.
  impl_->Await(*done, std::min(options_.timeout_ms, 2000));
  if (impl_->read) impl_->RunUntil(*impl_->read, 500);
  closed_ = true;
  impl_->CloseSocket();
}

}  // namespace lens::testing
