#include "query-api/message_query_api.h"

#include "base/status_macros.h"
#include "base/time.h"
#include "events/message_events.h"
#include "query-api/account_summary.h"
#include "query-api/pagination.h"
#include "views/views.h"

namespace lens {

using namespace messages_model;

namespace {

HttpResponse Finish(const absl::StatusOr<HttpResponse>& r) {
  return r.ok() ? *r : HttpResponse::FromStatus(r.status());
}

}  // namespace

void MessageQueryApi::RegisterRoutes(Router* router) {
  router->Add("GET", "/api/v1/conversations", [this](HttpRequest& r) { return Finish(List(r)); });
  router->Add("GET", "/api/v1/conversations/unread_count",
              [this](HttpRequest& r) { return Finish(UnreadCount(r)); });
  router->Add("GET", "/api/v1/conversations/{id}", [this](HttpRequest& r) { return Finish(Get(r)); });
  router->Add("GET", "/api/v1/conversations/{id}/messages",
              [this](HttpRequest& r) { return Finish(Messages(r)); });
}

absl::StatusOr<StoredMember> MessageQueryApi::Membership(const HttpRequest& req, uint64_t viewer,
                                                         uint64_t* conversation) const {
  auto id = ConversationId::Parse(req.path_params[0]);
  auto not_found =
      ApiError(absl::StatusCode::kNotFound, "conversation_not_found", "no such conversation");
  if (!id) return not_found;
  *conversation = id->value();
  ASSIGN_OR_RETURN(auto conv, messages_->GetConversation(id->value()));
  if (!conv) return not_found;
  ASSIGN_OR_RETURN(auto me, messages_->GetMember(id->value(), viewer));
  if (!me || me->state == kMemberDeclined)
    return ApiError(absl::StatusCode::kPermissionDenied, "not_a_member",
                    "you are not a member of this conversation");
  return *me;
}

absl::StatusOr<Json> MessageQueryApi::ConversationJson(uint64_t conversation, uint64_t viewer,
                                                       const StoredMember& me) const {
  ASSIGN_OR_RETURN(auto conv, messages_->GetConversation(conversation));
  if (!conv) return ApiError(absl::StatusCode::kNotFound, "conversation_not_found",
                             "no such conversation");
  ASSIGN_OR_RETURN(std::vector<StoredMember> members, messages_->Members(conversation));
  Json members_json = Json::array();
  for (const StoredMember& m : members) {
    ASSIGN_OR_RETURN(Json s, SummaryJson(*accounts_, m.user));
    s["admin"] = m.admin;
    s["state"] = m.state;
    s["read_up_to"] = m.read_up_to ? Json(std::to_string(m.read_up_to)) : Json(nullptr);
    members_json.push_back(std::move(s));
  }
  const bool group = conv->value("group", false);
  const std::string name = conv->value("name", "");
  Json last = nullptr;
  const uint64_t last_id = conv->value("last_message_id", uint64_t{0});
  if (last_id && last_id >= me.since) {
    ASSIGN_OR_RETURN(auto newest, messages_->Messages(conversation, me.since, last_id + 1, 1));
    if (!newest.empty()) {
      last = newest[0].ApiJson();
      std::string& text = last["text"].get_ref<std::string&>();
      if (text.size() > 200) {  // a preview; cut on a code point boundary
        size_t cut = 200;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
        text.resize(cut);
      }
    }
  }
  ASSIGN_OR_RETURN(int64_t unread, messages_->Counter(Pair(viewer, conversation)));
  return Json{{"id", std::to_string(conversation)},
              {"kind", group ? "group" : "direct"},
              {"name", group && !name.empty() ? Json(name) : Json(nullptr)},
              {"members", std::move(members_json)},
              {"last_message", std::move(last)},
              {"unread_count", unread},
              {"read_up_to", me.read_up_to ? Json(std::to_string(me.read_up_to)) : Json(nullptr)},
              {"folder", me.state == kMemberRequested ? "requests" : "inbox"},
              {"created_at", FormatIsoMillis(conv->value("created_at", int64_t{0}))}};
}

absl::StatusOr<HttpResponse> MessageQueryApi::List(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims claims, gate_->Begin(req));
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(req));
  char folder = kInboxFolder;
  if (auto f = req.Query("folder")) {
    if (*f == "requests") {
      folder = kRequestsFolder;
    } else if (*f != "inbox") {
      return BadRequest("invalid_folder", "folder must be 'inbox' or 'requests'", "folder");
    }
  }
  const uint64_t viewer = claims.user_id.value();
  ASSIGN_OR_RETURN(std::vector<InboxEntry> entries,
                   messages_->Inbox(viewer, folder, page.after.value_or(~uint64_t{0}),
                                    page.limit + 1));
  const bool more = entries.size() > page.limit;
  if (more) entries.resize(page.limit);
  Json items = Json::array();
  for (const InboxEntry& e : entries) {
    ASSIGN_OR_RETURN(auto me, messages_->GetMember(e.conversation, viewer));
    if (!me) continue;  // left between the two reads
    ASSIGN_OR_RETURN(Json c, ConversationJson(e.conversation, viewer, *me));
    items.push_back(std::move(c));
  }
  return HttpResponse::JsonBody(
      200, ListJson(std::move(items),
                    more && !entries.empty() ? EncodeCursor(entries.back().activity) : ""));
}

absl::StatusOr<HttpResponse> MessageQueryApi::UnreadCount(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims claims, gate_->Begin(req));
  const uint64_t viewer = claims.user_id.value();
  ASSIGN_OR_RETURN(int64_t unread, messages_->Counter(TotalKey(viewer, "unread")));
  ASSIGN_OR_RETURN(int64_t conversations,
                   messages_->Counter(TotalKey(viewer, "unread_conversations")));
  ASSIGN_OR_RETURN(auto requests, messages_->Inbox(viewer, kRequestsFolder, ~uint64_t{0}, 100));
  return HttpResponse::JsonBody(200, Json{{"unread_count", unread},
                                          {"unread_conversations", conversations},
                                          {"requests", requests.size()}});
}

absl::StatusOr<HttpResponse> MessageQueryApi::Get(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims claims, gate_->Begin(req));
  uint64_t conversation = 0;
  ASSIGN_OR_RETURN(StoredMember me, Membership(req, claims.user_id.value(), &conversation));
  ASSIGN_OR_RETURN(Json c, ConversationJson(conversation, claims.user_id.value(), me));
  return HttpResponse::JsonBody(200, c);
}

absl::StatusOr<HttpResponse> MessageQueryApi::Messages(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims claims, gate_->Begin(req));
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(req));
  uint64_t conversation = 0;
  ASSIGN_OR_RETURN(StoredMember me, Membership(req, claims.user_id.value(), &conversation));
  ASSIGN_OR_RETURN(std::vector<StoredMessage> list,
                   messages_->Messages(conversation, me.since, page.after.value_or(~uint64_t{0}),
                                       page.limit + 1));
  const bool more = list.size() > page.limit;
  if (more) list.resize(page.limit);
  Json items = Json::array();
  for (const StoredMessage& m : list) items.push_back(m.ApiJson());
  return HttpResponse::JsonBody(
      200, ListJson(std::move(items), more ? EncodeCursor(list.back().id) : ""));
}

}  // namespace lens
