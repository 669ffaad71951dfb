#include "query-api/notification_query_api.h"

#include "base/status_macros.h"
#include "base/time.h"
#include "query-api/account_summary.h"
#include "query-api/pagination.h"
#include "views/views.h"

namespace lens {
namespace {

HttpResponse Finish(const absl::StatusOr<HttpResponse>& r) {
  return r.ok() ? *r : HttpResponse::FromStatus(r.status());
}

}  // namespace

void NotificationQueryApi::RegisterRoutes(Router* router) {
  router->Add("GET", "/api/v1/notifications", [this](HttpRequest& r) { return Finish(List(r)); });
  router->Add("GET", "/api/v1/notifications/unread_count",
              [this](HttpRequest& r) { return Finish(UnreadCount(r)); });
}

absl::StatusOr<HttpResponse> NotificationQueryApi::List(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims claims, gate_->Begin(req));
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(req));
  const uint64_t user = claims.user_id.value();
  ASSIGN_OR_RETURN(NotificationPage p,
                   notifications_->Page(user, page.after.value_or(~uint64_t{0}), page.limit));
  ASSIGN_OR_RETURN(uint64_t marker, notifications_->ReadUpTo(user));
  Json items = Json::array();
  for (const NotificationGroup& g : p.groups) {
    Json actors = Json::array();
    for (uint64_t a : g.actors) {
      ASSIGN_OR_RETURN(Json s, SummaryJson(*accounts_, a));
      actors.push_back(std::move(s));
    }
    Json item{{"id", std::to_string(g.latest)},
              {"type", g.type},
              {"count", g.count},
              {"actors", std::move(actors)},
              {"created_at", FormatIsoMillis(g.latest_ts_ms)},
              {"read", g.latest <= marker}};
    if (g.post) item["post_id"] = std::to_string(g.post);
    if (g.comment) item["comment_id"] = std::to_string(g.comment);
    if (g.conversation) item["conversation_id"] = std::to_string(g.conversation);
    items.push_back(std::move(item));
  }
  return HttpResponse::JsonBody(200,
                                ListJson(std::move(items), p.next ? EncodeCursor(*p.next) : ""));
}

absl::StatusOr<HttpResponse> NotificationQueryApi::UnreadCount(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims claims, gate_->Begin(req));
  const uint64_t user = claims.user_id.value();
  ASSIGN_OR_RETURN(int64_t unread, notifications_->UnreadCount(user));
  ASSIGN_OR_RETURN(uint64_t marker, notifications_->ReadUpTo(user));
  return HttpResponse::JsonBody(
      200, Json{{"unread_count", unread},
                {"read_up_to", marker ? Json(std::to_string(marker)) : Json(nullptr)}});
}

}  // namespace lens
