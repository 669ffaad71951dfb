// EventStream: a long-lived answer to one request — a live stream of a
// user's updates, delivered as server-sent events or over a WebSocket.
//
// A handler returns an HttpResponse whose `stream` is set. The server then
// writes the stream's messages as they become ready, on the same
// connection, until the client goes away, the stream's deadline passes or
// the client falls too far behind. The stream is a pull source: it only
// says "something may be ready" (the `wake` callback), and the server asks
// for what is ready when it has room, so a slow client never makes the
// server buffer more than a capped number of messages.
//
// Thread-safety: `wake` may be called from any thread, any number of times
// (calls coalesce). The server never runs two Polls of one stream at once;
// it runs them on its worker pool (they may read the disk). Stop is called
// once, from any thread, after which the stream must not call `wake`.
#ifndef LENS_HTTP_EVENT_STREAM_H_
#define LENS_HTTP_EVENT_STREAM_H_

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace lens {

struct StreamMessage {
  std::string id;     // resume cursor after this message (SSE "id:"); "" for none
  std::string event;  // type, e.g. "notification" (SSE "event:")
  std::string data;   // one JSON document on one line
};

class EventStream {
 public:
  virtual ~EventStream() = default;

  // Called once before the first Poll.
  virtual void Start(std::function<void()> wake) = 0;
  // Up to `max` messages ready now, oldest first; empty when none. Must not
  // block waiting for new ones. An error ends the stream (the client gets
  // it as a final "error" message).
  virtual absl::StatusOr<std::vector<StreamMessage>> Poll(size_t max) = 0;
  // The connection is gone. Called once.
  virtual void Stop() = 0;
  // When the stream must end (its token expires); InfiniteFuture for never.
  virtual absl::Time deadline() const = 0;
};

}  // namespace lens

#endif  // LENS_HTTP_EVENT_STREAM_H_
