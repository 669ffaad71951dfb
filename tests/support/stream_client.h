// SseClient and WsClient: small blocking clients for the live streams
// (GET /api/v1/stream as server-sent events, GET /api/v1/stream/ws as a
// WebSocket), for tests against an HttpServer or the real lens binary.
//
// Both connect over loopback, and every call that waits takes or uses a
// timeout: a test that expects a message which never comes fails, it does
// not hang. Neither is thread-safe; use one per thread.
#ifndef LENS_TESTS_SUPPORT_STREAM_CLIENT_H_
#define LENS_TESTS_SUPPORT_STREAM_CLIENT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "tests/support/http_client.h"

namespace lens::testing {

// One message of a stream, as either transport delivers it.
struct StreamEvent {
  std::string id;     // SSE "id:" / the frame's "id" ("" when none)
  std::string event;  // SSE "event:" ("message" when absent) / the frame's "event"
  std::string data;   // SSE "data:" lines joined / the frame's "data", re-serialised

  Json json() const { return Json::parse(data, nullptr, false); }  // discarded if not JSON
  // The error code of an "error" event ({"error":{"code":..}}), "" if none.
  std::string error_code() const;
};

struct StreamClientOptions {
  int timeout_ms = 15000;  // connect, send and the response head
  // > 0: SO_RCVBUF set before connecting, so that a client that does not
  // read fills up quickly (slow-consumer tests).
  int receive_buffer_bytes = 0;
};

// Server-sent events over a plain socket.
//
//   SseClient sse(port);
//   ASSERT_EQ(sse.Connect("/api/v1/stream", {Bearer(token)}), 200);
//   std::optional<StreamEvent> e = sse.Next(5000);
class SseClient {
 public:
  explicit SseClient(uint16_t port, StreamClientOptions options = {});
  ~SseClient();
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  // Sends GET `target` (with Accept: text/event-stream and `headers`) and
  // reads the response head; for an answer other than 200, its body too.
  // Returns the status, 0 when there was no answer.
  int Connect(const std::string& target, const Headers& headers = {});
  // Only sends the request and reads nothing, ever: a client that stalls.
  bool SendRequestOnly(const std::string& target, const Headers& headers = {});

  int status() const { return status_; }
  std::string header(const std::string& lower_name) const;
  const std::string& body() const { return body_; }  // of a non-200 answer
  std::string error_code() const;                    // of a non-200 JSON error body

  // The next event, or nullopt if none came within `timeout_ms` or the
  // stream is closed. Comments (": keepalive") are recorded, not returned.
  std::optional<StreamEvent> Next(int timeout_ms);
  // True once the server closed the connection (or it failed).
  bool closed() const { return fd_ < 0; }
  // Waits up to `timeout_ms` for the server to close, discarding events.
  bool WaitClosed(int timeout_ms);

  // Comment lines received so far, without the leading ':' and space.
  const std::vector<std::string>& comments() const { return comments_; }
  int keepalives() const;
  // The last "id:" received: what a reconnect sends as Last-Event-ID.
  const std::string& last_event_id() const { return last_event_id_; }
  // The "retry:" the server asked for, in ms (-1 if none).
  int retry_ms() const { return retry_ms_; }

  void Close();

 private:
  bool Open();
  bool SendGet(const std::string& target, const Headers& headers);
  // Reads what is there within `timeout_ms` into buffer_; false on timeout
  // (fd stays open) or close (fd closed).
  bool Fill(int timeout_ms);
  // Parses one complete event out of buffer_, if there is one.
  std::optional<StreamEvent> ParseBuffered();

  uint16_t port_;
  StreamClientOptions options_;
  int fd_ = -1;
  std::string buffer_;
  int status_ = 0;
  std::map<std::string, std::string> headers_;
  std::string body_;
  std::vector<std::string> comments_;
  std::string last_event_id_;
  int retry_ms_ = -1;
  StreamEvent pending_;  // the fields of the event being parsed
  bool pending_data_ = false;
};

// A WebSocket client (Beast, driven with timeouts).
//
//   WsClient ws(port);
//   ASSERT_TRUE(ws.Connect("/api/v1/stream/ws", {Bearer(token)}));
//   std::optional<StreamEvent> e = ws.Next(5000);
class WsClient {
 public:
  explicit WsClient(uint16_t port, StreamClientOptions options = {});
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Connects and performs the handshake with `headers`. True when the
  // server switched protocols; otherwise status()/body() hold its answer
  // (e.g. a 401 JSON error), or status() is 0 when there was none.
  bool Connect(const std::string& target, const Headers& headers = {});
  int status() const { return status_; }
  std::string header(const std::string& lower_name) const;
  const std::string& body() const { return body_; }
  std::string error_code() const;

  // The next text frame, parsed as {"id","event","data"} (a frame that is
  // not such an object comes back whole in `data`); nullopt on timeout or
  // once the server closed. Pings are answered while waiting here.
  std::optional<StreamEvent> Next(int timeout_ms);
  bool closed() const { return closed_; }
  // Waits up to `timeout_ms` for the server to close, discarding frames.
  bool WaitClosed(int timeout_ms);
  // The server's close frame (code 0 and "" if it closed without one).
  int close_code() const { return close_code_; }
  const std::string& close_reason() const { return close_reason_; }

  // Sends one text frame; false on failure or timeout.
  bool Send(const std::string& text);
  // Sends a normal close and waits (bounded) for the server's answer.
  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_;
  StreamClientOptions options_;
  int status_ = 0;
  std::map<std::string, std::string> headers_;
  std::string body_;
  bool closed_ = false;
  int close_code_ = 0;
  std::string close_reason_;
};

}  // namespace lens::testing

#endif  // LENS_TESTS_SUPPORT_STREAM_CLIENT_H_
