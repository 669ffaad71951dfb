// The direct-message and inbox commands of the HTTP API (docs/messages-api.md):
//   POST /api/v1/conversations                        start (1:1: the existing one is returned)
//   PATCH /api/v1/conversations/{id}                  rename a group
//   POST /api/v1/conversations/{id}/messages          send
//   POST /api/v1/conversations/{id}/read              read marker
//   POST /api/v1/conversations/{id}/members           add members (admins)
//   DELETE /api/v1/conversations/{id}/members/{user}  remove a member, or leave
//   POST /api/v1/conversations/{id}/accept · /decline answer a message request
//   POST /api/v1/notifications/read                   notifications read marker
#ifndef LENS_COMMANDS_MESSAGE_COMMAND_API_H_
#define LENS_COMMANDS_MESSAGE_COMMAND_API_H_

#include "auth/authenticator.h"
#include "commands/command_bus.h"
#include "commands/decision_state.h"
#include "commands/message_decider.h"
#include "http/router.h"

namespace lens {

class MessageCommandApi {
 public:
  MessageCommandApi(CommandBus* bus, DecisionState* state, IdGenerator* ids,
                    const Authenticator* auth)
      : bus_(bus), state_(state), ids_(ids), auth_(auth) {}

  void RegisterRoutes(Router* router);

 private:
  struct Caller {
    UserId user;
    std::string cmd_id;
  };
  absl::StatusOr<Caller> Begin(const HttpRequest& req);

  absl::StatusOr<HttpResponse> Start(HttpRequest& req);
  absl::StatusOr<HttpResponse> Rename(HttpRequest& req);
  absl::StatusOr<HttpResponse> Send(HttpRequest& req);
  absl::StatusOr<HttpResponse> Read(HttpRequest& req);
  absl::StatusOr<HttpResponse> AddMembers(HttpRequest& req);
  absl::StatusOr<HttpResponse> RemoveMember(HttpRequest& req);
  absl::StatusOr<HttpResponse> AnswerRequest(HttpRequest& req, bool accept);
  absl::StatusOr<HttpResponse> ReadNotifications(HttpRequest& req);

  absl::StatusOr<MemberCheck> Check(UserId actor, UserId user);
  absl::StatusOr<std::vector<MemberCheck>> Checks(UserId actor, const std::vector<UserId>& users);
  absl::StatusOr<bool> BlockedEitherWay(UserId a, UserId b);
  absl::StatusOr<Json> ConversationJson(ConversationId id);

  CommandBus* bus_;
  DecisionState* state_;
  IdGenerator* ids_;
  const Authenticator* auth_;
};

}  // namespace lens

#endif  // LENS_COMMANDS_MESSAGE_COMMAND_API_H_
