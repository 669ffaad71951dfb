#include "query-api/account_query_api.h"

#include "base/status_macros.h"
#include "base/text.h"

namespace lens {
namespace {

HttpResponse Finish(const absl::StatusOr<HttpResponse>& r) {
  return r.ok() ? *r : HttpResponse::FromStatus(r.status());
}

absl::Status NotFound() {
  return ApiError(absl::StatusCode::kNotFound, "account_not_found", "no such account");
}

}  // namespace

void AccountQueryApi::RegisterRoutes(Router* router) {
  router->Add("GET", "/api/v1/accounts/me", [this](HttpRequest& r) { return Finish(Me(r)); });
  router->Add("GET", "/api/v1/accounts/lookup",
              [this](HttpRequest& r) { return Finish(Lookup(r)); });
  router->Add("GET", "/api/v1/accounts/{id}", [this](HttpRequest& r) { return Finish(Get(r)); });
}

absl::StatusOr<HttpResponse> AccountQueryApi::Render(UserId id, const TokenClaims& viewer) {
  ASSIGN_OR_RETURN(auto profile, accounts_->GetProfile(id));
  if (!profile) return NotFound();
  if (viewer.user_id != id && social_->BlockedEitherWay(viewer.user_id.value(), id.value()))
    return NotFound();
  using namespace social_model;
  ProfileCounts counts;
  ASSIGN_OR_RETURN(counts.followers,
                   social_->GetCounter(kUserCounters, Counter(id.value(), "followers")));
  ASSIGN_OR_RETURN(counts.following,
                   social_->GetCounter(kUserCounters, Counter(id.value(), "following")));
  ASSIGN_OR_RETURN(counts.posts, social_->GetCounter(kUserCounters, Counter(id.value(), "posts")));
  return HttpResponse::JsonBody(200, ProfileJson(*profile, counts, viewer.user_id == id));
}

absl::StatusOr<HttpResponse> AccountQueryApi::Get(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims viewer, gate_->Begin(req));
  auto id = UserId::Parse(req.path_params[0]);
  if (!id) return NotFound();  // not an id: no such account either
  return Render(*id, viewer);
}

absl::StatusOr<HttpResponse> AccountQueryApi::Me(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims viewer, gate_->Begin(req));
  return Render(viewer.user_id, viewer);
}

absl::StatusOr<HttpResponse> AccountQueryApi::Lookup(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims viewer, gate_->Begin(req));
  auto username = req.Query("username");
  if (!username || username->empty())
    return BadRequest("missing_parameter", "the 'username' query parameter is required",
                      "username");
  if (username->size() > 64) return NotFound();
  ASSIGN_OR_RETURN(auto id, accounts_->LookupUsername(AsciiLower(*username)));
  if (!id) return NotFound();
  return Render(*id, viewer);
}

}  // namespace lens
