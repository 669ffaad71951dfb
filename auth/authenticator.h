// Authenticator: turns an "Authorization: Bearer TOKEN" header into the
// caller's claims. A token must carry a valid signature, be unexpired, and
// name a session that was neither revoked (log out) nor outlived by a
// password change. Revocation is answered by the side that asks (the
// command side's decision state, or the query side's read model), both
// projections of the same events.
#ifndef LENS_AUTH_AUTHENTICATOR_H_
#define LENS_AUTH_AUTHENTICATOR_H_

#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "auth/token_signer.h"

namespace lens {

class SessionRevocations {
 public:
  virtual ~SessionRevocations() = default;
  // True when the session of `claims` was ended (logout, password change).
  virtual absl::StatusOr<bool> IsRevoked(const TokenClaims& claims) = 0;
};

class Authenticator {
 public:
  // Both must outlive the authenticator.
  Authenticator(const TokenSigner* signer, SessionRevocations* revocations)
      : signer_(signer), revocations_(revocations) {}

  // Unauthenticated (with the reason) when the header is missing,
  // malformed, forged, expired or revoked.
  absl::StatusOr<TokenClaims> Authenticate(std::optional<std::string_view> authorization,
                                           int64_t now_ms) const;

  // The two halves of Authenticate, for callers that must wait in between
  // (a query with a Consistency-Token checks revocation only once the read
  // model has caught up, or a just-ended session would still pass):
  // the stateless check of the header, signature and expiry ...
  absl::StatusOr<TokenClaims> VerifyToken(std::optional<std::string_view> authorization,
                                          int64_t now_ms) const;
  // ... and the revocation check.
  absl::Status CheckNotRevoked(const TokenClaims& claims) const;

 private:
  const TokenSigner* signer_;
  SessionRevocations* revocations_;
};

}  // namespace lens

#endif  // LENS_AUTH_AUTHENTICATOR_H_
