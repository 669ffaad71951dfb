#include "query-api/query_gate.h"

#include "base/time.h"

namespace lens {

absl::StatusOr<TokenClaims> QueryGate::Begin(const HttpRequest& req) const {
  auto claims = auth_->Authenticate(req.Header("authorization"), NowMillis());
  if (!claims.ok()) return claims.status();
  if (auto header = req.Header("consistency-token")) {
    auto token = ConsistencyToken::Parse(*header);
    if (!token) return BadRequest("invalid_consistency_token", "malformed Consistency-Token");
    if (!waiter_(*token, absl::Now() + max_wait_))
      return ApiError(absl::StatusCode::kUnavailable, "not_yet_consistent",
                      "the read models have not caught up with that write yet; retry");
  }
  return claims;
}

}  // namespace lens
