// decide(command, state) -> events | error for direct messages: starting
// conversations (1:1 and groups), membership, messages, message requests
// and read markers. Pure: the command API reads the state into the small
// structs below.
//
// Rules (docs/messages-api.md):
//   - nobody messages across a block (either way): 403 "blocked";
//   - a private account that does not follow the one who writes first gets
//     the conversation as a message request (member state "requested"),
//     which it accepts or declines; replying accepts it;
//   - groups hold at most 250 members; admins add and remove members,
//     anyone leaves; when the last admin leaves, the longest-standing
//     member becomes admin;
//   - only members read or write a conversation: 403 "not_a_member".
#ifndef LENS_COMMANDS_MESSAGE_DECIDER_H_
#define LENS_COMMANDS_MESSAGE_DECIDER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "commands/decision_state.h"
#include "events/event.h"
#include "events/message_events.h"

namespace lens {

inline constexpr size_t kMaxGroupMembers = 250;
inline constexpr size_t kMaxMessageChars = 4000;
inline constexpr size_t kMaxConversationNameChars = 100;
inline constexpr size_t kMaxMessageMedia = 10;

// How the acting user stands towards one account they want in a
// conversation.
struct MemberCheck {
  UserId user;
  bool exists = false;
  bool blocked = false;        // either blocked the other
  bool needs_request = false;  // private, and does not follow the actor
};

absl::StatusOr<std::vector<Event>> DecideStartConversation(ConversationId id, UserId creator,
                                                           bool group, const std::string& name,
                                                           const std::vector<MemberCheck>& others);

struct NewMessage {
  MessageId id;
  std::string text;
  std::vector<std::string> media_ids;
  std::string client_id;
};

// `blocked`: for a 1:1 conversation, whether the two members block each
// other (either way). In groups blocks do not stop messages; notifications
// between blocked members are still never shown.
absl::StatusOr<std::vector<Event>> DecideSendMessage(const std::optional<ConversationRecord>& c,
                                                     UserId sender, const NewMessage& message,
                                                     bool blocked);

absl::StatusOr<std::vector<Event>> DecideAddMembers(const std::optional<ConversationRecord>& c,
                                                    UserId actor,
                                                    const std::vector<MemberCheck>& added);
absl::StatusOr<std::vector<Event>> DecideRemoveMember(const std::optional<ConversationRecord>& c,
                                                      UserId actor, UserId member);
absl::StatusOr<std::vector<Event>> DecideRename(const std::optional<ConversationRecord>& c,
                                                UserId actor, const std::string& name);
absl::StatusOr<std::vector<Event>> DecideAnswerRequest(const std::optional<ConversationRecord>& c,
                                                       UserId user, bool accept);
// `up_to` 0 means the newest message; no event when it would not advance
// `current` (the member's marker).
absl::StatusOr<std::vector<Event>> DecideReadConversation(
    const std::optional<ConversationRecord>& c, UserId user, uint64_t up_to, uint64_t current);
absl::StatusOr<std::vector<Event>> DecideReadNotifications(UserId user, uint64_t up_to,
                                                           uint64_t current);

// The member record of `user` if they may read `c` (active or requested):
// 404 for an unknown conversation, 403 otherwise.
absl::StatusOr<const ConversationMemberRecord*> RequireReader(
    const std::optional<ConversationRecord>& c, UserId user);

}  // namespace lens

#endif  // LENS_COMMANDS_MESSAGE_DECIDER_H_
