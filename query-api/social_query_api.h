// Social queries (docs/social-api.md):
//   GET /api/v1/posts/{id} · /posts/{id}/likes · /posts/{id}/comments
//   GET /api/v1/accounts/{id}/followers · /following · /posts
//   GET /api/v1/follow-requests
//   GET /api/v1/feed
// Visibility: private authors show their posts and lists to approved
// followers only; blocked pairs see nothing of each other.
#ifndef LENS_QUERY_API_SOCIAL_QUERY_API_H_
#define LENS_QUERY_API_SOCIAL_QUERY_API_H_

#include "http/router.h"
#include "query-api/pagination.h"
#include "query-api/post_access.h"
#include "query-api/query_gate.h"
#include "readmodels/accounts_model.h"
#include "readmodels/social_model.h"
#include "views/views.h"

namespace lens {

class SocialQueryApi {
 public:
  SocialQueryApi(const QueryGate* gate, const AccountsReader* accounts, const SocialReader* social)
      : gate_(gate), accounts_(accounts), social_(social), posts_(accounts, social) {}
  void RegisterRoutes(Router* router);

 private:
  absl::StatusOr<HttpResponse> GetPost(HttpRequest& req);
  absl::StatusOr<HttpResponse> Likes(HttpRequest& req);
  absl::StatusOr<HttpResponse> Comments(HttpRequest& req);
  absl::StatusOr<HttpResponse> Followers(HttpRequest& req, bool followers);
  absl::StatusOr<HttpResponse> UserPosts(HttpRequest& req);
  absl::StatusOr<HttpResponse> FollowRequests(HttpRequest& req);
  absl::StatusOr<HttpResponse> Feed(HttpRequest& req);

  // The viewer may see `author`'s posts and lists: 404 when blocked either
  // way or unknown; `private_status` when private and not followed.
  absl::Status CheckCanSee(uint64_t viewer, uint64_t author,
                           const absl::Status& private_status) const;
  // The post, if the viewer may see it; 404 post_not_found otherwise.
  absl::StatusOr<StoredPost> VisiblePost(uint64_t viewer, const std::string& id_text) const;
  absl::StatusOr<Json> Summaries(const std::vector<uint64_t>& ids) const;

  const QueryGate* gate_;
  const AccountsReader* accounts_;
  const SocialReader* social_;
  PostViewer posts_;
};

}  // namespace lens

#endif  // LENS_QUERY_API_SOCIAL_QUERY_API_H_
