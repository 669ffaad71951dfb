// decide(command, state) -> events | error for posts, likes, comments,
// follows and blocks. Pure: the caller reads the state the rule needs into
// the small structs below and the decider returns the events to append.
#ifndef LENS_COMMANDS_SOCIAL_DECIDER_H_
#define LENS_COMMANDS_SOCIAL_DECIDER_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "commands/decision_state.h"
#include "events/event.h"
#include "events/social_events.h"

namespace lens {

// How a viewer stands towards an author.
struct Relationship {
  bool self = false;  // viewer is the author
  bool author_private = false;
  bool follows = false;  // viewer follows the author (approved)
  bool blocked = false;  // either blocked the other
};
// Whether the viewer may see the author's posts (and like or comment them).
bool CanSee(const Relationship& r);

absl::StatusOr<std::vector<Event>> DecideCreatePost(const PostContent& post);

// `post` is the decision state's record (nullopt: unknown).
absl::StatusOr<std::vector<Event>> DecideEditPost(UserId viewer,
                                                  const std::optional<PostRecord>& post,
                                                  const PostContent& edit);
absl::StatusOr<std::vector<Event>> DecideDeletePost(UserId viewer,
                                                    const std::optional<PostRecord>& post);

// No event when the like already is (or is not) there.
absl::StatusOr<std::vector<Event>> DecideLike(UserId viewer, const std::optional<PostRecord>& post,
                                              const Relationship& rel, bool already_liked);
absl::StatusOr<std::vector<Event>> DecideUnlike(UserId viewer,
                                                const std::optional<PostRecord>& post,
                                                const Relationship& rel, bool liked);

absl::StatusOr<std::vector<Event>> DecideAddComment(const CommentData& comment,
                                                    const std::optional<PostRecord>& post,
                                                    const Relationship& rel);
absl::StatusOr<std::vector<Event>> DecideDeleteComment(UserId viewer,
                                                       const std::optional<CommentRecord>& comment);

// The state of a pair of accounts, as the follow and block rules see it.
struct PairState {
  bool target_exists = false;
  bool target_private = false;
  bool viewer_blocks_target = false;
  bool target_blocks_viewer = false;
  bool viewer_follows_target = false;
  bool target_follows_viewer = false;
  bool viewer_requested_target = false;  // pending request viewer -> target
  bool target_requested_viewer = false;  // pending request target -> viewer
};

absl::StatusOr<std::vector<Event>> DecideFollow(UserId viewer, UserId target, const PairState& s);
absl::StatusOr<std::vector<Event>> DecideUnfollow(UserId viewer, UserId target, const PairState& s);
// `owner` approves or rejects `requester`; s.target_requested_viewer must be
// the pending request requester -> owner (viewer = owner, target = requester).
absl::StatusOr<std::vector<Event>> DecideApproveRequest(UserId owner, UserId requester,
                                                        const PairState& s);
absl::StatusOr<std::vector<Event>> DecideRejectRequest(UserId owner, UserId requester,
                                                       const PairState& s);
// Ends follows and requests both ways, each on its own key.
absl::StatusOr<std::vector<Event>> DecideBlock(UserId viewer, UserId target, const PairState& s);
absl::StatusOr<std::vector<Event>> DecideUnblock(UserId viewer, UserId target, const PairState& s);

// Approvals of every pending request, for an account turning public.
std::vector<Event> ApproveAll(UserId owner, const std::vector<UserId>& requesters);

}  // namespace lens

#endif  // LENS_COMMANDS_SOCIAL_DECIDER_H_
