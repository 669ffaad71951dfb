// Social events: posts, likes, comments, the follow graph and blocks.
//
// Partition keys (DESIGN.md: the aggregate the event is about):
//   post, like and comment events  -> "post:<post id>"
//   follow-graph events            -> "user:<followee>"  (so a request, its
//                                     approval and an unfollow stay in order)
//   block events                   -> "user:<blocker>"
// A block that ends follows also appends the UserUnfollowed /
// FollowRequestWithdrawn events, on their own keys, so that every edge's
// history is ordered on one partition.
#ifndef LENS_EVENTS_SOCIAL_EVENTS_H_
#define LENS_EVENTS_SOCIAL_EVENTS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/strong_id.h"

namespace lens {

std::string PostKey(PostId id);

inline constexpr std::string_view kPostCreated = "PostCreated";
inline constexpr std::string_view kPostEdited = "PostEdited";
inline constexpr std::string_view kPostDeleted = "PostDeleted";
inline constexpr std::string_view kPostLiked = "PostLiked";
inline constexpr std::string_view kPostUnliked = "PostUnliked";
inline constexpr std::string_view kCommentAdded = "CommentAdded";
inline constexpr std::string_view kCommentDeleted = "CommentDeleted";
inline constexpr std::string_view kUserFollowed = "UserFollowed";
inline constexpr std::string_view kUserUnfollowed = "UserUnfollowed";
inline constexpr std::string_view kFollowRequested = "FollowRequested";
inline constexpr std::string_view kFollowRequestApproved = "FollowRequestApproved";
inline constexpr std::string_view kFollowRequestRejected = "FollowRequestRejected";
inline constexpr std::string_view kFollowRequestWithdrawn = "FollowRequestWithdrawn";
inline constexpr std::string_view kUserBlocked = "UserBlocked";
inline constexpr std::string_view kUserUnblocked = "UserUnblocked";

// PostCreated and PostEdited (media_ids only on creation).
struct PostContent {
  PostId post_id;
  UserId author_id;
  std::string caption;
  std::vector<std::string> hashtags;  // lower-case, without '#'
  std::vector<std::string> mentions;  // lower-case usernames, without '@'
  std::vector<std::string> media_ids;
  // The accounts `mentions` named when the command ran (unknown names are
  // not resolved), for mention notifications. Absent in older events.
  std::vector<UserId> mention_ids;
  Json ToJson() const;
  static std::optional<PostContent> FromJson(const Json& j);
};

// PostDeleted.
struct PostRef {
  PostId post_id;
  UserId author_id;
  Json ToJson() const;
  static std::optional<PostRef> FromJson(const Json& j);
};

// PostLiked and PostUnliked.
struct Like {
  PostId post_id;
  UserId user_id;
  UserId author_id;  // of the post
  Json ToJson() const;
  static std::optional<Like> FromJson(const Json& j);
};

// CommentAdded (text set) and CommentDeleted (deleted_by set).
struct CommentData {
  CommentId comment_id;
  PostId post_id;
  UserId user_id;  // the comment's author
  UserId post_author_id;
  std::string text;
  UserId deleted_by;
  std::vector<UserId> mention_ids;  // accounts @mentioned in `text` (CommentAdded)
  Json ToJson() const;
  static std::optional<CommentData> FromJson(const Json& j);
};

// Every follow-graph event: followed, unfollowed, requested, approved,
// rejected, withdrawn.
struct FollowEdge {
  UserId follower_id;
  UserId followee_id;
  Json ToJson() const;
  static std::optional<FollowEdge> FromJson(const Json& j);
};

// UserBlocked and UserUnblocked.
struct BlockEdge {
  UserId blocker_id;
  UserId blocked_id;
  Json ToJson() const;
  static std::optional<BlockEdge> FromJson(const Json& j);
};

}  // namespace lens

#endif  // LENS_EVENTS_SOCIAL_EVENTS_H_
