// Direct-message queries (docs/messages-api.md):
//   GET /api/v1/conversations?folder=inbox|requests   by last activity, cursor-paginated
//   GET /api/v1/conversations/unread_count
//   GET /api/v1/conversations/{id}
//   GET /api/v1/conversations/{id}/messages           newest first, cursor-paginated
// Only members read a conversation (403 not_a_member); a member sees the
// messages sent since they joined.
#ifndef LENS_QUERY_API_MESSAGE_QUERY_API_H_
#define LENS_QUERY_API_MESSAGE_QUERY_API_H_

#include "http/router.h"
#include "query-api/query_gate.h"
#include "readmodels/accounts_model.h"
#include "readmodels/messages_model.h"

namespace lens {

class MessageQueryApi {
 public:
  MessageQueryApi(const QueryGate* gate, const AccountsReader* accounts,
                  const MessagesReader* messages)
      : gate_(gate), accounts_(accounts), messages_(messages) {}
  void RegisterRoutes(Router* router);

 private:
  absl::StatusOr<HttpResponse> List(HttpRequest& req);
  absl::StatusOr<HttpResponse> UnreadCount(HttpRequest& req);
  absl::StatusOr<HttpResponse> Get(HttpRequest& req);
  absl::StatusOr<HttpResponse> Messages(HttpRequest& req);

  // The viewer's membership of the conversation named by the path: 404
  // unknown, 403 not a member (or declined).
  absl::StatusOr<StoredMember> Membership(const HttpRequest& req, uint64_t viewer,
                                          uint64_t* conversation) const;
  absl::StatusOr<Json> ConversationJson(uint64_t conversation, uint64_t viewer,
                                        const StoredMember& me) const;

  const QueryGate* gate_;
  const AccountsReader* accounts_;
  const MessagesReader* messages_;
};

}  // namespace lens

#endif  // LENS_QUERY_API_MESSAGE_QUERY_API_H_
