// QueryGate: what every query does first. It authenticates the caller and,
// when the request carries a Consistency-Token header, waits (bounded)
// until the read models have applied that write: read-your-writes on
// demand. A malformed token is a 400; a token still not applied at the
// bound is a 503 with Retry-After.
#ifndef LENS_QUERY_API_QUERY_GATE_H_
#define LENS_QUERY_API_QUERY_GATE_H_

#include <functional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/authenticator.h"
#include "eventlog/log_position.h"
#include "http/http_message.h"

namespace lens {

// True once the read models have applied `token`; false at `deadline`.
using ConsistencyWaiter = std::function<bool(const ConsistencyToken&, absl::Time deadline)>;

class QueryGate {
 public:
  QueryGate(const Authenticator* auth, ConsistencyWaiter waiter,
            absl::Duration max_wait = absl::Seconds(5))
      : auth_(auth), waiter_(std::move(waiter)), max_wait_(max_wait) {}

  absl::StatusOr<TokenClaims> Begin(const HttpRequest& req) const;

 private:
  const Authenticator* auth_;
  ConsistencyWaiter waiter_;
  absl::Duration max_wait_;
};

}  // namespace lens

#endif  // LENS_QUERY_API_QUERY_GATE_H_
