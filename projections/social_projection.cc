#include "projections/social_projection.h"

#include <algorithm>

#include "base/big_endian.h"
#include "base/status_macros.h"
#include "events/social_events.h"
#include "projector/apply_context.h"
#include "readmodels/social_model.h"
#include "readmodels/stream_log.h"

namespace lens {

using namespace social_model;

namespace {

absl::Status Corrupt(const Event& e) {
  return absl::DataLossError("malformed " + e.type + " data in event " + e.id.ToString());
}

absl::StatusOr<bool> Has(ApplyContext& ctx, const char* cf, const std::string& key) {
  ASSIGN_OR_RETURN(auto v, ctx.Get(cf, key));
  return v.has_value();
}

// Collects "owner + BE64(x)" suffixes x of a column family (batch included),
// up to `max`. Collected first, written after: a batch iterator must not see
// writes while it iterates.
std::vector<uint64_t> Suffixes(ApplyContext& ctx, const char* cf, uint64_t owner, size_t max,
                               const std::string& start = "") {
  std::string upper = owner == ~uint64_t{0} ? std::string(9, '\xff') : BigEndian64(owner + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  auto it = ctx.NewIterator(cf, ro);
  std::vector<uint64_t> out;
  for (it->Seek(start.empty() ? BigEndian64(owner) : start); it->Valid() && out.size() < max;
       it->Next()) {
    std::string_view k = it->key().ToStringView();
    if (k.size() < 16 || ReadBigEndian64(k) != owner) break;
    out.push_back(ReadBigEndian64(k.substr(8)));
  }
  return out;
}

// The feed's horizon: it holds every visible post with a greater id.
absl::StatusOr<uint64_t> Horizon(ApplyContext& ctx, uint64_t viewer) {
  ASSIGN_OR_RETURN(auto v, ctx.Get(kFeedMeta, social_model::Id(viewer)));
  return v && v->size() == 8 ? ReadBigEndian64(*v) : 0;
}

absl::Status RaiseHorizon(ApplyContext& ctx, uint64_t viewer, uint64_t h) {
  ASSIGN_OR_RETURN(uint64_t current, Horizon(ctx, viewer));
  if (h > current) ctx.Put(kFeedMeta, social_model::Id(viewer), BigEndian64(h));
  return absl::OkStatus();
}

constexpr size_t kUnbounded = ~size_t{0};

}  // namespace

std::vector<std::string> SocialProjection::column_families() const {
  std::vector<std::string> cfs = social_model::ColumnFamilies();
  cfs.push_back(stream_log::kStream);
  cfs.push_back(stream_log::kAuthorStream);
  return cfs;
}

std::map<std::string, int64_t> SocialProjection::expiring_families_ms() const {
  return {{stream_log::kStream, stream_log::kRetentionMs},
          {stream_log::kAuthorStream, stream_log::kRetentionMs}};
}

std::vector<std::string> SocialProjection::hot_counter_families() const {
  return {social_model::kPostCounters};
}

// What a feed page reads point by point: the posts, their counts, whether
// the viewer liked each, whether the viewer still follows each author; the
// feed's horizon and the celebrities' recent posts; and what a single post
// or profile view checks (blocks, a user's counts).
std::vector<std::string> SocialProjection::cached_families() const {
  using namespace social_model;
  return {kPosts,    kPostCounters, kLikes,       kFollowing,
          kFeedMeta, kCelebRecent,  kBlocks,      kUserCounters};
}

// The types Apply below acts on.
bool SocialProjection::Handles(std::string_view type) const {
  static constexpr std::string_view kTypes[] = {
      kPostCreated, kPostEdited, kPostDeleted, kPostLiked, kPostUnliked, kCommentAdded,
      kCommentDeleted, kUserFollowed, kFollowRequestApproved, kUserUnfollowed, kFollowRequested,
      kFollowRequestRejected, kFollowRequestWithdrawn, kUserBlocked, kUserUnblocked};
  return std::find(std::begin(kTypes), std::end(kTypes), type) != std::end(kTypes);
}

absl::Status SocialProjection::Apply(const Event& e, const LogPosition& pos, ApplyContext& ctx) {
  stream_.Begin(pos, e.ts_ms);
  author_stream_.Begin(pos, e.ts_ms);
  const std::string& t = e.type;
  if (t == kPostCreated) return OnPostCreated(e, ctx);
  if (t == kPostEdited) return OnPostEdited(e, ctx);
  if (t == kPostDeleted) return OnPostDeleted(e, ctx);
  if (t == kPostLiked) return OnLike(e, ctx, true);
  if (t == kPostUnliked) return OnLike(e, ctx, false);
  if (t == kCommentAdded) return OnComment(e, ctx, true);
  if (t == kCommentDeleted) return OnComment(e, ctx, false);
  if (t == kUserFollowed || t == kFollowRequestApproved || t == kUserUnfollowed ||
      t == kFollowRequested || t == kFollowRequestRejected || t == kFollowRequestWithdrawn) {
    auto d = FollowEdge::FromJson(e.data);
    if (!d) return Corrupt(e);
    uint64_t f = d->follower_id.value(), g = d->followee_id.value();
    if (t == kUserFollowed || t == kFollowRequestApproved) {
      ctx.Delete(kRequests, Pair(g, f));
      return OnFollow(f, g, ctx);
    }
    if (t == kUserUnfollowed) return OnUnfollow(f, g, ctx);
    if (t == kFollowRequested) {
      ctx.Put(kRequests, Pair(g, f), "");
    } else {
      ctx.Delete(kRequests, Pair(g, f));
    }
    return absl::OkStatus();
  }
  if (t == kUserBlocked || t == kUserUnblocked) {
    auto d = BlockEdge::FromJson(e.data);
    if (!d) return Corrupt(e);
    std::string key = Pair(d->blocker_id.value(), d->blocked_id.value());
    if (t == kUserBlocked) {
      ctx.Put(kBlocks, key, "");
    } else {
      ctx.Delete(kBlocks, key);
    }
  }
  return absl::OkStatus();
}

absl::Status SocialProjection::OnPostCreated(const Event& e, ApplyContext& ctx) {
  auto d = PostContent::FromJson(e.data);
  if (!d) return Corrupt(e);
  const uint64_t post = d->post_id.value(), author = d->author_id.value();
  ASSIGN_OR_RETURN(bool exists, Has(ctx, kPosts, social_model::Id(post)));
  if (exists) return absl::OkStatus();
  StoredPost p;
  p.id = post;
  p.author = author;
  p.caption = d->caption;
  p.hashtags = d->hashtags;
  p.mentions = d->mentions;
  p.media_ids = d->media_ids;
  p.created_at_ms = e.ts_ms;
  ctx.Put(kPosts, social_model::Id(post), p.Encode());
  ctx.Put(kUserPosts, NewestFirst(author, post), "");
  ctx.AddToCounter(kUserCounters, Counter(author, "posts"), 1);

  RETURN_IF_ERROR(FeedInsert(author, post, author, ctx));
  RETURN_IF_ERROR(TrimIfNeeded(author, ctx));
  ASSIGN_OR_RETURN(bool celebrity, Has(ctx, kCelebrities, social_model::Id(author)));
  if (!celebrity &&
      ctx.GetCounter(kUserCounters, Counter(author, "followers")) >= options_.celebrity_threshold) {
    // From now on this author's posts are merged at read time: record the
    // author in the celebrity lists of its current followers, once.
    celebrity = true;
    ctx.Put(kCelebrities, social_model::Id(author), "");
    for (uint64_t f : Suffixes(ctx, kFollowers, author, kUnbounded)) {
      ctx.Put(kViewerCelebs, Pair(f, author), "");
      author_stream_.Touch(f);  // an open stream starts reading this author
    }
  }
  const std::string item = DumpJson(
      Json{{"post_id", std::to_string(post)}, {"author_id", std::to_string(author)}});
  if (celebrity) {
    // Merged into feeds at read time; live, it is one entry under the author.
    author_stream_.AppendOnce(ctx, author, "feed.item", item);
    RefreshRecentPosts(author, ctx);
    return absl::OkStatus();
  }
  // Fan-out on write, the hot path: an unindexed write per follower (no
  // follower's feed can hold this new post, and this batch never reads
  // those keys back) and a trim check against the in-memory size hint.
  // Each follower's live stream hears of it (one more blind write). The
  // feed's stored size is left alone: it is rewritten at each recount, and
  // a third random-key write per follower made fanout_bench's 100,000
  // followers take 0.51-0.57 s instead of 0.30.
  for (uint64_t f : Suffixes(ctx, kFollowers, author, kUnbounded)) {
    stream_.AppendOnce(ctx, f, "feed.item", item);
    ctx.PutUnindexed(kFeed, NewestFirst(f, post), BigEndian64(author));
    ++FeedSizeHint(f, ctx);
    RETURN_IF_ERROR(TrimIfNeeded(f, ctx));
  }
  return absl::OkStatus();
}

absl::Status SocialProjection::OnPostEdited(const Event& e, ApplyContext& ctx) {
  auto d = PostContent::FromJson(e.data);
  if (!d) return Corrupt(e);
  std::string key = social_model::Id(d->post_id.value());
  ASSIGN_OR_RETURN(auto v, ctx.Get(kPosts, key));
  if (!v) return absl::OkStatus();  // deleted since
  auto p = StoredPost::Decode(d->post_id.value(), *v);
  if (!p) return absl::DataLossError("corrupt post");
  p->caption = d->caption;
  p->hashtags = d->hashtags;
  p->mentions = d->mentions;
  p->edited_at_ms = e.ts_ms;
  ctx.Put(kPosts, key, p->Encode());
  return absl::OkStatus();
}

absl::Status SocialProjection::OnPostDeleted(const Event& e, ApplyContext& ctx) {
  auto d = PostRef::FromJson(e.data);
  if (!d) return Corrupt(e);
  const uint64_t post = d->post_id.value(), author = d->author_id.value();
  ASSIGN_OR_RETURN(bool exists, Has(ctx, kPosts, social_model::Id(post)));
  if (!exists) return absl::OkStatus();
  ctx.Delete(kPosts, social_model::Id(post));
  ctx.Delete(kUserPosts, NewestFirst(author, post));
  ctx.AddToCounter(kUserCounters, Counter(author, "posts"), -1);
  ctx.Delete(kPostCounters, Counter(post, "l"));
  ctx.Delete(kPostCounters, Counter(post, "c"));
  for (uint64_t user : Suffixes(ctx, kLikes, post, kUnbounded))
    ctx.Delete(kLikes, Pair(post, user));
  for (uint64_t c : Suffixes(ctx, kComments, post, kUnbounded))
    ctx.Delete(kComments, Pair(post, c));
  // Out of every feed it was written into: its author's followers' and its
  // author's own (readers also skip posts that no longer exist).
  RETURN_IF_ERROR(FeedRemove(author, post, ctx));
  // Unindexed deletes, applied after everything else in the batch: they
  // also reach a fan-out insert of this post made earlier in the same batch.
  for (uint64_t f : Suffixes(ctx, kFollowers, author, kUnbounded))
    ctx.DeleteUnindexed(kFeed, NewestFirst(f, post));
  ASSIGN_OR_RETURN(bool celebrity, Has(ctx, kCelebrities, social_model::Id(author)));
  if (celebrity) RefreshRecentPosts(author, ctx);
  return absl::OkStatus();
}

absl::Status SocialProjection::OnLike(const Event& e, ApplyContext& ctx, bool like) {
  auto d = Like::FromJson(e.data);
  if (!d) return Corrupt(e);
  const uint64_t post = d->post_id.value();
  ASSIGN_OR_RETURN(bool post_exists, Has(ctx, kPosts, social_model::Id(post)));
  if (!post_exists) return absl::OkStatus();
  std::string key = Pair(post, d->user_id.value());
  ASSIGN_OR_RETURN(bool liked, Has(ctx, kLikes, key));
  if (like == liked) return absl::OkStatus();
  if (like) {
    ctx.Put(kLikes, key, "");
  } else {
    ctx.Delete(kLikes, key);
  }
  ctx.AddToCounter(kPostCounters, Counter(post, "l"), like ? 1 : -1);
  return absl::OkStatus();
}

absl::Status SocialProjection::OnComment(const Event& e, ApplyContext& ctx, bool add) {
  auto d = CommentData::FromJson(e.data);
  if (!d) return Corrupt(e);
  const uint64_t post = d->post_id.value();
  ASSIGN_OR_RETURN(bool post_exists, Has(ctx, kPosts, social_model::Id(post)));
  if (!post_exists) return absl::OkStatus();
  std::string key = Pair(post, d->comment_id.value());
  ASSIGN_OR_RETURN(bool exists, Has(ctx, kComments, key));
  if (add == exists) return absl::OkStatus();
  if (add) {
    StoredComment c{d->comment_id.value(), post, d->user_id.value(), d->text, e.ts_ms};
    ctx.Put(kComments, key, c.Encode());
  } else {
    ctx.Delete(kComments, key);
  }
  ctx.AddToCounter(kPostCounters, Counter(post, "c"), add ? 1 : -1);
  return absl::OkStatus();
}

absl::Status SocialProjection::OnFollow(uint64_t follower, uint64_t followee, ApplyContext& ctx) {
  ASSIGN_OR_RETURN(bool already, Has(ctx, kFollowing, Pair(follower, followee)));
  if (already) return absl::OkStatus();
  ctx.Put(kFollowing, Pair(follower, followee), "");
  ctx.Put(kFollowers, Pair(followee, follower), "");
  ctx.AddToCounter(kUserCounters, Counter(followee, "followers"), 1);
  ctx.AddToCounter(kUserCounters, Counter(follower, "following"), 1);
  ASSIGN_OR_RETURN(bool celebrity, Has(ctx, kCelebrities, social_model::Id(followee)));
  if (celebrity) {
    ctx.Put(kViewerCelebs, Pair(follower, followee), "");
    author_stream_.Touch(follower);  // an open stream starts reading this author
    return absl::OkStatus();
  }
  // Backfill the followee's recent posts, newest first, up to the cap. If
  // older ones remain, the feed's horizon rises above them: pages below it
  // come from the authors' post lists.
  ASSIGN_OR_RETURN(uint64_t horizon, Horizon(ctx, follower));
  std::vector<uint64_t> recent = Suffixes(ctx, kUserPosts, followee, options_.feed_cap + 1);
  size_t inserted = 0;
  for (uint64_t inverted : recent) {
    uint64_t post = ~inverted;
    if (post <= horizon) break;
    if (inserted == options_.feed_cap) return RaiseHorizon(ctx, follower, post);
    RETURN_IF_ERROR(FeedInsert(follower, post, followee, ctx));
    ++inserted;
  }
  return TrimIfNeeded(follower, ctx);
}

absl::Status SocialProjection::OnUnfollow(uint64_t follower, uint64_t followee, ApplyContext& ctx) {
  ASSIGN_OR_RETURN(bool following, Has(ctx, kFollowing, Pair(follower, followee)));
  if (!following) return absl::OkStatus();
  ctx.Delete(kFollowing, Pair(follower, followee));
  ctx.Delete(kFollowers, Pair(followee, follower));
  ctx.AddToCounter(kUserCounters, Counter(followee, "followers"), -1);
  ctx.AddToCounter(kUserCounters, Counter(follower, "following"), -1);
  ctx.Delete(kViewerCelebs, Pair(follower, followee));
  // Take the followee's posts out of the feed: at most a feed's worth of
  // its newest posts above the horizon can be there.
  ASSIGN_OR_RETURN(uint64_t horizon, Horizon(ctx, follower));
  for (uint64_t inverted : Suffixes(ctx, kUserPosts, followee, options_.feed_cap * 2)) {
    uint64_t post = ~inverted;
    if (post <= horizon) break;
    RETURN_IF_ERROR(FeedRemove(follower, post, ctx));
  }
  return absl::OkStatus();
}

void SocialProjection::RefreshRecentPosts(uint64_t author, ApplyContext& ctx) {
  // Rewritten from the author's post list (this batch included) rather
  // than edited: it stays the list's newest posts whatever order the
  // partitions deliver posts and deletions in, and a store written before
  // the lists gets one at the celebrity's next post.
  const size_t keep = options_.celebrity_recent_posts;
  std::vector<uint64_t> newest = Suffixes(ctx, kUserPosts, author, keep + 1);  // as ~id
  RecentPosts recent;
  recent.complete = newest.size() <= keep;
  for (size_t i = 0; i < newest.size() && i < keep; ++i) recent.ids.push_back(~newest[i]);
  ctx.Put(kCelebRecent, social_model::Id(author), recent.Encode());
}

absl::Status SocialProjection::FeedInsert(uint64_t viewer, uint64_t post, uint64_t author,
                                          ApplyContext& ctx) {
  ASSIGN_OR_RETURN(uint64_t horizon, Horizon(ctx, viewer));
  if (post <= horizon) return absl::OkStatus();  // served from the post lists
  std::string key = NewestFirst(viewer, post);
  ASSIGN_OR_RETURN(bool present, Has(ctx, kFeed, key));
  if (present) return absl::OkStatus();
  ctx.Put(kFeed, key, BigEndian64(author));
  ++FeedSizeHint(viewer, ctx);
  return absl::OkStatus();
}

absl::Status SocialProjection::FeedRemove(uint64_t viewer, uint64_t post, ApplyContext& ctx) {
  std::string key = NewestFirst(viewer, post);
  ASSIGN_OR_RETURN(bool present, Has(ctx, kFeed, key));
  if (!present) return absl::OkStatus();
  ctx.Delete(kFeed, key);
  --FeedSizeHint(viewer, ctx);
  return absl::OkStatus();
}

int64_t& SocialProjection::FeedSizeHint(uint64_t viewer, ApplyContext& ctx) {
  if (feed_sizes_store_ != ctx.store()) {  // a rebuild into a new store
    feed_sizes_.clear();
    feed_sizes_store_ = ctx.store();
  }
  auto [it, fresh] = feed_sizes_.try_emplace(viewer, 0);
  if (fresh) it->second = ctx.GetCounter(kUserCounters, Counter(viewer, "feed"));
  return it->second;
}

absl::Status SocialProjection::TrimIfNeeded(uint64_t viewer, ApplyContext& ctx) {
  // Trim in steps (from a quarter over the cap back to the cap), so that a
  // full feed does not pay a scan on every insert.
  const int64_t cap = static_cast<int64_t>(options_.feed_cap);
  int64_t& size = FeedSizeHint(viewer, ctx);
  if (size <= cap + std::max<int64_t>(1, cap / 4)) return absl::OkStatus();
  // The scan does not see this batch's unindexed fan-out inserts: the
  // feed holds a few more than counted, trimmed a little later.
  std::vector<uint64_t> entries = Suffixes(ctx, kFeed, viewer, kUnbounded);
  if (entries.size() > options_.feed_cap) {
    for (size_t i = options_.feed_cap; i < entries.size(); ++i)
      ctx.Delete(kFeed, Pair(viewer, entries[i]));
    // Everything newer than the oldest kept entry is still in the feed.
    RETURN_IF_ERROR(RaiseHorizon(ctx, viewer, ~entries[options_.feed_cap - 1] - 1));
  }
  size = std::min<int64_t>(cap, static_cast<int64_t>(entries.size()));
  ctx.Put(kUserCounters, Counter(viewer, "feed"), EncodeCounter(size));
  return absl::OkStatus();
}

}  // namespace lens
