// Live streams (docs/messages-api.md):
//   GET /api/v1/stream       server-sent events
//   GET /api/v1/stream/ws    the same over a WebSocket
// A user's new notifications (and their withdrawal), messages and
// conversation changes, and new home-feed items, pushed as the projections
// apply them. Authenticated by the Authorization header or, for clients
// that cannot set headers (EventSource, browsers' WebSocket), an
// `access_token` query parameter. Each message's id is a cursor; sending
// it back as Last-Event-ID (header, or `last_event_id` query parameter)
// resumes the stream exactly after that message.
//
// The data comes from each read model's stream log (readmodels/
// stream_log.h); the ChangeNotifier only says when to look.
#ifndef LENS_QUERY_API_STREAM_API_H_
#define LENS_QUERY_API_STREAM_API_H_

#include <functional>
#include <vector>

#include "auth/authenticator.h"
#include "http/router.h"
#include "projector/change_notifier.h"
#include "readmodels/accounts_model.h"
#include "readmodels/stream_log.h"

namespace lens {

struct StreamSource {
  // Its tag in cursors: 'f' feed, 'n' notifications, 'm' messages,
  // 'c' celebrities' posts.
  char letter = 0;
  const StreamLogReader* reader = nullptr;
  // The serving projector's next offsets, per partition: where a stream
  // opened without a cursor starts.
  std::function<std::vector<uint64_t>()> applied;
  // Unset: the source's entries are keyed by the stream's user. Set: by
  // these authors (the celebrities the user follows, as of the stream's
  // opening), whose entries the stream merges in log order.
  std::function<std::vector<uint64_t>(uint64_t user)> authors;
};

class StreamApi {
 public:
  StreamApi(const Authenticator* auth, ChangeNotifier* notifier, const AccountsReader* accounts,
            std::vector<StreamSource> sources, uint32_t partitions)
      : auth_(auth),
        notifier_(notifier),
        accounts_(accounts),
        sources_(std::move(sources)),
        partitions_(partitions) {}
  void RegisterRoutes(Router* router);

 private:
  absl::StatusOr<HttpResponse> Open(HttpRequest& req);

  const Authenticator* auth_;
  ChangeNotifier* notifier_;
  const AccountsReader* accounts_;
  std::vector<StreamSource> sources_;
  uint32_t partitions_;
};

}  // namespace lens

#endif  // LENS_QUERY_API_STREAM_API_H_
