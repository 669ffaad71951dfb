#include "projections/messages_projection.h"

#include <algorithm>

#include "base/big_endian.h"
#include "base/status_macros.h"
#include "base/time.h"
#include "events/message_events.h"
#include "readmodels/stream_log.h"
#include "views/views.h"

namespace lens {

using namespace messages_model;

namespace {

absl::Status Corrupt(const Event& e) {
  return absl::DataLossError("malformed " + e.type + " data in event " + e.id.ToString());
}

}  // namespace

std::vector<std::string> MessagesProjection::column_families() const {
  return messages_model::ColumnFamilies();
}

std::map<std::string, int64_t> MessagesProjection::expiring_families_ms() const {
  return {{stream_log::kStream, stream_log::kRetentionMs}};
}

// The types Apply below acts on.
bool MessagesProjection::Handles(std::string_view type) const {
  static constexpr std::string_view kTypes[] = {
      kConversationStarted, kConversationMembersAdded, kConversationMemberRemoved, kMessageSent,
      kMessageRequestAccepted, kMessageRequestDeclined, kConversationRead, kConversationRenamed};
  return std::find(std::begin(kTypes), std::end(kTypes), type) != std::end(kTypes);
}

absl::Status MessagesProjection::Apply(const Event& e, const LogPosition& pos, ApplyContext& ctx) {
  stream_.Begin(pos, e.ts_ms);
  return ApplyEvent(e, ctx);
}

absl::Status MessagesProjection::ApplyEvent(const Event& e, ApplyContext& ctx) {
  const std::string& t = e.type;
  if (t == kConversationStarted || t == kConversationMembersAdded) return OnMembers(e, ctx);
  if (t == kConversationMemberRemoved) return OnRemoved(e, ctx);
  if (t == kMessageSent) return OnMessage(e, ctx);
  if (t == kMessageRequestAccepted || t == kMessageRequestDeclined) return OnAnswer(e, ctx);
  if (t == kConversationRead) return OnRead(e, ctx);
  if (t == kConversationRenamed) {
    auto d = ConversationRenamed::FromJson(e.data);
    if (!d) return Corrupt(e);
    const uint64_t c = d->conversation_id.value();
    ASSIGN_OR_RETURN(auto v, ctx.Get(kConversations, BigEndian64(c)));
    if (!v) return absl::OkStatus();
    auto conv = ParseJsonObject(*v);
    if (!conv.ok()) return absl::DataLossError("corrupt conversation");
    (*conv)["name"] = d->name;
    ctx.Put(kConversations, BigEndian64(c), DumpJson(*conv));
    ASSIGN_OR_RETURN(auto members, LoadMembers(c, ctx));
    Push(ctx, members, "conversation.updated",
         Json{{"conversation_id", std::to_string(c)}, {"name", d->name}});
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<StoredMember>> MessagesProjection::LoadMembers(uint64_t conversation,
                                                                          ApplyContext& ctx) {
  std::string upper = BigEndian64(conversation + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  auto it = ctx.NewIterator(kMembers, ro);
  std::vector<StoredMember> out;
  for (it->Seek(BigEndian64(conversation)); it->Valid(); it->Next()) {
    std::string_view k = it->key().ToStringView();
    if (k.size() != 16) continue;
    auto m = StoredMember::FromJson(ReadBigEndian64(k.substr(8)), it->value().ToStringView());
    if (!m) return absl::DataLossError("corrupt conversation member");
    out.push_back(std::move(*m));
  }
  return out;
}

void MessagesProjection::SaveMember(uint64_t conversation, const StoredMember& m,
                                    ApplyContext& ctx) {
  ctx.Put(kMembers, Pair(conversation, m.user), DumpJson(m.ToJson()));
}

absl::StatusOr<char> MessagesProjection::FolderOf(uint64_t user, uint64_t conversation,
                                                  ApplyContext& ctx) {
  ASSIGN_OR_RETURN(auto pos, ctx.Get(kInboxPos, Pair(user, conversation)));
  return pos && pos->size() == 9 ? (*pos)[0] : '\0';
}

absl::Status MessagesProjection::PlaceInInbox(uint64_t user, uint64_t conversation, char folder,
                                              uint64_t activity, ApplyContext& ctx) {
  ASSIGN_OR_RETURN(auto pos, ctx.Get(kInboxPos, Pair(user, conversation)));
  if (pos && pos->size() == 9) {
    std::string old = BigEndian64(user);
    old.push_back((*pos)[0]);
    AppendBigEndian64(&old, ~ReadBigEndian64(std::string_view(*pos).substr(1)));
    ctx.Delete(kInbox, old);
  }
  if (folder == 0) {
    ctx.Delete(kInboxPos, Pair(user, conversation));
    return absl::OkStatus();
  }
  std::string key = BigEndian64(user);
  key.push_back(folder);
  AppendBigEndian64(&key, ~activity);
  ctx.Put(kInbox, key, BigEndian64(conversation));
  std::string value(1, folder);
  AppendBigEndian64(&value, activity);
  ctx.Put(kInboxPos, Pair(user, conversation), value);
  return absl::OkStatus();
}

absl::Status MessagesProjection::SetUnread(uint64_t user, uint64_t conversation, int64_t unread,
                                           bool in_totals, ApplyContext& ctx) {
  const std::string key = Pair(user, conversation);
  const int64_t before = ctx.GetCounter(kCounters, key);
  if (before == unread) return absl::OkStatus();
  if (unread == 0) {
    ctx.Delete(kCounters, key);
  } else {
    ctx.Put(kCounters, key, EncodeCounter(unread));
  }
  if (in_totals) {
    ctx.AddToCounter(kCounters, TotalKey(user, "unread"), unread - before);
    if ((before == 0) != (unread == 0))
      ctx.AddToCounter(kCounters, TotalKey(user, "unread_conversations"), unread == 0 ? -1 : 1);
  }
  return absl::OkStatus();
}

void MessagesProjection::Push(ApplyContext& ctx, const std::vector<StoredMember>& members,
                              std::string_view type, const Json& data) {
  for (const StoredMember& m : members)
    if (m.state != kMemberDeclined) stream_.Append(ctx, m.user, type, data);
}

absl::Status MessagesProjection::OnMembers(const Event& e, ApplyContext& ctx) {
  auto d = ConversationMembers::FromJson(e.data);
  if (!d) return Corrupt(e);
  const uint64_t c = d->conversation_id.value();
  ASSIGN_OR_RETURN(auto conv_value, ctx.Get(kConversations, BigEndian64(c)));
  const bool started = e.type == kConversationStarted;
  if (started == conv_value.has_value()) return absl::OkStatus();  // twice, or no conversation
  uint64_t activity = e.id.value();
  if (started) {
    ctx.Put(kConversations, BigEndian64(c),
            DumpJson(Json{{"group", d->group},
                          {"name", d->name},
                          {"created_by", d->by.value()},
                          {"created_at", e.ts_ms},
                          {"activity", activity}}));
  }
  for (const ConversationMember& member : d->members) {
    ASSIGN_OR_RETURN(auto existing, ctx.Get(kMembers, Pair(c, member.user_id.value())));
    if (existing) continue;
    StoredMember m;
    m.user = member.user_id.value();
    m.admin = member.admin;
    m.state = member.state;
    m.since = started ? 0 : e.id.value();
    SaveMember(c, m, ctx);
    RETURN_IF_ERROR(PlaceInInbox(m.user, c,
                                 m.state == kMemberRequested ? kRequestsFolder : kInboxFolder,
                                 activity, ctx));
  }
  ASSIGN_OR_RETURN(auto members, LoadMembers(c, ctx));
  Push(ctx, members, "conversation.updated", Json{{"conversation_id", std::to_string(c)}});
  return absl::OkStatus();
}

absl::Status MessagesProjection::OnRemoved(const Event& e, ApplyContext& ctx) {
  auto d = MemberRemoved::FromJson(e.data);
  if (!d) return Corrupt(e);
  const uint64_t c = d->conversation_id.value(), user = d->user_id.value();
  ASSIGN_OR_RETURN(auto existing, ctx.Get(kMembers, Pair(c, user)));
  if (!existing) return absl::OkStatus();
  ASSIGN_OR_RETURN(char folder, FolderOf(user, c, ctx));
  RETURN_IF_ERROR(SetUnread(user, c, 0, folder == kInboxFolder, ctx));
  RETURN_IF_ERROR(PlaceInInbox(user, c, 0, 0, ctx));
  ASSIGN_OR_RETURN(auto members, LoadMembers(c, ctx));  // the removed one included: told too
  ctx.Delete(kMembers, Pair(c, user));
  if (d->new_admin_id.valid())
    for (StoredMember& m : members)
      if (m.user == d->new_admin_id.value()) {
        m.admin = true;
        SaveMember(c, m, ctx);
      }
  Push(ctx, members, "conversation.updated",
       Json{{"conversation_id", std::to_string(c)},
            {"removed_id", std::to_string(user)},
            {"by", d->by.ToString()}});
  return absl::OkStatus();
}

absl::Status MessagesProjection::OnMessage(const Event& e, ApplyContext& ctx) {
  auto d = MessageSent::FromJson(e.data);
  if (!d) return Corrupt(e);
  const uint64_t c = d->conversation_id.value(), id = d->message_id.value();
  const std::string key = Pair(c, ~id);
  ASSIGN_OR_RETURN(auto exists, ctx.Get(kMessages, key));
  if (exists) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto conv_value, ctx.Get(kConversations, BigEndian64(c)));
  if (!conv_value) return absl::OkStatus();
  auto conv = ParseJsonObject(*conv_value);
  if (!conv.ok()) return absl::DataLossError("corrupt conversation");

  StoredMessage m;
  m.id = id;
  m.conversation = c;
  m.sender = d->sender_id.value();
  m.text = d->text;
  m.media_ids = d->media_ids;
  m.client_id = d->client_id;
  m.ts_ms = e.ts_ms;
  ctx.Put(kMessages, key, DumpJson(m.ToJson()));
  // The inbox shows the newest message (cross-partition replays may apply
  // an older one later: it does not take the preview back).
  const uint64_t last = (*conv).value("last_message_id", uint64_t{0});
  if (id > last) {
    (*conv)["last_message_id"] = id;
    (*conv)["activity"] = id;
    ctx.Put(kConversations, BigEndian64(c), DumpJson(*conv));
  }
  ASSIGN_OR_RETURN(auto members, LoadMembers(c, ctx));
  std::vector<StoredMember> told;
  for (StoredMember& member : members) {
    if (member.state == kMemberDeclined || id < member.since) continue;
    told.push_back(member);
    const char folder = member.state == kMemberRequested ? kRequestsFolder : kInboxFolder;
    if (id > last) RETURN_IF_ERROR(PlaceInInbox(member.user, c, folder, id, ctx));
    if (member.user == m.sender) {
      if (id > member.read_up_to) {
        member.read_up_to = id;  // one has read what one wrote
        SaveMember(c, member, ctx);
      }
    } else if (id > member.read_up_to) {
      const int64_t unread = ctx.GetCounter(kCounters, Pair(member.user, c));
      RETURN_IF_ERROR(SetUnread(member.user, c, unread + 1, folder == kInboxFolder, ctx));
    }
  }
  Push(ctx, told, "message", m.ApiJson());
  return absl::OkStatus();
}

absl::Status MessagesProjection::OnAnswer(const Event& e, ApplyContext& ctx) {
  auto d = MessageRequestAnswer::FromJson(e.data);
  if (!d) return Corrupt(e);
  const uint64_t c = d->conversation_id.value(), user = d->user_id.value();
  ASSIGN_OR_RETURN(auto v, ctx.Get(kMembers, Pair(c, user)));
  if (!v) return absl::OkStatus();
  auto m = StoredMember::FromJson(user, *v);
  if (!m) return absl::DataLossError("corrupt conversation member");
  const bool accept = e.type == kMessageRequestAccepted;
  const std::string_view state = accept ? kMemberActive : kMemberDeclined;
  if (m->state == state) return absl::OkStatus();
  m->state = std::string(state);
  SaveMember(c, *m, ctx);
  const int64_t unread = ctx.GetCounter(kCounters, Pair(user, c));
  if (accept) {
    ASSIGN_OR_RETURN(auto pos, ctx.Get(kInboxPos, Pair(user, c)));
    uint64_t activity =
        pos && pos->size() == 9 ? ReadBigEndian64(std::string_view(*pos).substr(1)) : e.id.value();
    RETURN_IF_ERROR(PlaceInInbox(user, c, kInboxFolder, activity, ctx));
    // Its unread messages count in the totals from now on.
    RETURN_IF_ERROR(SetUnread(user, c, 0, false, ctx));
    RETURN_IF_ERROR(SetUnread(user, c, unread, true, ctx));
  } else {
    RETURN_IF_ERROR(SetUnread(user, c, 0, false, ctx));
    RETURN_IF_ERROR(PlaceInInbox(user, c, 0, 0, ctx));
  }
  ASSIGN_OR_RETURN(auto members, LoadMembers(c, ctx));
  Push(ctx, members, "conversation.updated",
       Json{{"conversation_id", std::to_string(c)},
            {"member_id", std::to_string(user)},
            {"state", std::string(state)}});
  return absl::OkStatus();
}

absl::Status MessagesProjection::OnRead(const Event& e, ApplyContext& ctx) {
  auto d = ConversationRead::FromJson(e.data);
  if (!d) return Corrupt(e);
  const uint64_t c = d->conversation_id.value(), user = d->user_id.value();
  ASSIGN_OR_RETURN(auto v, ctx.Get(kMembers, Pair(c, user)));
  if (!v) return absl::OkStatus();
  auto m = StoredMember::FromJson(user, *v);
  if (!m) return absl::DataLossError("corrupt conversation member");
  if (d->up_to.value() <= m->read_up_to) return absl::OkStatus();
  m->read_up_to = d->up_to.value();
  SaveMember(c, *m, ctx);
  // Unread: the others' messages after the marker (a short walk: at most
  // the unread ones).
  int64_t unread = 0;
  {
    std::string upper = BigEndian64(c + 1);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    auto it = ctx.NewIterator(kMessages, ro);
    for (it->Seek(BigEndian64(c)); it->Valid(); it->Next()) {
      std::string_view k = it->key().ToStringView();
      if (k.size() != 16) continue;
      uint64_t id = ~ReadBigEndian64(k.substr(8));
      if (id <= m->read_up_to || id < m->since) break;
      auto msg = StoredMessage::FromJson(c, id, it->value().ToStringView());
      if (msg && msg->sender != user) ++unread;
    }
  }
  ASSIGN_OR_RETURN(char folder, FolderOf(user, c, ctx));
  RETURN_IF_ERROR(SetUnread(user, c, unread, folder == kInboxFolder, ctx));
  ASSIGN_OR_RETURN(auto members, LoadMembers(c, ctx));
  Push(ctx, members, "conversation.read",
       Json{{"conversation_id", std::to_string(c)},
            {"user_id", std::to_string(user)},
            {"up_to", d->up_to.ToString()}});
  return absl::OkStatus();
}

}  // namespace lens
