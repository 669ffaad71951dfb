// The account commands of the HTTP API:
//   POST   /api/v1/accounts               register
//   POST   /api/v1/sessions               log in  -> {token, expires_at, account}
//   DELETE /api/v1/sessions/current       log out (revokes the token's session)
//   PATCH  /api/v1/accounts/me            update own profile
//   POST   /api/v1/accounts/me/password   change password (ends other sessions)
// Each success carries the Consistency-Token header; each accepts an
// Idempotency-Key.
#ifndef LENS_COMMANDS_ACCOUNT_COMMAND_API_H_
#define LENS_COMMANDS_ACCOUNT_COMMAND_API_H_

#include <cstdint>

#include "auth/authenticator.h"
#include "auth/password_hasher.h"
#include "auth/token_signer.h"
#include "commands/command_bus.h"
#include "commands/decision_state.h"
#include "commands/login_throttle.h"
#include "http/router.h"

namespace lens {

struct AccountCommandOptions {
  int64_t session_ttl_ms = int64_t{30} * 24 * 3600 * 1000;  // 30 days
  int login_max_failures = 10;                              // per identifier ...
  int64_t login_failure_window_ms = 15 * 60 * 1000;         // ... per 15 minutes
};

class AccountCommandApi {
 public:
  // All pointers must outlive the API object.
  AccountCommandApi(CommandBus* bus, DecisionState* state, IdGenerator* ids,
                    const PasswordHasher* hasher, const TokenSigner* signer,
                    const Authenticator* auth, AccountCommandOptions options = {});

  void RegisterRoutes(Router* router);

 private:
  HttpResponse Register(HttpRequest& req);
  HttpResponse Login(HttpRequest& req);
  HttpResponse Logout(HttpRequest& req);
  HttpResponse UpdateProfile(HttpRequest& req);
  HttpResponse ChangePassword(HttpRequest& req);

  absl::StatusOr<HttpResponse> DoRegister(HttpRequest& req);
  absl::StatusOr<HttpResponse> DoLogin(HttpRequest& req);
  absl::StatusOr<HttpResponse> DoLogout(HttpRequest& req);
  absl::StatusOr<HttpResponse> DoUpdateProfile(HttpRequest& req);
  absl::StatusOr<HttpResponse> DoChangePassword(HttpRequest& req);
  absl::StatusOr<HttpResponse> SessionResponse(int status, const CommandResult& result);

  CommandBus* bus_;
  DecisionState* state_;
  IdGenerator* ids_;
  const PasswordHasher* hasher_;
  const TokenSigner* signer_;
  const Authenticator* auth_;
  AccountCommandOptions options_;
  LoginThrottle throttle_;
};

// The JSON of an account as its owner sees it.
Json SelfAccountJson(const UserRecord& u);

}  // namespace lens

#endif  // LENS_COMMANDS_ACCOUNT_COMMAND_API_H_
