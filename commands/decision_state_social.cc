// DecisionState: the social part (posts, likes, comments, follows, requests,
// blocks) — what the social commands decide on.
#include "base/big_endian.h"
#include "base/status_macros.h"
#include "commands/decision_state.h"
#include "projector/apply_context.h"
#include "store/rocksdb_status.h"

namespace lens {
namespace {

constexpr char kPosts[] = "posts";
constexpr char kPostCounts[] = "post_counts";
constexpr char kLikes[] = "likes";
constexpr char kComments[] = "comments";
constexpr char kFollows[] = "follows";
constexpr char kRequests[] = "requests";
constexpr char kBlocks[] = "blocks";

std::string Pair(uint64_t a, uint64_t b) {
  std::string k = BigEndian64(a);
  AppendBigEndian64(&k, b);
  return k;
}

std::string CountKey(PostId post, char which) {
  std::string k = BigEndian64(post.value());
  k.push_back(which);
  return k;
}

Json PostJson(const PostRecord& p) {
  return Json{
      {"author", p.author_id.ToString()}, {"deleted", p.deleted},       {"caption", p.caption},
      {"hashtags", p.hashtags},           {"mentions", p.mentions},     {"media_ids", p.media_ids},
      {"created_at", p.created_at_ms},    {"edited_at", p.edited_at_ms}};
}

std::optional<PostRecord> PostFromJson(PostId id, std::string_view text) {
  auto j = ParseJsonObject(text);
  if (!j.ok()) return std::nullopt;
  auto author = UserId::Parse(j->value("author", ""));
  if (!author) return std::nullopt;
  PostRecord p;
  p.id = id;
  p.author_id = *author;
  p.deleted = j->value("deleted", false);
  p.caption = j->value("caption", "");
  p.hashtags = j->value("hashtags", std::vector<std::string>{});
  p.mentions = j->value("mentions", std::vector<std::string>{});
  p.media_ids = j->value("media_ids", std::vector<std::string>{});
  p.created_at_ms = j->value("created_at", int64_t{0});
  p.edited_at_ms = j->value("edited_at", int64_t{0});
  return p;
}

absl::Status Corrupt(const Event& e) {
  return absl::DataLossError("malformed " + e.type + " data in event " + e.id.ToString());
}

}  // namespace

PostRecord NewPostRecord(const PostContent& content, int64_t ts_ms) {
  PostRecord p;
  p.id = content.post_id;
  p.author_id = content.author_id;
  p.created_at_ms = ts_ms;
  p.media_ids = content.media_ids;
  p.caption = content.caption;
  p.hashtags = content.hashtags;
  p.mentions = content.mentions;
  return p;
}

absl::Status DecisionState::ApplySocial(const Event& e, ApplyContext& ctx) {
  if (e.type == kPostCreated || e.type == kPostEdited) {
    auto d = PostContent::FromJson(e.data);
    if (!d) return Corrupt(e);
    std::string key = BigEndian64(d->post_id.value());
    PostRecord p;
    if (e.type == kPostEdited) {
      ASSIGN_OR_RETURN(auto old, ctx.Get(kPosts, key));
      if (!old) return absl::OkStatus();
      auto parsed = PostFromJson(d->post_id, *old);
      if (!parsed) return absl::DataLossError("corrupt post record");
      p = *parsed;
      p.edited_at_ms = e.ts_ms;
      p.caption = d->caption;
      p.hashtags = d->hashtags;
      p.mentions = d->mentions;
    } else {
      p = NewPostRecord(*d, e.ts_ms);
    }
    ctx.Put(kPosts, key, DumpJson(PostJson(p)));
  } else if (e.type == kPostDeleted) {
    auto d = PostRef::FromJson(e.data);
    if (!d) return Corrupt(e);
    // Keep only the tombstone: the author, for "not yours" vs "not found".
    PostRecord p;
    p.id = d->post_id;
    p.author_id = d->author_id;
    p.deleted = true;
    ctx.Put(kPosts, BigEndian64(d->post_id.value()), DumpJson(PostJson(p)));
  } else if (e.type == kPostLiked || e.type == kPostUnliked) {
    auto d = Like::FromJson(e.data);
    if (!d) return Corrupt(e);
    std::string key = Pair(d->post_id.value(), d->user_id.value());
    if (e.type == kPostLiked) {
      ctx.Put(kLikes, key, "");
      ctx.AddToCounter(kPostCounts, CountKey(d->post_id, 'l'), 1);
    } else {
      ctx.Delete(kLikes, key);
      ctx.AddToCounter(kPostCounts, CountKey(d->post_id, 'l'), -1);
    }
  } else if (e.type == kCommentAdded || e.type == kCommentDeleted) {
    auto d = CommentData::FromJson(e.data);
    if (!d) return Corrupt(e);
    ctx.AddToCounter(kPostCounts, CountKey(d->post_id, 'c'), e.type == kCommentAdded ? 1 : -1);
    ctx.Put(kComments, BigEndian64(d->comment_id.value()),
            DumpJson(Json{{"post", d->post_id.ToString()},
                          {"author", d->user_id.ToString()},
                          {"post_author", d->post_author_id.ToString()},
                          {"deleted", e.type == kCommentDeleted}}));
  } else if (e.type == kUserFollowed || e.type == kFollowRequestApproved) {
    auto d = FollowEdge::FromJson(e.data);
    if (!d) return Corrupt(e);
    ctx.Put(kFollows, Pair(d->follower_id.value(), d->followee_id.value()), "");
    ctx.Delete(kRequests, Pair(d->followee_id.value(), d->follower_id.value()));
  } else if (e.type == kUserUnfollowed) {
    auto d = FollowEdge::FromJson(e.data);
    if (!d) return Corrupt(e);
    ctx.Delete(kFollows, Pair(d->follower_id.value(), d->followee_id.value()));
  } else if (e.type == kFollowRequested) {
    auto d = FollowEdge::FromJson(e.data);
    if (!d) return Corrupt(e);
    ctx.Put(kRequests, Pair(d->followee_id.value(), d->follower_id.value()), "");
  } else if (e.type == kFollowRequestRejected || e.type == kFollowRequestWithdrawn) {
    auto d = FollowEdge::FromJson(e.data);
    if (!d) return Corrupt(e);
    ctx.Delete(kRequests, Pair(d->followee_id.value(), d->follower_id.value()));
  } else if (e.type == kUserBlocked || e.type == kUserUnblocked) {
    auto d = BlockEdge::FromJson(e.data);
    if (!d) return Corrupt(e);
    std::string key = Pair(d->blocker_id.value(), d->blocked_id.value());
    if (e.type == kUserBlocked) {
      ctx.Put(kBlocks, key, "");
    } else {
      ctx.Delete(kBlocks, key);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> DecisionState::Exists(std::string_view cf, std::string_view key) const {
  ASSIGN_OR_RETURN(auto v, Read(cf, key));
  return v.has_value();
}

absl::StatusOr<std::optional<PostRecord>> DecisionState::GetPost(PostId id) const {
  ASSIGN_OR_RETURN(auto v, Read(kPosts, BigEndian64(id.value())));
  if (!v) return std::optional<PostRecord>();
  auto p = PostFromJson(id, *v);
  if (!p) return absl::DataLossError("corrupt post record");
  ASSIGN_OR_RETURN(auto likes, Read(kPostCounts, CountKey(id, 'l')));
  ASSIGN_OR_RETURN(auto comments, Read(kPostCounts, CountKey(id, 'c')));
  if (likes) p->like_count = DecodeCounter(*likes);
  if (comments) p->comment_count = DecodeCounter(*comments);
  return p;
}

absl::StatusOr<std::optional<CommentRecord>> DecisionState::GetComment(CommentId id) const {
  ASSIGN_OR_RETURN(auto v, Read(kComments, BigEndian64(id.value())));
  if (!v) return std::optional<CommentRecord>();
  auto j = ParseJsonObject(*v);
  if (!j.ok()) return absl::DataLossError("corrupt comment record");
  auto post = PostId::Parse(j->value("post", ""));
  auto author = UserId::Parse(j->value("author", ""));
  auto post_author = UserId::Parse(j->value("post_author", ""));
  if (!post || !author || !post_author) return absl::DataLossError("corrupt comment record");
  return std::optional<CommentRecord>(
      CommentRecord{id, *post, *author, *post_author, j->value("deleted", false)});
}

absl::StatusOr<bool> DecisionState::HasLiked(PostId post, UserId user) const {
  return Exists(kLikes, Pair(post.value(), user.value()));
}

absl::StatusOr<bool> DecisionState::Follows(UserId follower, UserId followee) const {
  return Exists(kFollows, Pair(follower.value(), followee.value()));
}

absl::StatusOr<bool> DecisionState::HasRequested(UserId follower, UserId followee) const {
  return Exists(kRequests, Pair(followee.value(), follower.value()));
}

absl::StatusOr<bool> DecisionState::Blocks(UserId blocker, UserId blocked) const {
  return Exists(kBlocks, Pair(blocker.value(), blocked.value()));
}

absl::StatusOr<std::vector<UserId>> DecisionState::PendingRequests(UserId followee) const {
  std::string prefix = BigEndian64(followee.value());
  std::string upper = BigEndian64(followee.value() + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(store_->db()->NewIterator(ro, store_->cf(kRequests)));
  std::vector<UserId> out;
  for (it->Seek(prefix); it->Valid(); it->Next())
    out.emplace_back(ReadBigEndian64(it->key().ToStringView().substr(8)));
  if (!it->status().ok()) return FromRocks(it->status());
  return out;
}

}  // namespace lens
