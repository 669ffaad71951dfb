// DecisionState: the direct-message part (conversations, members, client
// message ids, read markers) — what the message commands decide on.
#include "base/big_endian.h"
#include "base/status_macros.h"
#include "commands/decision_state.h"
#include "projector/apply_context.h"

namespace lens {
namespace {

constexpr char kConversations[] = "conversations";
constexpr char kDirectPairs[] = "direct_pairs";
constexpr char kClientMessages[] = "client_messages";
constexpr char kConversationReads[] = "conversation_reads";
constexpr char kNotificationReads[] = "notification_reads";

std::string Pair(uint64_t a, uint64_t b) {
  std::string k = BigEndian64(a);
  AppendBigEndian64(&k, b);
  return k;
}

std::string DirectKey(UserId a, UserId b) {
  return Pair(std::min(a.value(), b.value()), std::max(a.value(), b.value()));
}

std::string ClientKey(ConversationId c, UserId sender, std::string_view client_id) {
  std::string k = Pair(c.value(), sender.value());
  k += client_id;
  return k;
}

Json ConversationJson(const ConversationRecord& c) {
  Json members = Json::array();
  for (const auto& [id, m] : c.members)
    members.push_back(Json{{"id", id.ToString()}, {"admin", m.admin}, {"state", m.state}});
  return Json{{"group", c.group},
              {"name", c.name},
              {"members", std::move(members)},
              {"last_message", c.last_message.value()}};
}

std::optional<ConversationRecord> ConversationFromJson(ConversationId id, std::string_view text) {
  auto j = ParseJsonObject(text);
  if (!j.ok()) return std::nullopt;
  ConversationRecord c;
  c.id = id;
  c.group = j->value("group", false);
  c.name = j->value("name", "");
  c.last_message = MessageId(j->value("last_message", uint64_t{0}));
  auto it = j->find("members");
  if (it == j->end() || !it->is_array()) return std::nullopt;
  for (const Json& m : *it) {
    auto user = UserId::Parse(m.value("id", ""));
    if (!user) return std::nullopt;
    c.members.push_back(
        {*user, ConversationMemberRecord{m.value("admin", false), m.value("state", "")}});
  }
  return c;
}

absl::Status Corrupt(const Event& e) {
  return absl::DataLossError("malformed " + e.type + " data in event " + e.id.ToString());
}

absl::StatusOr<std::optional<ConversationRecord>> Load(ApplyContext& ctx, ConversationId id) {
  ASSIGN_OR_RETURN(auto v, ctx.Get(kConversations, BigEndian64(id.value())));
  if (!v) return std::optional<ConversationRecord>();
  auto c = ConversationFromJson(id, *v);
  if (!c) return absl::DataLossError("corrupt conversation record");
  return c;
}

void Save(ApplyContext& ctx, const ConversationRecord& c) {
  ctx.Put(kConversations, BigEndian64(c.id.value()), DumpJson(ConversationJson(c)));
}

ConversationMemberRecord* FindMutable(ConversationRecord& c, UserId user) {
  for (auto& [id, m] : c.members)
    if (id == user) return &m;
  return nullptr;
}

// Raises a stored BE64 marker; never lowers it.
absl::Status RaiseMarker(ApplyContext& ctx, const char* cf, const std::string& key,
                         uint64_t up_to) {
  ASSIGN_OR_RETURN(auto v, ctx.Get(cf, key));
  uint64_t current = v && v->size() == 8 ? ReadBigEndian64(*v) : 0;
  if (up_to > current) ctx.Put(cf, key, BigEndian64(up_to));
  return absl::OkStatus();
}

}  // namespace

const ConversationMemberRecord* ConversationRecord::Find(UserId user) const {
  for (const auto& [id, m] : members)
    if (id == user) return &m;
  return nullptr;
}

bool DecisionState::IsMessageEvent(std::string_view t) {
  return t == kConversationStarted || t == kConversationMembersAdded ||
         t == kConversationMemberRemoved || t == kConversationRenamed || t == kMessageSent ||
         t == kMessageRequestAccepted || t == kMessageRequestDeclined ||
         t == kConversationRead || t == kNotificationsRead;
}

absl::Status DecisionState::ApplyMessages(const Event& e, ApplyContext& ctx) {
  if (e.type == kConversationStarted || e.type == kConversationMembersAdded) {
    auto d = ConversationMembers::FromJson(e.data);
    if (!d) return Corrupt(e);
    ConversationRecord c;
    if (e.type == kConversationStarted) {
      ASSIGN_OR_RETURN(auto existing, Load(ctx, d->conversation_id));
      if (existing) return absl::OkStatus();
      c.id = d->conversation_id;
      c.group = d->group;
      c.name = d->name;
      if (!d->group && d->members.size() == 2)
        ctx.Put(kDirectPairs, DirectKey(d->members[0].user_id, d->members[1].user_id),
                BigEndian64(c.id.value()));
    } else {
      ASSIGN_OR_RETURN(auto existing, Load(ctx, d->conversation_id));
      if (!existing) return absl::OkStatus();
      c = std::move(*existing);
    }
    for (const ConversationMember& m : d->members)
      if (!c.Find(m.user_id)) c.members.push_back({m.user_id, {m.admin, m.state}});
    Save(ctx, c);
  } else if (e.type == kConversationMemberRemoved) {
    auto d = MemberRemoved::FromJson(e.data);
    if (!d) return Corrupt(e);
    ASSIGN_OR_RETURN(auto c, Load(ctx, d->conversation_id));
    if (!c) return absl::OkStatus();
    std::erase_if(c->members, [&](const auto& m) { return m.first == d->user_id; });
    if (d->new_admin_id.valid())
      if (auto* m = FindMutable(*c, d->new_admin_id)) m->admin = true;
    ctx.Delete(kConversationReads, Pair(c->id.value(), d->user_id.value()));
    Save(ctx, *c);
  } else if (e.type == kConversationRenamed) {
    auto d = ConversationRenamed::FromJson(e.data);
    if (!d) return Corrupt(e);
    ASSIGN_OR_RETURN(auto c, Load(ctx, d->conversation_id));
    if (!c) return absl::OkStatus();
    c->name = d->name;
    Save(ctx, *c);
  } else if (e.type == kMessageSent) {
    auto d = MessageSent::FromJson(e.data);
    if (!d) return Corrupt(e);
    ASSIGN_OR_RETURN(auto c, Load(ctx, d->conversation_id));
    if (!c) return absl::OkStatus();
    if (d->message_id.value() > c->last_message.value()) {
      c->last_message = d->message_id;
      Save(ctx, *c);
    }
    if (!d->client_id.empty())
      ctx.Put(kClientMessages, ClientKey(d->conversation_id, d->sender_id, d->client_id),
              BigEndian64(d->message_id.value()));
    // Sending reads the conversation up to one's own message.
    RETURN_IF_ERROR(RaiseMarker(ctx, kConversationReads,
                                Pair(d->conversation_id.value(), d->sender_id.value()),
                                d->message_id.value()));
  } else if (e.type == kMessageRequestAccepted || e.type == kMessageRequestDeclined) {
    auto d = MessageRequestAnswer::FromJson(e.data);
    if (!d) return Corrupt(e);
    ASSIGN_OR_RETURN(auto c, Load(ctx, d->conversation_id));
    if (!c) return absl::OkStatus();
    if (auto* m = FindMutable(*c, d->user_id))
      m->state = std::string(e.type == kMessageRequestAccepted ? kMemberActive : kMemberDeclined);
    Save(ctx, *c);
  } else if (e.type == kConversationRead) {
    auto d = ConversationRead::FromJson(e.data);
    if (!d) return Corrupt(e);
    RETURN_IF_ERROR(RaiseMarker(ctx, kConversationReads,
                                Pair(d->conversation_id.value(), d->user_id.value()),
                                d->up_to.value()));
  } else if (e.type == kNotificationsRead) {
    auto d = NotificationsRead::FromJson(e.data);
    if (!d) return Corrupt(e);
    RETURN_IF_ERROR(
        RaiseMarker(ctx, kNotificationReads, BigEndian64(d->user_id.value()), d->up_to));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<ConversationRecord>> DecisionState::GetConversation(
    ConversationId id) const {
  ASSIGN_OR_RETURN(auto v, Read(kConversations, BigEndian64(id.value())));
  if (!v) return std::optional<ConversationRecord>();
  auto c = ConversationFromJson(id, *v);
  if (!c) return absl::DataLossError("corrupt conversation record");
  return c;
}

absl::StatusOr<std::optional<ConversationId>> DecisionState::FindDirect(UserId a,
                                                                        UserId b) const {
  ASSIGN_OR_RETURN(auto v, Read(kDirectPairs, DirectKey(a, b)));
  if (!v || v->size() != 8) return std::optional<ConversationId>();
  return std::optional<ConversationId>(ConversationId(ReadBigEndian64(*v)));
}

absl::StatusOr<std::optional<MessageId>> DecisionState::FindClientMessage(
    ConversationId conversation, UserId sender, std::string_view client_id) const {
  ASSIGN_OR_RETURN(auto v, Read(kClientMessages, ClientKey(conversation, sender, client_id)));
  if (!v || v->size() != 8) return std::optional<MessageId>();
  return std::optional<MessageId>(MessageId(ReadBigEndian64(*v)));
}

absl::StatusOr<uint64_t> DecisionState::ConversationReadUpTo(ConversationId conversation,
                                                             UserId user) const {
  ASSIGN_OR_RETURN(auto v, Read(kConversationReads, Pair(conversation.value(), user.value())));
  return v && v->size() == 8 ? ReadBigEndian64(*v) : 0;
}

absl::StatusOr<uint64_t> DecisionState::NotificationsReadUpTo(UserId user) const {
  ASSIGN_OR_RETURN(auto v, Read(kNotificationReads, BigEndian64(user.value())));
  return v && v->size() == 8 ? ReadBigEndian64(*v) : 0;
}

}  // namespace lens
