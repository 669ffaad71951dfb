#include "events/message_events.h"

#include "events/data_fields.h"

namespace lens {

using namespace data_fields;

std::string ConversationKey(ConversationId id) { return "conversation:" + id.ToString(); }

Json ConversationMembers::ToJson() const {
  Json members_json = Json::array();
  for (const ConversationMember& m : members)
    members_json.push_back(
        Json{{"user_id", m.user_id.ToString()}, {"admin", m.admin}, {"state", m.state}});
  Json j{{"conversation_id", conversation_id.ToString()},
         {"kind", group ? "group" : "direct"},
         {"by", by.ToString()},
         {"members", std::move(members_json)}};
  if (!name.empty()) j["name"] = name;
  return j;
}
std::optional<ConversationMembers> ConversationMembers::FromJson(const Json& j) {
  ConversationMembers c;
  std::string kind;
  if (!GetId(j, "conversation_id", &c.conversation_id) || !GetString(j, "kind", &kind) ||
      !GetId(j, "by", &c.by))
    return std::nullopt;
  c.group = kind == "group";
  if (j.contains("name") && !GetString(j, "name", &c.name)) return std::nullopt;
  auto it = j.find("members");
  if (it == j.end() || !it->is_array()) return std::nullopt;
  for (const Json& m : *it) {
    if (!m.is_object()) return std::nullopt;
    ConversationMember member;
    if (!GetId(m, "user_id", &member.user_id) || !GetString(m, "state", &member.state))
      return std::nullopt;
    member.admin = m.value("admin", false);
    c.members.push_back(std::move(member));
  }
  return c;
}

Json MemberRemoved::ToJson() const {
  Json j{{"conversation_id", conversation_id.ToString()},
         {"user_id", user_id.ToString()},
         {"by", by.ToString()}};
  if (new_admin_id.valid()) j["new_admin_id"] = new_admin_id.ToString();
  return j;
}
std::optional<MemberRemoved> MemberRemoved::FromJson(const Json& j) {
  MemberRemoved r;
  if (!GetId(j, "conversation_id", &r.conversation_id) || !GetId(j, "user_id", &r.user_id) ||
      !GetId(j, "by", &r.by))
    return std::nullopt;
  if (j.contains("new_admin_id") && !GetId(j, "new_admin_id", &r.new_admin_id))
    return std::nullopt;
  return r;
}

Json ConversationRenamed::ToJson() const {
  return Json{
      {"conversation_id", conversation_id.ToString()}, {"by", by.ToString()}, {"name", name}};
}
std::optional<ConversationRenamed> ConversationRenamed::FromJson(const Json& j) {
  ConversationRenamed r;
  if (!GetId(j, "conversation_id", &r.conversation_id) || !GetId(j, "by", &r.by) ||
      !GetString(j, "name", &r.name))
    return std::nullopt;
  return r;
}

Json MessageSent::ToJson() const {
  Json j{{"conversation_id", conversation_id.ToString()},
         {"message_id", message_id.ToString()},
         {"sender_id", sender_id.ToString()},
         {"text", text},
         {"recipient_ids", IdStrings(recipient_ids)}};
  if (!media_ids.empty()) j["media_ids"] = media_ids;
  if (!client_id.empty()) j["client_id"] = client_id;
  return j;
}
std::optional<MessageSent> MessageSent::FromJson(const Json& j) {
  MessageSent m;
  if (!GetId(j, "conversation_id", &m.conversation_id) || !GetId(j, "message_id", &m.message_id) ||
      !GetId(j, "sender_id", &m.sender_id) || !GetString(j, "text", &m.text) ||
      !GetStrings(j, "media_ids", &m.media_ids) || !GetIds(j, "recipient_ids", &m.recipient_ids))
    return std::nullopt;
  if (j.contains("client_id") && !GetString(j, "client_id", &m.client_id)) return std::nullopt;
  return m;
}

Json MessageRequestAnswer::ToJson() const {
  return Json{{"conversation_id", conversation_id.ToString()}, {"user_id", user_id.ToString()}};
}
std::optional<MessageRequestAnswer> MessageRequestAnswer::FromJson(const Json& j) {
  MessageRequestAnswer a;
  if (!GetId(j, "conversation_id", &a.conversation_id) || !GetId(j, "user_id", &a.user_id))
    return std::nullopt;
  return a;
}

Json ConversationRead::ToJson() const {
  return Json{{"conversation_id", conversation_id.ToString()},
              {"user_id", user_id.ToString()},
              {"up_to", up_to.ToString()}};
}
std::optional<ConversationRead> ConversationRead::FromJson(const Json& j) {
  ConversationRead r;
  if (!GetId(j, "conversation_id", &r.conversation_id) || !GetId(j, "user_id", &r.user_id) ||
      !GetId(j, "up_to", &r.up_to))
    return std::nullopt;
  return r;
}

Json NotificationsRead::ToJson() const {
  return Json{{"user_id", user_id.ToString()}, {"up_to", std::to_string(up_to)}};
}
std::optional<NotificationsRead> NotificationsRead::FromJson(const Json& j) {
  NotificationsRead r;
  std::string up_to;
  if (!GetId(j, "user_id", &r.user_id) || !GetString(j, "up_to", &up_to)) return std::nullopt;
  auto parsed = EventId::Parse(up_to);
  if (!parsed) return std::nullopt;
  r.up_to = parsed->value();
  return r;
}

}  // namespace lens
