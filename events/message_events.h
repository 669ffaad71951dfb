// Direct-message and inbox events: conversations, their members, messages,
// message requests and read markers.
//
// Partition keys: every conversation event -> "conversation:<id>", so a
// conversation's membership and messages stay in order on one partition;
// NotificationsRead -> "user:<id>".
//
// Member states: "active" (in the inbox), "requested" (a message request
// the member has not answered: a private account that does not follow the
// one who wrote first), "declined" (the member declined the request: the
// conversation no longer reaches them).
#ifndef LENS_EVENTS_MESSAGE_EVENTS_H_
#define LENS_EVENTS_MESSAGE_EVENTS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/strong_id.h"

namespace lens {

std::string ConversationKey(ConversationId id);

inline constexpr std::string_view kConversationStarted = "ConversationStarted";
inline constexpr std::string_view kConversationMembersAdded = "ConversationMembersAdded";
inline constexpr std::string_view kConversationMemberRemoved = "ConversationMemberRemoved";
inline constexpr std::string_view kConversationRenamed = "ConversationRenamed";
inline constexpr std::string_view kMessageSent = "MessageSent";
inline constexpr std::string_view kMessageRequestAccepted = "MessageRequestAccepted";
inline constexpr std::string_view kMessageRequestDeclined = "MessageRequestDeclined";
inline constexpr std::string_view kConversationRead = "ConversationRead";
inline constexpr std::string_view kNotificationsRead = "NotificationsRead";

inline constexpr std::string_view kMemberActive = "active";
inline constexpr std::string_view kMemberRequested = "requested";
inline constexpr std::string_view kMemberDeclined = "declined";

struct ConversationMember {
  UserId user_id;
  bool admin = false;
  std::string state = std::string(kMemberActive);
};

// ConversationStarted (kind, name, started_by, members) and
// ConversationMembersAdded (started_by = who added them, members = the new).
struct ConversationMembers {
  ConversationId conversation_id;
  bool group = false;  // "group" or "direct"
  std::string name;    // groups only; may be empty
  UserId by;
  std::vector<ConversationMember> members;
  Json ToJson() const;
  static std::optional<ConversationMembers> FromJson(const Json& j);
};

// ConversationMemberRemoved: `by` == `user_id` when the member left. When
// the last admin leaves, `new_admin_id` names the member promoted.
struct MemberRemoved {
  ConversationId conversation_id;
  UserId user_id;
  UserId by;
  UserId new_admin_id;  // invalid when none
  Json ToJson() const;
  static std::optional<MemberRemoved> FromJson(const Json& j);
};

struct ConversationRenamed {
  ConversationId conversation_id;
  UserId by;
  std::string name;
  Json ToJson() const;
  static std::optional<ConversationRenamed> FromJson(const Json& j);
};

struct MessageSent {
  ConversationId conversation_id;
  MessageId message_id;
  UserId sender_id;
  std::string text;
  std::vector<std::string> media_ids;
  std::string client_id;  // the sender's id for the message ("" if none)
  // The members it was delivered to as a regular message (active members
  // other than the sender), for notifications.
  std::vector<UserId> recipient_ids;
  Json ToJson() const;
  static std::optional<MessageSent> FromJson(const Json& j);
};

// MessageRequestAccepted, MessageRequestDeclined.
struct MessageRequestAnswer {
  ConversationId conversation_id;
  UserId user_id;
  Json ToJson() const;
  static std::optional<MessageRequestAnswer> FromJson(const Json& j);
};

// ConversationRead: `user_id` has read every message up to `up_to`.
struct ConversationRead {
  ConversationId conversation_id;
  UserId user_id;
  MessageId up_to;
  Json ToJson() const;
  static std::optional<ConversationRead> FromJson(const Json& j);
};

// NotificationsRead: every notification with an id <= up_to is read.
struct NotificationsRead {
  UserId user_id;
  uint64_t up_to = 0;
  Json ToJson() const;
  static std::optional<NotificationsRead> FromJson(const Json& j);
};

}  // namespace lens

#endif  // LENS_EVENTS_MESSAGE_EVENTS_H_
