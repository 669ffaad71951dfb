#include "query-api/query_gate.h"

#include "base/time.h"

namespace lens {

absl::StatusOr<TokenClaims> QueryGate::Begin(const HttpRequest& req) const {
  // Signature first (cheap: an anonymous caller cannot make us wait), then
  // the wait, then revocation, which must see the state the token asks for.
  auto claims = auth_->VerifyToken(req.Header("authorization"), NowMillis());
  if (!claims.ok()) return claims.status();
  if (auto header = req.Header("consistency-token")) {
    auto token = ConsistencyToken::Parse(*header);
    if (!token) return BadRequest("invalid_consistency_token", "malformed Consistency-Token");
    if (!waiter_(*token, absl::Now() + max_wait_))
      return ApiError(absl::StatusCode::kUnavailable, "not_yet_consistent",
                      "the read models have not caught up with that write yet; retry");
  }
  if (absl::Status s = auth_->CheckNotRevoked(*claims); !s.ok()) return s;
  return claims;
}

}  // namespace lens
