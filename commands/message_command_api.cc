#include "commands/message_command_api.h"

#include <set>

#include "base/status_macros.h"
#include "base/time.h"
#include "commands/command_answer.h"
#include "http/request_fields.h"
#include "views/views.h"

namespace lens {
namespace {

constexpr StringRule kTextRule{.max_chars = kMaxMessageChars, .allow_newlines = true};
constexpr StringRule kNameRule{.max_chars = kMaxConversationNameChars};
constexpr size_t kMaxClientIdBytes = 64;

using Handler = absl::StatusOr<HttpResponse> (MessageCommandApi::*)(HttpRequest&);

absl::StatusOr<ConversationId> ConversationParam(const HttpRequest& req) {
  auto id = ConversationId::Parse(req.path_params[0]);
  if (!id)
    return ApiError(absl::StatusCode::kNotFound, "conversation_not_found", "no such conversation");
  return *id;
}

// `member_ids`: a non-empty array of distinct decimal account ids, the
// caller left out.
absl::StatusOr<std::vector<UserId>> ParseMemberIds(const Json& body, UserId self) {
  auto it = body.find("member_ids");
  if (it == body.end() || it->is_null())
    return ApiError(absl::StatusCode::kInvalidArgument, "missing_field", "'member_ids' is required",
                    "member_ids");
  if (!it->is_array())
    return ApiError(absl::StatusCode::kInvalidArgument, "invalid_type",
                    "'member_ids' must be an array of account ids", "member_ids");
  if (it->size() > kMaxGroupMembers)
    return ApiError(absl::StatusCode::kInvalidArgument, "too_many_members",
                    "a group holds at most 250 members", "member_ids");
  std::vector<UserId> out;
  std::set<UserId> seen;
  for (const Json& v : *it) {
    std::optional<UserId> id;
    if (v.is_string()) id = UserId::Parse(v.get<std::string>());
    if (!id)
      return ApiError(absl::StatusCode::kInvalidArgument, "invalid_member_id",
                      "'member_ids' must hold decimal account ids", "member_ids");
    if (*id == self || !seen.insert(*id).second) continue;
    out.push_back(*id);
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ParseMedia(const Json& body) {
  std::vector<std::string> out;
  auto it = body.find("media_ids");
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array())
    return ApiError(absl::StatusCode::kInvalidArgument, "invalid_type",
                    "'media_ids' must be an array of ids", "media_ids");
  if (it->size() > kMaxMessageMedia)
    return ApiError(absl::StatusCode::kInvalidArgument, "too_many_media",
                    "a message holds at most 10 media", "media_ids");
  for (const Json& id : *it) {
    if (!id.is_string() || !PostId::Parse(id.get<std::string>()))
      return ApiError(absl::StatusCode::kInvalidArgument, "invalid_media_id",
                      "'media_ids' must hold decimal ids", "media_ids");
    out.push_back(id.get<std::string>());
  }
  return out;
}

// A client's id for a message: 1..64 printable ASCII characters.
absl::StatusOr<std::string> ParseClientId(const Json& body) {
  auto it = body.find("client_id");
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string())
    return ApiError(absl::StatusCode::kInvalidArgument, "invalid_type",
                    "'client_id' must be a string", "client_id");
  const std::string& s = it->get_ref<const std::string&>();
  bool printable = std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (s.empty() || s.size() > kMaxClientIdBytes || !printable)
    return ApiError(absl::StatusCode::kInvalidArgument, "invalid_client_id",
                    "'client_id' must be 1 to 64 printable ASCII characters", "client_id");
  return s;
}

// An optional decimal id field ("up_to"); 0 when absent.
absl::StatusOr<uint64_t> OptionalIdField(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return uint64_t{0};
  std::optional<EventId> id;
  if (it->is_string()) id = EventId::Parse(it->get<std::string>());
  if (!id)
    return ApiError(absl::StatusCode::kInvalidArgument, "invalid_id",
                    std::string("'") + name + "' must be a decimal id", name);
  return id->value();
}

std::string DirectLockKey(UserId a, UserId b) {
  return "direct:" + std::to_string(std::min(a.value(), b.value())) + ":" +
         std::to_string(std::max(a.value(), b.value()));
}

}  // namespace

void MessageCommandApi::RegisterRoutes(Router* router) {
  auto add = [&](const char* method, const char* pattern, Handler h) {
    router->Add(method, pattern,
                [this, h](HttpRequest& r) { return FinishCommand((this->*h)(r)); });
  };
  add("POST", "/api/v1/conversations", &MessageCommandApi::Start);
  add("PATCH", "/api/v1/conversations/{id}", &MessageCommandApi::Rename);
  add("POST", "/api/v1/conversations/{id}/messages", &MessageCommandApi::Send);
  add("POST", "/api/v1/conversations/{id}/read", &MessageCommandApi::Read);
  add("POST", "/api/v1/conversations/{id}/members", &MessageCommandApi::AddMembers);
  add("DELETE", "/api/v1/conversations/{id}/members/{user}", &MessageCommandApi::RemoveMember);
  router->Add("POST", "/api/v1/conversations/{id}/accept",
              [this](HttpRequest& r) { return FinishCommand(AnswerRequest(r, true)); });
  router->Add("POST", "/api/v1/conversations/{id}/decline",
              [this](HttpRequest& r) { return FinishCommand(AnswerRequest(r, false)); });
  add("POST", "/api/v1/notifications/read", &MessageCommandApi::ReadNotifications);
}

absl::StatusOr<MessageCommandApi::Caller> MessageCommandApi::Begin(const HttpRequest& req) {
  Caller c;
  ASSIGN_OR_RETURN(TokenClaims claims,
                   auth_->Authenticate(req.Header("authorization"), NowMillis()));
  c.user = claims.user_id;
  ASSIGN_OR_RETURN(c.cmd_id,
                   CommandBus::CommandIdFor(c.user.ToString(), req.method, req.path,
                                            req.Header("idempotency-key"), req.request_id));
  return c;
}

absl::StatusOr<bool> MessageCommandApi::BlockedEitherWay(UserId a, UserId b) {
  ASSIGN_OR_RETURN(bool x, state_->Blocks(a, b));
  if (x) return true;
  return state_->Blocks(b, a);
}

absl::StatusOr<MemberCheck> MessageCommandApi::Check(UserId actor, UserId user) {
  MemberCheck m;
  m.user = user;
  ASSIGN_OR_RETURN(auto account, state_->GetUser(user));
  m.exists = account.has_value();
  if (!account) return m;
  ASSIGN_OR_RETURN(m.blocked, BlockedEitherWay(actor, user));
  if (account->is_private) {
    ASSIGN_OR_RETURN(bool follows, state_->Follows(user, actor));
    m.needs_request = !follows;
  }
  return m;
}

absl::StatusOr<std::vector<MemberCheck>> MessageCommandApi::Checks(
    UserId actor, const std::vector<UserId>& users) {
  std::vector<MemberCheck> out;
  for (UserId u : users) {
    ASSIGN_OR_RETURN(MemberCheck m, Check(actor, u));
    out.push_back(m);
  }
  return out;
}

absl::StatusOr<Json> MessageCommandApi::ConversationJson(ConversationId id) {
  ASSIGN_OR_RETURN(auto c, state_->GetConversation(id));
  if (!c)
    return ApiError(absl::StatusCode::kNotFound, "conversation_not_found", "no such conversation");
  Json members = Json::array();
  for (const auto& [user, m] : c->members) {
    ASSIGN_OR_RETURN(auto account, state_->GetUser(user));
    AccountSummaryView a;
    a.id = user.ToString();
    if (account) {
      a.username = account->username;
      a.display_name = account->display_name;
      a.is_private = account->is_private;
    }
    Json j = ToJson(a);
    j["admin"] = m.admin;
    j["state"] = m.state;
    members.push_back(std::move(j));
  }
  return Json{{"id", id.ToString()},
              {"kind", c->group ? "group" : "direct"},
              {"name", c->group && !c->name.empty() ? Json(c->name) : Json(nullptr)},
              {"members", std::move(members)}};
}

absl::StatusOr<HttpResponse> MessageCommandApi::Start(HttpRequest& req) {
  ASSIGN_OR_RETURN(Caller c, Begin(req));
  ASSIGN_OR_RETURN(Json body, ParseRequestObject(req.body, {"member_ids", "name"}));
  ASSIGN_OR_RETURN(std::vector<UserId> others, ParseMemberIds(body, c.user));
  ASSIGN_OR_RETURN(auto name, OptionalString(body, "name", kNameRule));
  // One other member and no name: the pair's 1:1 conversation, found again
  // if it exists. Otherwise a new group.
  const bool group = others.size() != 1 || name.has_value();
  ConversationId id(ids_->Next());
  std::vector<std::string> locks{ConversationKey(id)};
  if (!group) locks = {DirectLockKey(c.user, others[0])};
  std::optional<ConversationId> existing;
  // The members shared: the checks read their privacy, follows and blocks,
  // which their own commands may have appended without waiting.
  std::vector<std::string> members;
  for (UserId u : others) members.push_back(UserKey(u));
  CommandContext ctx{"start_conversation", c.cmd_id, c.user.ToString()};
  ASSIGN_OR_RETURN(
      CommandResult result,
      bus_->Execute(ctx, {.exclusive = locks, .shared = members},
                    [&]() -> absl::StatusOr<std::vector<Event>> {
                      ASSIGN_OR_RETURN(std::vector<MemberCheck> checks, Checks(c.user, others));
                      if (!group) {
                        ASSIGN_OR_RETURN(existing, state_->FindDirect(c.user, others[0]));
                        if (existing) {
                          // Found again — unless a block stands between them now.
                          if (!checks.empty() && checks[0].blocked)
                            return DecideStartConversation(id, c.user, false, "", checks);
                          return std::vector<Event>{};
                        }
                      }
                      return DecideStartConversation(id, c.user, group, name.value_or(""), checks);
                    }));
  if (!result.events.empty())
    if (auto d = ConversationMembers::FromJson(result.events[0].data)) id = d->conversation_id;
  if (existing && result.events.empty()) id = *existing;
  ASSIGN_OR_RETURN(Json view, ConversationJson(id));
  HttpResponse res =
      CommandAnswer(result.events.empty() || result.replayed ? 200 : 201, view, result);
  res.headers.emplace_back("Location", "/api/v1/conversations/" + id.ToString());
  return res;
}

absl::StatusOr<HttpResponse> MessageCommandApi::Rename(HttpRequest& req) {
  ASSIGN_OR_RETURN(Caller c, Begin(req));
  ASSIGN_OR_RETURN(ConversationId id, ConversationParam(req));
  ASSIGN_OR_RETURN(Json body, ParseRequestObject(req.body, {"name"}));
  ASSIGN_OR_RETURN(std::string name, RequiredString(body, "name", kNameRule));
  CommandContext ctx{"rename_conversation", c.cmd_id, c.user.ToString()};
  ASSIGN_OR_RETURN(CommandResult result,
                   bus_->Execute(ctx, {.exclusive = {ConversationKey(id)}},
                                 [&]() -> absl::StatusOr<std::vector<Event>> {
                                   ASSIGN_OR_RETURN(auto conv, state_->GetConversation(id));
                                   return DecideRename(conv, c.user, name);
                                 }));
  ASSIGN_OR_RETURN(Json view, ConversationJson(id));
  return CommandAnswer(200, view, result);
}

absl::StatusOr<HttpResponse> MessageCommandApi::Send(HttpRequest& req) {
  ASSIGN_OR_RETURN(Caller c, Begin(req));
  ASSIGN_OR_RETURN(ConversationId id, ConversationParam(req));
  ASSIGN_OR_RETURN(Json body, ParseRequestObject(req.body, {"text", "media_ids", "client_id"}));
  NewMessage m;
  ASSIGN_OR_RETURN(auto text, OptionalString(body, "text", kTextRule));
  m.text = text.value_or("");
  ASSIGN_OR_RETURN(m.media_ids, ParseMedia(body));
  ASSIGN_OR_RETURN(m.client_id, ParseClientId(body));
  std::optional<MessageId> resent;
  CommandContext ctx{"send_message", c.cmd_id, c.user.ToString()};
  ASSIGN_OR_RETURN(
      CommandResult result,
      bus_->Execute(
          ctx, {.exclusive = {ConversationKey(id)}}, [&]() -> absl::StatusOr<std::vector<Event>> {
            ASSIGN_OR_RETURN(auto conv, state_->GetConversation(id));
            if (conv && conv->Find(c.user) && !m.client_id.empty()) {
              ASSIGN_OR_RETURN(resent, state_->FindClientMessage(id, c.user, m.client_id));
              if (resent) return std::vector<Event>{};  // the same message, sent again: lands once
            }
            bool blocked = false;
            if (conv && !conv->group)
              for (const auto& [user, member] : conv->members)
                if (user != c.user) {
                  ASSIGN_OR_RETURN(blocked, BlockedEitherWay(c.user, user));
                }
            // The id is taken under the conversation's lock, so message ids
            // grow in the order messages are appended.
            m.id = MessageId(ids_->Next());
            return DecideSendMessage(conv, c.user, m, blocked);
          }));
  MessageView v;
  v.conversation_id = id.ToString();
  v.sender_id = c.user.ToString();
  v.text = m.text;
  v.media_ids = m.media_ids;
  v.client_id = m.client_id;
  v.id = resent ? resent->ToString() : m.id.ToString();
  v.created_at_ms = NowMillis();
  for (const Event& e : result.events)
    if (e.type == kMessageSent)
      if (auto d = MessageSent::FromJson(e.data)) {
        v.id = d->message_id.ToString();
        v.text = d->text;
        v.media_ids = d->media_ids;
        v.created_at_ms = e.ts_ms;
      }
  int status = result.events.empty() || result.replayed ? 200 : 201;
  HttpResponse res = CommandAnswer(status, ToJson(v), result);
  if (resent) res.headers.emplace_back("Idempotent-Replayed", "true");
  return res;
}

absl::StatusOr<HttpResponse> MessageCommandApi::Read(HttpRequest& req) {
  ASSIGN_OR_RETURN(Caller c, Begin(req));
  ASSIGN_OR_RETURN(ConversationId id, ConversationParam(req));
  ASSIGN_OR_RETURN(Json body, ParseRequestObject(req.body.empty() ? "{}" : req.body, {"up_to"}));
  ASSIGN_OR_RETURN(uint64_t up_to, OptionalIdField(body, "up_to"));
  uint64_t marker = 0;
  CommandContext ctx{"read_conversation", c.cmd_id, c.user.ToString()};
  ASSIGN_OR_RETURN(
      CommandResult result,
      bus_->Execute(ctx, {.exclusive = {ConversationKey(id)}},
                    [&]() -> absl::StatusOr<std::vector<Event>> {
                      ASSIGN_OR_RETURN(auto conv, state_->GetConversation(id));
                      ASSIGN_OR_RETURN(uint64_t current, state_->ConversationReadUpTo(id, c.user));
                      auto events = DecideReadConversation(conv, c.user, up_to, current);
                      marker = current;
                      if (events.ok() && !events->empty())
                        if (auto d = ConversationRead::FromJson((*events)[0].data))
                          marker = d->up_to.value();
                      return events;
                    }));
  return CommandAnswer(
      200, Json{{"read_up_to", marker ? Json(std::to_string(marker)) : Json(nullptr)}}, result);
}

absl::StatusOr<HttpResponse> MessageCommandApi::AddMembers(HttpRequest& req) {
  ASSIGN_OR_RETURN(Caller c, Begin(req));
  ASSIGN_OR_RETURN(ConversationId id, ConversationParam(req));
  ASSIGN_OR_RETURN(Json body, ParseRequestObject(req.body, {"member_ids"}));
  ASSIGN_OR_RETURN(std::vector<UserId> added, ParseMemberIds(body, c.user));
  CommandContext ctx{"add_members", c.cmd_id, c.user.ToString()};
  ASSIGN_OR_RETURN(CommandResult result,
                   bus_->Execute(ctx, {.exclusive = {ConversationKey(id)}},
                                 [&]() -> absl::StatusOr<std::vector<Event>> {
                                   ASSIGN_OR_RETURN(auto conv, state_->GetConversation(id));
                                   ASSIGN_OR_RETURN(std::vector<MemberCheck> checks,
                                                    Checks(c.user, added));
                                   return DecideAddMembers(conv, c.user, checks);
                                 }));
  ASSIGN_OR_RETURN(Json view, ConversationJson(id));
  return CommandAnswer(200, view, result);
}

absl::StatusOr<HttpResponse> MessageCommandApi::RemoveMember(HttpRequest& req) {
  ASSIGN_OR_RETURN(Caller c, Begin(req));
  ASSIGN_OR_RETURN(ConversationId id, ConversationParam(req));
  auto member = UserId::Parse(req.path_params[1]);
  if (!member)
    return ApiError(absl::StatusCode::kNotFound, "member_not_found",
                    "that account is not a member of this conversation");
  CommandContext ctx{"remove_member", c.cmd_id, c.user.ToString()};
  ASSIGN_OR_RETURN(CommandResult result,
                   bus_->Execute(ctx, {.exclusive = {ConversationKey(id)}},
                                 [&]() -> absl::StatusOr<std::vector<Event>> {
                                   ASSIGN_OR_RETURN(auto conv, state_->GetConversation(id));
                                   return DecideRemoveMember(conv, c.user, *member);
                                 }));
  return CommandAnswer(204, Json(), result);
}

absl::StatusOr<HttpResponse> MessageCommandApi::AnswerRequest(HttpRequest& req, bool accept) {
  ASSIGN_OR_RETURN(Caller c, Begin(req));
  ASSIGN_OR_RETURN(ConversationId id, ConversationParam(req));
  CommandContext ctx{accept ? "accept_request" : "decline_request", c.cmd_id, c.user.ToString()};
  ASSIGN_OR_RETURN(CommandResult result,
                   bus_->Execute(ctx, {.exclusive = {ConversationKey(id)}},
                                 [&]() -> absl::StatusOr<std::vector<Event>> {
                                   ASSIGN_OR_RETURN(auto conv, state_->GetConversation(id));
                                   return DecideAnswerRequest(conv, c.user, accept);
                                 }));
  return CommandAnswer(200, accept ? Json{{"accepted", true}} : Json{{"declined", true}}, result);
}

absl::StatusOr<HttpResponse> MessageCommandApi::ReadNotifications(HttpRequest& req) {
  ASSIGN_OR_RETURN(Caller c, Begin(req));
  ASSIGN_OR_RETURN(Json body, ParseRequestObject(req.body.empty() ? "{}" : req.body, {"up_to"}));
  ASSIGN_OR_RETURN(uint64_t up_to, OptionalIdField(body, "up_to"));
  // Without `up_to`, everything so far: a fresh id is above every
  // notification id (event ids) issued until now.
  if (up_to == 0) up_to = ids_->Next();
  uint64_t marker = 0;
  CommandContext ctx{"read_notifications", c.cmd_id, c.user.ToString()};
  ASSIGN_OR_RETURN(CommandResult result,
                   bus_->Execute(ctx, {.exclusive = {UserKey(c.user)}},
                                 [&]() -> absl::StatusOr<std::vector<Event>> {
                                   ASSIGN_OR_RETURN(uint64_t current,
                                                    state_->NotificationsReadUpTo(c.user));
                                   marker = std::max(current, up_to);
                                   return DecideReadNotifications(c.user, up_to, current);
                                 }));
  return CommandAnswer(200, Json{{"read_up_to", std::to_string(marker)}}, result);
}

}  // namespace lens
