#include "commands/social_decider.h"

#include "events/upcasters.h"
#include "http/http_message.h"

namespace lens {
namespace {

Event Make(std::string_view type, std::string key, Json data) {
  Event e;
  e.type = std::string(type);
  e.v = CurrentVersion(type);
  e.key = std::move(key);
  e.data = std::move(data);
  return e;
}

Event FollowEvent(std::string_view type, UserId follower, UserId followee) {
  return Make(type, UserKey(followee), FollowEdge{follower, followee}.ToJson());
}

absl::Status PostNotFound() {
  return ApiError(absl::StatusCode::kNotFound, "post_not_found", "no such post");
}
absl::Status AccountNotFound() {
  return ApiError(absl::StatusCode::kNotFound, "account_not_found", "no such account");
}
absl::Status NotYours(std::string_view what) {
  return ApiError(absl::StatusCode::kPermissionDenied, "forbidden",
                  "only its author may change this " + std::string(what));
}

}  // namespace

bool CanSee(const Relationship& r) {
  if (r.self) return true;
  if (r.blocked) return false;
  return !r.author_private || r.follows;
}

absl::StatusOr<std::vector<Event>> DecideCreatePost(const PostContent& post) {
  if (post.caption.empty() && post.media_ids.empty())
    return ApiError(absl::StatusCode::kInvalidArgument, "empty_post",
                    "a post needs a caption or media", "caption");
  return std::vector<Event>{Make(kPostCreated, PostKey(post.post_id), post.ToJson())};
}

absl::StatusOr<std::vector<Event>> DecideEditPost(UserId viewer,
                                                  const std::optional<PostRecord>& post,
                                                  const PostContent& edit) {
  if (!post || post->deleted) return PostNotFound();
  if (post->author_id != viewer) return NotYours("post");
  PostContent e = edit;
  e.post_id = post->id;  // key and data name the same post
  e.author_id = post->author_id;
  e.media_ids.clear();
  return std::vector<Event>{Make(kPostEdited, PostKey(post->id), e.ToJson())};
}

absl::StatusOr<std::vector<Event>> DecideDeletePost(UserId viewer,
                                                    const std::optional<PostRecord>& post) {
  if (!post || post->deleted) return PostNotFound();
  if (post->author_id != viewer) return NotYours("post");
  return std::vector<Event>{
      Make(kPostDeleted, PostKey(post->id), PostRef{post->id, viewer}.ToJson())};
}

absl::StatusOr<std::vector<Event>> DecideLike(UserId viewer, const std::optional<PostRecord>& post,
                                              const Relationship& rel, bool already_liked) {
  if (!post || post->deleted || !CanSee(rel)) return PostNotFound();
  if (already_liked) return std::vector<Event>{};
  return std::vector<Event>{
      Make(kPostLiked, PostKey(post->id), Like{post->id, viewer, post->author_id}.ToJson())};
}

absl::StatusOr<std::vector<Event>> DecideUnlike(UserId viewer,
                                                const std::optional<PostRecord>& post,
                                                const Relationship& rel, bool liked) {
  // Taking a like back stays possible after losing sight of the post.
  if (!post || post->deleted || (!CanSee(rel) && !liked)) return PostNotFound();
  if (!liked) return std::vector<Event>{};
  return std::vector<Event>{
      Make(kPostUnliked, PostKey(post->id), Like{post->id, viewer, post->author_id}.ToJson())};
}

absl::StatusOr<std::vector<Event>> DecideAddComment(const CommentData& comment,
                                                    const std::optional<PostRecord>& post,
                                                    const Relationship& rel) {
  if (!post || post->deleted || !CanSee(rel)) return PostNotFound();
  CommentData c = comment;
  c.post_author_id = post->author_id;
  return std::vector<Event>{Make(kCommentAdded, PostKey(post->id), c.ToJson())};
}

absl::StatusOr<std::vector<Event>> DecideDeleteComment(
    UserId viewer, const std::optional<CommentRecord>& comment) {
  if (!comment || comment->deleted)
    return ApiError(absl::StatusCode::kNotFound, "comment_not_found", "no such comment");
  if (viewer != comment->author_id && viewer != comment->post_author_id)
    return ApiError(absl::StatusCode::kPermissionDenied, "forbidden",
                    "only the comment's author or the post's author may delete it");
  CommentData c;
  c.comment_id = comment->id;
  c.post_id = comment->post_id;
  c.user_id = comment->author_id;
  c.post_author_id = comment->post_author_id;
  c.deleted_by = viewer;
  return std::vector<Event>{Make(kCommentDeleted, PostKey(comment->post_id), c.ToJson())};
}

absl::StatusOr<std::vector<Event>> DecideFollow(UserId viewer, UserId target, const PairState& s) {
  if (viewer == target)
    return ApiError(absl::StatusCode::kInvalidArgument, "cannot_follow_self",
                    "you cannot follow yourself");
  if (!s.target_exists || s.target_blocks_viewer) return AccountNotFound();
  if (s.viewer_blocks_target)
    return ApiError(absl::StatusCode::kPermissionDenied, "blocked",
                    "you blocked this account; unblock it first");
  if (s.viewer_follows_target || s.viewer_requested_target) return std::vector<Event>{};
  return std::vector<Event>{
      FollowEvent(s.target_private ? kFollowRequested : kUserFollowed, viewer, target)};
}

absl::StatusOr<std::vector<Event>> DecideUnfollow(UserId viewer, UserId target,
                                                  const PairState& s) {
  if (!s.target_exists) return AccountNotFound();
  if (s.viewer_follows_target)
    return std::vector<Event>{FollowEvent(kUserUnfollowed, viewer, target)};
  if (s.viewer_requested_target)
    return std::vector<Event>{FollowEvent(kFollowRequestWithdrawn, viewer, target)};
  return std::vector<Event>{};
}

absl::StatusOr<std::vector<Event>> DecideApproveRequest(UserId owner, UserId requester,
                                                        const PairState& s) {
  if (!s.target_requested_viewer)
    return ApiError(absl::StatusCode::kNotFound, "request_not_found", "no such follow request");
  return std::vector<Event>{FollowEvent(kFollowRequestApproved, requester, owner)};
}

absl::StatusOr<std::vector<Event>> DecideRejectRequest(UserId owner, UserId requester,
                                                       const PairState& s) {
  if (!s.target_requested_viewer)
    return ApiError(absl::StatusCode::kNotFound, "request_not_found", "no such follow request");
  return std::vector<Event>{FollowEvent(kFollowRequestRejected, requester, owner)};
}

absl::StatusOr<std::vector<Event>> DecideBlock(UserId viewer, UserId target, const PairState& s) {
  if (viewer == target)
    return ApiError(absl::StatusCode::kInvalidArgument, "cannot_block_self",
                    "you cannot block yourself");
  if (!s.target_exists) return AccountNotFound();
  if (s.viewer_blocks_target) return std::vector<Event>{};
  std::vector<Event> events;
  events.push_back(Make(kUserBlocked, UserKey(viewer), BlockEdge{viewer, target}.ToJson()));
  if (s.viewer_follows_target) events.push_back(FollowEvent(kUserUnfollowed, viewer, target));
  if (s.target_follows_viewer) events.push_back(FollowEvent(kUserUnfollowed, target, viewer));
  if (s.viewer_requested_target)
    events.push_back(FollowEvent(kFollowRequestWithdrawn, viewer, target));
  if (s.target_requested_viewer)
    events.push_back(FollowEvent(kFollowRequestRejected, target, viewer));
  return events;
}

absl::StatusOr<std::vector<Event>> DecideUnblock(UserId viewer, UserId target, const PairState& s) {
  if (!s.target_exists) return AccountNotFound();
  if (!s.viewer_blocks_target) return std::vector<Event>{};
  return std::vector<Event>{
      Make(kUserUnblocked, UserKey(viewer), BlockEdge{viewer, target}.ToJson())};
}

std::vector<Event> ApproveAll(UserId owner, const std::vector<UserId>& requesters) {
  std::vector<Event> out;
  for (UserId r : requesters) out.push_back(FollowEvent(kFollowRequestApproved, r, owner));
  return out;
}

}  // namespace lens
