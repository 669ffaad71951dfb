#include "auth/authenticator.h"

namespace lens {

absl::StatusOr<TokenClaims> Authenticator::Authenticate(
    std::optional<std::string_view> authorization, int64_t now_ms) const {
  if (!authorization) return absl::UnauthenticatedError("missing Authorization: Bearer token");
  std::string_view h = *authorization;
  constexpr std::string_view kBearer = "Bearer ";
  if (h.size() <= kBearer.size() || h.substr(0, kBearer.size()) != kBearer)
    return absl::UnauthenticatedError("the Authorization header must be 'Bearer TOKEN'");
  auto claims = signer_->Verify(h.substr(kBearer.size()), now_ms);
  if (!claims.ok()) return claims.status();
  auto revoked = revocations_->IsRevoked(*claims);
  if (!revoked.ok()) return revoked.status();
  if (*revoked) return absl::UnauthenticatedError("the session has ended");
  return claims;
}

}  // namespace lens
