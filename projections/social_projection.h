// The "social" projection: posts, likes, comments, the follow graph, blocks,
// counters and home feeds (see readmodels/social_model.h for the schema).
//
// Home feeds use hybrid fan-out. A new post is written into the feed of each
// follower of its author (fan-out on write) unless the author has at least
// `celebrity_threshold` followers: such an author is marked a celebrity, and
// its posts are merged into its followers' feeds at read time instead, from
// a list of its newest post ids kept in one key. A
// follow backfills the followee's recent posts; an unfollow (or a block,
// which unfollows) and a deletion remove them. Each feed keeps about
// `feed_cap` entries; trimming raises the feed's horizon, below which pages
// are served from the authors' post lists.
//
// Every change is guarded by the state it changes (a like that exists is not
// added twice), so counters stay exact under any interleaving of partitions
// and a replay rebuilds the same model.
#ifndef LENS_PROJECTIONS_SOCIAL_PROJECTION_H_
#define LENS_PROJECTIONS_SOCIAL_PROJECTION_H_

#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "projections/social_projection_options.h"
#include "projections/stream_appender.h"
#include "projector/projection.h"

namespace lens {

class SocialProjection : public Projection {
 public:
  // `notifier` (may be null) hears of new home-feed items for live streams.
  explicit SocialProjection(SocialProjectionOptions options = {},
                            ChangeNotifier* notifier = nullptr)
      : options_(options), stream_(notifier), author_stream_(notifier, stream_log::kAuthorStream) {}
  std::string_view name() const override { return "social"; }
  std::vector<std::string> column_families() const override;
  // Like and comment counts: every feed item reads them, and a popular
  // post's collect merges fast.
  std::vector<std::string> hot_counter_families() const override;
  std::vector<std::string> cached_families() const override;
  std::map<std::string, int64_t> expiring_families_ms() const override;
  bool Handles(std::string_view event_type) const override;
  absl::Status Apply(const Event& event, const LogPosition& pos, ApplyContext& ctx) override;
  void OnCommitted() override {
    stream_.Flush();
    author_stream_.Flush();
  }

 private:
  absl::Status OnPostCreated(const Event& e, ApplyContext& ctx);
  absl::Status OnPostEdited(const Event& e, ApplyContext& ctx);
  absl::Status OnPostDeleted(const Event& e, ApplyContext& ctx);
  absl::Status OnLike(const Event& e, ApplyContext& ctx, bool like);
  absl::Status OnComment(const Event& e, ApplyContext& ctx, bool add);
  absl::Status OnFollow(uint64_t follower, uint64_t followee, ApplyContext& ctx);
  absl::Status OnUnfollow(uint64_t follower, uint64_t followee, ApplyContext& ctx);

  // Rewrites a celebrity's RecentPosts (readmodels/social_model.h).
  void RefreshRecentPosts(uint64_t author, ApplyContext& ctx);
  absl::Status FeedInsert(uint64_t viewer, uint64_t post, uint64_t author, ApplyContext& ctx);
  absl::Status FeedRemove(uint64_t viewer, uint64_t post, ApplyContext& ctx);
  absl::Status TrimIfNeeded(uint64_t viewer, ApplyContext& ctx);
  // The feed size this projection keeps in memory; the stored size of the
  // viewer's last recount the first time a viewer is seen.
  int64_t& FeedSizeHint(uint64_t viewer, ApplyContext& ctx);

  SocialProjectionOptions options_;
  StreamAppender stream_;  // "feed.item" entries of fanned-out posts
  // "feed.item" entries of celebrities' posts, under the author: a
  // follower's live stream reads them from the celebrities it follows.
  StreamAppender author_stream_;
  // Viewer -> feed size, counted here rather than in the store so that a
  // fanned-out post costs each follower one feed write, not a counter
  // write beside it, and the trim check after it no read. The stored
  // "feed" counter is rewritten by each trim's recount, so after a restart
  // a feed can grow past its trim line by what it received since its last
  // recount (at most another cap and a quarter) before it is trimmed
  // again. Only a hint, kept for the store it was read from: a batch that
  // fails to commit leaves it off by that batch, until the next recount.
  absl::flat_hash_map<uint64_t, int64_t> feed_sizes_;
  const Store* feed_sizes_store_ = nullptr;
};

}  // namespace lens

#endif  // LENS_PROJECTIONS_SOCIAL_PROJECTION_H_
