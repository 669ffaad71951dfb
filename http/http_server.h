// HttpServer: the HTTP/1.1 front door of lens, on Boost.Beast.
//
// Asynchronous I/O on `io_threads` threads (one strand per connection,
// keep-alive, header/body/idle timeouts, a body-size limit checked before
// the body is read, a cap on concurrent connections). Handlers run on a
// separate pool of `worker_threads` so they may block on the disk or the
// event log without stalling any connection. Every response carries
// X-Request-Id; every request is counted and timed in the metrics registry.
//
// Live streams: a handler that answers 200 with `HttpResponse::stream` set
// turns the connection into a stream (see http/event_stream.h). The server
// picks the transport from the request alone: a WebSocket upgrade request
// gets the WebSocket handshake and one text frame per message
// ({"id":..,"event":..,"data":<data>}); any other request gets server-sent
// events (`id:`/`event:`/`data:` blocks, `: keepalive` comments when idle).
// Each stream connection buffers at most `stream_queue_messages` messages;
// a client that lets that queue fill and still has more coming is closed as
// a slow consumer and resumes with Last-Event-ID. Stream connections count
// against `max_connections` but not as in-flight requests: Stop closes them
// at once instead of waiting for them. Every stream a handler returns gets
// exactly one EventStream::Stop (even one that was never started, e.g.
// because the server was stopping or the handshake failed).
//
// Thread-safety: Start and Stop from one thread; the router must not change
// after Start.
#ifndef LENS_HTTP_HTTP_SERVER_H_
#define LENS_HTTP_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "base/metrics.h"
#include "http/router.h"

namespace lens {

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port
  int io_threads = 2;
  int worker_threads = 64;
  size_t body_limit = 1 << 20;                      // bytes; larger bodies get 413
  absl::Duration read_timeout = absl::Seconds(30);  // one request, header to body end
  absl::Duration idle_timeout = absl::Seconds(75);  // keep-alive wait for the next request
  size_t max_connections = 10000;                   // beyond: 503 and close
  bool access_log = true;                           // a JSON log line per request (and stream)
  // Requests for which this returns true are handled on the I/O thread that
  // read them, not on the worker pool: for handlers that never block (reads
  // of in-memory or cached state), it saves two thread hand-offs per
  // request. Unset: every request goes to the pool.
  std::function<bool(const HttpRequest&)> run_inline;

  // Live streams (server-sent events and WebSocket).
  // SSE: a ": keepalive" comment after this much silence. WebSocket: a ping
  // after this much silence from the peer; closed after twice as much.
  absl::Duration stream_heartbeat = absl::Seconds(15);
  size_t stream_queue_messages = 256;          // polled but unwritten messages per connection
  size_t stream_send_buffer_bytes = 64 << 10;  // SO_SNDBUF of stream sockets; 0: kernel default
  // One write to a stream client stuck this long: it is a slow consumer.
  absl::Duration stream_write_timeout = absl::Seconds(60);
};

class HttpServer {
 public:
  // `router` and `metrics` must outlive the server.
  HttpServer(HttpServerOptions options, const Router* router, MetricsRegistry* metrics);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();  // Stop()

  // Binds and starts serving. Unavailable if the address cannot be bound.
  absl::Status Start();
  // The bound port (useful with port 0).
  uint16_t port() const;
  // Stops accepting, closes the live streams, lets in-flight requests finish
  // (up to `grace`), then closes every connection and joins the threads.
  // Every stream's EventStream::Stop has been called when it returns
  // (unless a stream took more than 3 s to close: then at the latest when
  // the server is destroyed). Idempotent.
  void Stop(absl::Duration grace = absl::Seconds(10));

  class Impl;  // public only so that the .cc's connection type can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace lens

#endif  // LENS_HTTP_HTTP_SERVER_H_
