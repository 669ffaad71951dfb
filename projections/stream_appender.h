// StreamAppender: how a projection writes to its live-stream log
// (readmodels/stream_log.h) and wakes the connected users once the batch
// is committed. One per projection instance; used from the runner's thread.
#ifndef LENS_PROJECTIONS_STREAM_APPENDER_H_
#define LENS_PROJECTIONS_STREAM_APPENDER_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "base/json.h"
#include "eventlog/log_position.h"
#include "projector/apply_context.h"
#include "projector/change_notifier.h"
#include "readmodels/stream_log.h"

namespace lens {

class StreamAppender {
 public:
  // `notifier` may be null (a tool's rebuild: nobody listens). Writes to
  // the column family `cf` (stream_log::kStream or kAuthorStream).
  explicit StreamAppender(ChangeNotifier* notifier, const char* cf = stream_log::kStream)
      : notifier_(notifier), cf_(cf) {}

  // Starts the entries of one event. Appends for an event older than the
  // stream's retention write nothing.
  void Begin(const LogPosition& pos, int64_t ts_ms);
  // One entry for `user`; several for the same user and event keep their order.
  void Append(ApplyContext& ctx, uint64_t user, std::string_view type, const Json& data);
  // The fan-out hot path: at most one entry per user for this event, an
  // unindexed write, no bookkeeping but the wake list.
  void AppendOnce(ApplyContext& ctx, uint64_t user, std::string_view type,
                  std::string_view json);
  // Wakes `user` too after the batch, with no entry (its stream has
  // something new to read elsewhere).
  void Touch(uint64_t user) { touched_.push_back(user); }
  // After the batch is committed: wakes the users it touched.
  void Flush();

 private:
  ChangeNotifier* notifier_;
  const char* cf_;
  LogPosition pos_;
  int64_t ts_ms_ = 0;
  bool expired_ = false;  // the event is older than the stream's retention
  absl::flat_hash_map<uint64_t, uint16_t> rank_;  // entries per user for this event
  std::vector<uint64_t> touched_;
};

}  // namespace lens

#endif  // LENS_PROJECTIONS_STREAM_APPENDER_H_
