#include "projections/stream_appender.h"

#include "base/time.h"
#include "readmodels/stream_log.h"

namespace lens {

void StreamAppender::Begin(const LogPosition& pos, int64_t ts_ms) {
  pos_ = pos;
  ts_ms_ = ts_ms;
  rank_.clear();
  // An event older than the stream's retention (a rebuild replaying
  // history, a projector far behind) makes entries no reader would be
  // shown and the next compaction would drop: none are written.
  expired_ = ts_ms < NowMillis() - stream_log::kRetentionMs;
}

void StreamAppender::Append(ApplyContext& ctx, uint64_t user, std::string_view type,
                            const Json& data) {
  if (expired_) return;
  uint16_t n = rank_[user]++;
  ctx.Put(cf_, stream_log::Key(user, pos_.partition, pos_.offset, n),
          stream_log::Value(ts_ms_, type, DumpJson(data)));
  touched_.push_back(user);
}

void StreamAppender::AppendOnce(ApplyContext& ctx, uint64_t user, std::string_view type,
                                std::string_view json) {
  if (expired_) return;
  ctx.PutUnindexed(cf_, stream_log::Key(user, pos_.partition, pos_.offset, 0),
                   stream_log::Value(ts_ms_, type, json));
  touched_.push_back(user);
}

void StreamAppender::Flush() {
  if (notifier_ != nullptr) notifier_->Notify(touched_);
  touched_.clear();
}

}  // namespace lens
