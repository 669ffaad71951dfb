// Notification queries (docs/messages-api.md):
//   GET /api/v1/notifications              grouped, newest first, cursor-paginated
//   GET /api/v1/notifications/unread_count
#ifndef LENS_QUERY_API_NOTIFICATION_QUERY_API_H_
#define LENS_QUERY_API_NOTIFICATION_QUERY_API_H_

#include "http/router.h"
#include "query-api/query_gate.h"
#include "readmodels/accounts_model.h"
#include "readmodels/notifications_model.h"

namespace lens {

class NotificationQueryApi {
 public:
  NotificationQueryApi(const QueryGate* gate, const AccountsReader* accounts,
                       const NotificationsReader* notifications)
      : gate_(gate), accounts_(accounts), notifications_(notifications) {}
  void RegisterRoutes(Router* router);

 private:
  absl::StatusOr<HttpResponse> List(HttpRequest& req);
  absl::StatusOr<HttpResponse> UnreadCount(HttpRequest& req);

  const QueryGate* gate_;
  const AccountsReader* accounts_;
  const NotificationsReader* notifications_;
};

}  // namespace lens

#endif  // LENS_QUERY_API_NOTIFICATION_QUERY_API_H_
