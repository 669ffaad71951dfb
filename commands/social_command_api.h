// The social commands of the HTTP API (docs/social-api.md):
//   POST /api/v1/posts · PATCH · DELETE /api/v1/posts/{id}
//   POST · DELETE /api/v1/posts/{id}/like
//   POST /api/v1/posts/{id}/comments · DELETE /api/v1/comments/{id}
//   POST · DELETE /api/v1/accounts/{id}/follow
//   POST /api/v1/follow-requests/{account_id}/approve · /reject
//   POST · DELETE /api/v1/accounts/{id}/block
#ifndef LENS_COMMANDS_SOCIAL_COMMAND_API_H_
#define LENS_COMMANDS_SOCIAL_COMMAND_API_H_

#include "auth/authenticator.h"
#include "commands/command_bus.h"
#include "commands/decision_state.h"
#include "commands/social_decider.h"
#include "http/router.h"

namespace lens {

class SocialCommandApi {
 public:
  SocialCommandApi(CommandBus* bus, DecisionState* state, IdGenerator* ids,
                   const Authenticator* auth)
      : bus_(bus), state_(state), ids_(ids), auth_(auth) {}

  void RegisterRoutes(Router* router);

 private:
  struct Caller {
    TokenClaims claims;
    std::string cmd_id;
  };
  absl::StatusOr<Caller> Begin(const HttpRequest& req);

  absl::StatusOr<HttpResponse> CreatePost(HttpRequest& req);
  absl::StatusOr<HttpResponse> EditPost(HttpRequest& req);
  absl::StatusOr<HttpResponse> DeletePost(HttpRequest& req);
  absl::StatusOr<HttpResponse> SetLike(HttpRequest& req, bool like);
  absl::StatusOr<HttpResponse> AddComment(HttpRequest& req);
  absl::StatusOr<HttpResponse> DeleteComment(HttpRequest& req);
  absl::StatusOr<HttpResponse> SetFollow(HttpRequest& req, bool follow);
  absl::StatusOr<HttpResponse> AnswerRequest(HttpRequest& req, bool approve);
  absl::StatusOr<HttpResponse> SetBlock(HttpRequest& req, bool block);

  absl::StatusOr<Relationship> RelationTo(UserId viewer, UserId author);
  absl::StatusOr<Relationship> RelationToAuthorOf(UserId viewer,
                                                  const std::optional<PostRecord>& post);
  absl::StatusOr<PairState> Pair(UserId viewer, UserId target);
  absl::StatusOr<Json> PostJsonFor(PostId id, UserId viewer);  // read from the decision state
  absl::StatusOr<Json> PostJson(const PostRecord& post, bool liked);
  // The accounts behind @usernames (unknown names are left out).
  absl::StatusOr<std::vector<UserId>> ResolveMentions(const std::vector<std::string>& usernames);

  CommandBus* bus_;
  DecisionState* state_;
  IdGenerator* ids_;
  const Authenticator* auth_;
};

}  // namespace lens

#endif  // LENS_COMMANDS_SOCIAL_COMMAND_API_H_
