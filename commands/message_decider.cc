#include "commands/message_decider.h"

#include <algorithm>

#include "events/upcasters.h"
#include "http/http_message.h"

namespace lens {
namespace {

Event Make(std::string_view type, ConversationId c, Json data) {
  Event e;
  e.type = std::string(type);
  e.v = CurrentVersion(type);
  e.key = ConversationKey(c);
  e.data = std::move(data);
  return e;
}

absl::Status NotFound() {
  return ApiError(absl::StatusCode::kNotFound, "conversation_not_found", "no such conversation");
}
absl::Status NotAMember() {
  return ApiError(absl::StatusCode::kPermissionDenied, "not_a_member",
                  "you are not a member of this conversation");
}
absl::Status NotAGroup() {
  return ApiError(absl::StatusCode::kFailedPrecondition, "not_a_group",
                  "only group conversations have members to add or remove");
}

// Checks of accounts to be added: unknown ones are 404, blocked ones 403.
absl::Status CheckCandidates(const std::vector<MemberCheck>& checks) {
  for (const MemberCheck& m : checks) {
    if (!m.exists)
      return ApiError(absl::StatusCode::kNotFound, "account_not_found",
                      "no such account: " + m.user.ToString(), "member_ids");
    if (m.blocked)
      return ApiError(absl::StatusCode::kPermissionDenied, "blocked",
                      "you cannot message an account you blocked or that blocked you",
                      "member_ids");
  }
  return absl::OkStatus();
}

ConversationMember NewMember(const MemberCheck& m) {
  ConversationMember member;
  member.user_id = m.user;
  member.state = std::string(m.needs_request ? kMemberRequested : kMemberActive);
  return member;
}

}  // namespace

absl::StatusOr<const ConversationMemberRecord*> RequireReader(
    const std::optional<ConversationRecord>& c, UserId user) {
  if (!c) return NotFound();
  const ConversationMemberRecord* m = c->Find(user);
  if (m == nullptr || m->state == kMemberDeclined) return NotAMember();
  return m;
}

absl::StatusOr<std::vector<Event>> DecideStartConversation(ConversationId id, UserId creator,
                                                           bool group, const std::string& name,
                                                           const std::vector<MemberCheck>& others) {
  if (others.empty())
    return ApiError(absl::StatusCode::kInvalidArgument, "missing_members",
                    "a conversation needs at least one other member", "member_ids");
  if (others.size() + 1 > kMaxGroupMembers)
    return ApiError(absl::StatusCode::kInvalidArgument, "too_many_members",
                    "a group holds at most 250 members", "member_ids");
  if (!group && others.size() != 1)
    return ApiError(absl::StatusCode::kInvalidArgument, "invalid_members",
                    "a direct conversation has exactly one other member", "member_ids");
  if (absl::Status s = CheckCandidates(others); !s.ok()) return s;
  ConversationMembers c;
  c.conversation_id = id;
  c.group = group;
  c.name = group ? name : "";
  c.by = creator;
  c.members.push_back(ConversationMember{creator, group, std::string(kMemberActive)});
  for (const MemberCheck& m : others) c.members.push_back(NewMember(m));
  return std::vector<Event>{Make(kConversationStarted, id, c.ToJson())};
}

absl::StatusOr<std::vector<Event>> DecideSendMessage(const std::optional<ConversationRecord>& c,
                                                     UserId sender, const NewMessage& message,
                                                     bool blocked) {
  if (!c) return NotFound();
  const ConversationMemberRecord* me = c->Find(sender);
  if (me == nullptr) return NotAMember();
  if (blocked)
    return ApiError(absl::StatusCode::kPermissionDenied, "blocked",
                    "you cannot message an account you blocked or that blocked you");
  if (message.text.empty() && message.media_ids.empty())
    return ApiError(absl::StatusCode::kInvalidArgument, "empty_message",
                    "a message needs text or media", "text");
  std::vector<Event> events;
  // Answering a request (or writing again after declining it) accepts it.
  if (me->state != kMemberActive)
    events.push_back(
        Make(kMessageRequestAccepted, c->id, MessageRequestAnswer{c->id, sender}.ToJson()));
  MessageSent m;
  m.conversation_id = c->id;
  m.message_id = message.id;
  m.sender_id = sender;
  m.text = message.text;
  m.media_ids = message.media_ids;
  m.client_id = message.client_id;
  for (const auto& [user, member] : c->members)
    if (user != sender && member.state == kMemberActive) m.recipient_ids.push_back(user);
  events.push_back(Make(kMessageSent, c->id, m.ToJson()));
  return events;
}

absl::StatusOr<std::vector<Event>> DecideAddMembers(const std::optional<ConversationRecord>& c,
                                                    UserId actor,
                                                    const std::vector<MemberCheck>& added) {
  if (!c) return NotFound();
  const ConversationMemberRecord* me = c->Find(actor);
  if (me == nullptr || me->state != kMemberActive) return NotAMember();
  if (!c->group) return NotAGroup();
  if (!me->admin)
    return ApiError(absl::StatusCode::kPermissionDenied, "not_admin",
                    "only the group's admins add members");
  if (absl::Status s = CheckCandidates(added); !s.ok()) return s;
  ConversationMembers d;
  d.conversation_id = c->id;
  d.group = true;
  d.by = actor;
  for (const MemberCheck& m : added)
    if (c->Find(m.user) == nullptr) d.members.push_back(NewMember(m));
  if (d.members.empty()) return std::vector<Event>{};
  if (c->members.size() + d.members.size() > kMaxGroupMembers)
    return ApiError(absl::StatusCode::kInvalidArgument, "too_many_members",
                    "a group holds at most 250 members", "member_ids");
  return std::vector<Event>{Make(kConversationMembersAdded, c->id, d.ToJson())};
}

absl::StatusOr<std::vector<Event>> DecideRemoveMember(const std::optional<ConversationRecord>& c,
                                                      UserId actor, UserId member) {
  if (!c) return NotFound();
  const ConversationMemberRecord* me = c->Find(actor);
  if (me == nullptr) return NotAMember();
  if (!c->group) return NotAGroup();
  const ConversationMemberRecord* target = c->Find(member);
  if (target == nullptr)
    return ApiError(absl::StatusCode::kNotFound, "member_not_found",
                    "that account is not a member of this conversation");
  if (actor != member && !(me->admin && me->state == kMemberActive))
    return ApiError(absl::StatusCode::kPermissionDenied, "not_admin",
                    "only the group's admins remove members");
  MemberRemoved r{c->id, member, actor, UserId()};
  if (target->admin) {
    bool other_admin = std::any_of(c->members.begin(), c->members.end(), [&](const auto& m) {
      return m.first != member && m.second.admin;
    });
    if (!other_admin)
      for (const auto& [user, m] : c->members)
        if (user != member && m.state == kMemberActive) {
          r.new_admin_id = user;
          break;
        }
  }
  return std::vector<Event>{Make(kConversationMemberRemoved, c->id, r.ToJson())};
}

absl::StatusOr<std::vector<Event>> DecideRename(const std::optional<ConversationRecord>& c,
                                                UserId actor, const std::string& name) {
  if (!c) return NotFound();
  const ConversationMemberRecord* me = c->Find(actor);
  if (me == nullptr || me->state != kMemberActive) return NotAMember();
  if (!c->group) return NotAGroup();
  if (c->name == name) return std::vector<Event>{};
  return std::vector<Event>{
      Make(kConversationRenamed, c->id, ConversationRenamed{c->id, actor, name}.ToJson())};
}

absl::StatusOr<std::vector<Event>> DecideAnswerRequest(const std::optional<ConversationRecord>& c,
                                                       UserId user, bool accept) {
  if (!c) return NotFound();
  const ConversationMemberRecord* me = c->Find(user);
  if (me == nullptr) return NotAMember();
  if (me->state != kMemberRequested)
    return ApiError(absl::StatusCode::kNotFound, "request_not_found",
                    "this conversation is not a message request of yours");
  return std::vector<Event>{Make(accept ? kMessageRequestAccepted : kMessageRequestDeclined, c->id,
                                 MessageRequestAnswer{c->id, user}.ToJson())};
}

absl::StatusOr<std::vector<Event>> DecideReadConversation(
    const std::optional<ConversationRecord>& c, UserId user, uint64_t up_to, uint64_t current) {
  auto reader = RequireReader(c, user);
  if (!reader.ok()) return reader.status();
  uint64_t last = c->last_message.value();
  if (up_to == 0 || up_to > last) up_to = last;
  if (up_to <= current) return std::vector<Event>{};
  return std::vector<Event>{Make(kConversationRead, c->id,
                                 ConversationRead{c->id, user, MessageId(up_to)}.ToJson())};
}

absl::StatusOr<std::vector<Event>> DecideReadNotifications(UserId user, uint64_t up_to,
                                                           uint64_t current) {
  if (up_to <= current) return std::vector<Event>{};
  Event e;
  e.type = std::string(kNotificationsRead);
  e.v = CurrentVersion(kNotificationsRead);
  e.key = UserKey(user);
  e.data = NotificationsRead{user, up_to}.ToJson();
  return std::vector<Event>{std::move(e)};
}

}  // namespace lens
