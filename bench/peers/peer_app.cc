#include "bench/peers/peer_app.h"

namespace lens::bench::peers {

absl::StatusOr<std::unique_ptr<PeerApp>> PeerApp::Connect(PeerSystem system, const std::string& pg,
                                                          const std::string& redis) {
  absl::StatusOr<std::unique_ptr<PgSocial>> db = PgSocial::Connect(pg);
  if (!db.ok()) return db.status();
  std::unique_ptr<RedisTimelines> timelines;
  if (system == PeerSystem::kPostgresRedis) {
    absl::StatusOr<std::unique_ptr<RedisTimelines>> t = RedisTimelines::Connect(redis);
    if (!t.ok()) return t.status();
    timelines = std::move(*t);
  }
  return std::unique_ptr<PeerApp>(new PeerApp(std::move(*db), std::move(timelines)));
}

absl::StatusOr<int64_t> PeerApp::Post(int64_t author, const std::string& caption) {
  absl::StatusOr<int64_t> id = db_->Post(author, caption);
  if (!id.ok() || timelines_ == nullptr) return id;
  // Fan out after the commit: a timeline must never name a post that a
  // rollback took back.
  absl::StatusOr<std::vector<int64_t>> readers = db_->Followers(author);
  if (!readers.ok()) return readers.status();
  readers->push_back(author);  // the author's own feed shows it too
  if (absl::Status s = timelines_->FanOut(*id, *readers); !s.ok()) return s;
  return id;
}

absl::StatusOr<std::vector<FeedItem>> PeerApp::Feed(int64_t viewer) {
  if (timelines_ == nullptr) return db_->PullFeed(viewer, kPageSize);
  absl::StatusOr<std::vector<int64_t>> ids = timelines_->Page(viewer, kPageSize);
  if (!ids.ok()) return ids.status();
  return db_->Hydrate(viewer, *ids);
}

}  // namespace lens::bench::peers
