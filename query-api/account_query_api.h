// Account queries (an account and a viewer who blocked one another are
// not found by each other):
//   GET /api/v1/accounts/me
//   GET /api/v1/accounts/{id}
//   GET /api/v1/accounts/lookup?username=NAME
#ifndef LENS_QUERY_API_ACCOUNT_QUERY_API_H_
#define LENS_QUERY_API_ACCOUNT_QUERY_API_H_

#include "http/router.h"
#include "query-api/query_gate.h"
#include "readmodels/accounts_model.h"
#include "readmodels/social_model.h"

namespace lens {

class AccountQueryApi {
 public:
  AccountQueryApi(const QueryGate* gate, const AccountsReader* accounts, const SocialReader* social)
      : gate_(gate), accounts_(accounts), social_(social) {}
  void RegisterRoutes(Router* router);

 private:
  absl::StatusOr<HttpResponse> Get(HttpRequest& req);
  absl::StatusOr<HttpResponse> Me(HttpRequest& req);
  absl::StatusOr<HttpResponse> Lookup(HttpRequest& req);
  absl::StatusOr<HttpResponse> Render(UserId id, const TokenClaims& viewer);

  const QueryGate* gate_;
  const AccountsReader* accounts_;
  const SocialReader* social_;
};

}  // namespace lens

#endif  // LENS_QUERY_API_ACCOUNT_QUERY_API_H_
