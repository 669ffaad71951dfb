#include "query-api/social_query_api.h"

#include "base/status_macros.h"
#include "query-api/account_summary.h"

namespace lens {

using namespace social_model;

namespace {

HttpResponse Finish(const absl::StatusOr<HttpResponse>& r) {
  return r.ok() ? *r : HttpResponse::FromStatus(r.status());
}

absl::Status PostNotFound() {
  return ApiError(absl::StatusCode::kNotFound, "post_not_found", "no such post");
}
absl::Status AccountNotFound() {
  return ApiError(absl::StatusCode::kNotFound, "account_not_found", "no such account");
}
absl::Status PrivateAccount() {
  return ApiError(absl::StatusCode::kPermissionDenied, "private_account",
                  "this account is private: follow it to see this");
}

HttpResponse List(Json items, const std::optional<uint64_t>& next) {
  return HttpResponse::JsonBody(200, ListJson(std::move(items), next ? EncodeCursor(*next) : ""));
}

// A page of posts, written without an intermediate JSON tree (the feed's
// hot path).
HttpResponse PostList(const std::vector<PostView>& posts, const std::optional<uint64_t>& next) {
  HttpResponse r;
  r.body = PostListJson(posts, next ? EncodeCursor(*next) : "");
  return r;
}

}  // namespace

void SocialQueryApi::RegisterRoutes(Router* router) {
  router->Add("GET", "/api/v1/posts/{id}", [this](HttpRequest& r) { return Finish(GetPost(r)); });
  router->Add("GET", "/api/v1/posts/{id}/likes",
              [this](HttpRequest& r) { return Finish(Likes(r)); });
  router->Add("GET", "/api/v1/posts/{id}/comments",
              [this](HttpRequest& r) { return Finish(Comments(r)); });
  router->Add("GET", "/api/v1/accounts/{id}/followers",
              [this](HttpRequest& r) { return Finish(Followers(r, true)); });
  router->Add("GET", "/api/v1/accounts/{id}/following",
              [this](HttpRequest& r) { return Finish(Followers(r, false)); });
  router->Add("GET", "/api/v1/accounts/{id}/posts",
              [this](HttpRequest& r) { return Finish(UserPosts(r)); });
  router->Add("GET", "/api/v1/follow-requests",
              [this](HttpRequest& r) { return Finish(FollowRequests(r)); });
  router->Add("GET", "/api/v1/feed", [this](HttpRequest& r) { return Finish(Feed(r)); });
}

absl::Status SocialQueryApi::CheckCanSee(uint64_t viewer, uint64_t author,
                                         const absl::Status& private_status) const {
  ASSIGN_OR_RETURN(PostAccess access, posts_.AccessTo(viewer, author));
  if (access == PostAccess::kHidden) return AccountNotFound();
  if (access == PostAccess::kPrivate) return private_status;
  return absl::OkStatus();
}

absl::StatusOr<StoredPost> SocialQueryApi::VisiblePost(uint64_t viewer,
                                                       const std::string& id_text) const {
  auto id = PostId::Parse(id_text);
  if (!id) return PostNotFound();
  ASSIGN_OR_RETURN(auto post, posts_.VisiblePost(viewer, id->value()));
  if (!post) return PostNotFound();
  return *post;
}

absl::StatusOr<Json> SocialQueryApi::Summaries(const std::vector<uint64_t>& ids) const {
  ASSIGN_OR_RETURN(std::vector<AccountSummaryView> summaries, SummariesOf(*accounts_, ids));
  Json items = Json::array();
  for (const AccountSummaryView& v : summaries) items.push_back(ToJson(v));
  return items;
}

absl::StatusOr<HttpResponse> SocialQueryApi::GetPost(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims viewer, gate_->Begin(req));
  ASSIGN_OR_RETURN(StoredPost post, VisiblePost(viewer.user_id.value(), req.path_params[0]));
  ASSIGN_OR_RETURN(Json body, posts_.PostJson(post, viewer.user_id.value()));
  return HttpResponse::JsonBody(200, body);
}

absl::StatusOr<HttpResponse> SocialQueryApi::Likes(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims viewer, gate_->Begin(req));
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(req));
  ASSIGN_OR_RETURN(StoredPost post, VisiblePost(viewer.user_id.value(), req.path_params[0]));
  ASSIGN_OR_RETURN(IdPage ids,
                   social_->ListAscending(kLikes, post.id, page.after.value_or(0), page.limit));
  ASSIGN_OR_RETURN(Json items, Summaries(ids.ids));
  return List(std::move(items), ids.next);
}

absl::StatusOr<HttpResponse> SocialQueryApi::Comments(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims viewer, gate_->Begin(req));
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(req));
  std::string order(req.Query("order").value_or("oldest"));
  if (order != "oldest" && order != "newest")
    return BadRequest("invalid_order", "order must be 'oldest' or 'newest'", "order");
  ASSIGN_OR_RETURN(StoredPost post, VisiblePost(viewer.user_id.value(), req.path_params[0]));
  ASSIGN_OR_RETURN(auto comments,
                   social_->ListComments(post.id, order == "newest", page.after, page.limit + 1));
  Json items = Json::array();
  std::optional<uint64_t> next;
  for (size_t i = 0; i < comments.size() && i < page.limit; ++i) {
    CommentView v;
    v.id = std::to_string(comments[i].id);
    v.post_id = std::to_string(post.id);
    ASSIGN_OR_RETURN(v.author, SummaryOf(*accounts_, comments[i].author));
    v.text = comments[i].text;
    v.created_at_ms = comments[i].created_at_ms;
    items.push_back(ToJson(v));
  }
  if (comments.size() > page.limit) next = comments[page.limit - 1].id;
  return List(std::move(items), next);
}

absl::StatusOr<HttpResponse> SocialQueryApi::Followers(HttpRequest& req, bool followers) {
  ASSIGN_OR_RETURN(TokenClaims viewer, gate_->Begin(req));
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(req));
  auto id = UserId::Parse(req.path_params[0]);
  if (!id) return AccountNotFound();
  RETURN_IF_ERROR(CheckCanSee(viewer.user_id.value(), id->value(), PrivateAccount()));
  ASSIGN_OR_RETURN(IdPage ids,
                   social_->ListAscending(followers ? kFollowers : kFollowing, id->value(),
                                          page.after.value_or(0), page.limit));
  ASSIGN_OR_RETURN(Json items, Summaries(ids.ids));
  return List(std::move(items), ids.next);
}

absl::StatusOr<HttpResponse> SocialQueryApi::UserPosts(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims viewer, gate_->Begin(req));
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(req));
  auto id = UserId::Parse(req.path_params[0]);
  if (!id) return AccountNotFound();
  RETURN_IF_ERROR(CheckCanSee(viewer.user_id.value(), id->value(), PrivateAccount()));
  ASSIGN_OR_RETURN(IdPage ids,
                   social_->ListNewestFirst(kUserPosts, id->value(),
                                            page.after.value_or(~uint64_t{0}), page.limit));
  ASSIGN_OR_RETURN(std::vector<StoredPost> posts, social_->GetPosts(ids.ids));
  ASSIGN_OR_RETURN(std::vector<PostView> views, posts_.PostViews(posts, viewer.user_id.value()));
  return PostList(views, ids.next);
}

absl::StatusOr<HttpResponse> SocialQueryApi::FollowRequests(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims viewer, gate_->Begin(req));
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(req));
  ASSIGN_OR_RETURN(IdPage ids, social_->ListAscending(kRequests, viewer.user_id.value(),
                                                      page.after.value_or(0), page.limit));
  ASSIGN_OR_RETURN(Json items, Summaries(ids.ids));
  return List(std::move(items), ids.next);
}

absl::StatusOr<HttpResponse> SocialQueryApi::Feed(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims viewer, gate_->Begin(req));
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(req));
  const uint64_t me = viewer.user_id.value();
  ASSIGN_OR_RETURN(FeedPosts feed,
                   social_->FeedPage(me, page.after.value_or(~uint64_t{0}), page.limit));
  ASSIGN_OR_RETURN(std::vector<PostView> views, posts_.PostViews(feed.posts, me));
  return PostList(views, feed.next);
}

}  // namespace lens
