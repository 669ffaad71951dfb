#include "auth/authenticator.h"

#include <cctype>

namespace lens {

absl::StatusOr<TokenClaims> Authenticator::Authenticate(
    std::optional<std::string_view> authorization, int64_t now_ms) const {
  auto claims = VerifyToken(authorization, now_ms);
  if (!claims.ok()) return claims.status();
  if (absl::Status s = CheckNotRevoked(*claims); !s.ok()) return s;
  return claims;
}

absl::Status Authenticator::CheckNotRevoked(const TokenClaims& claims) const {
  auto revoked = revocations_->IsRevoked(claims);
  if (!revoked.ok()) return revoked.status();
  if (*revoked) return absl::UnauthenticatedError("the session has ended");
  return absl::OkStatus();
}

absl::StatusOr<TokenClaims> Authenticator::VerifyToken(
    std::optional<std::string_view> authorization, int64_t now_ms) const {
  if (!authorization) return absl::UnauthenticatedError("missing Authorization: Bearer token");
  std::string_view h = *authorization;
  constexpr std::string_view kBearer = "bearer ";
  // The scheme name is case-insensitive (RFC 7235).
  bool bearer = h.size() > kBearer.size();
  for (size_t i = 0; bearer && i < kBearer.size(); ++i)
    bearer = std::tolower(static_cast<unsigned char>(h[i])) == kBearer[i];
  if (!bearer) return absl::UnauthenticatedError("the Authorization header must be 'Bearer TOKEN'");
  return signer_->Verify(h.substr(kBearer.size()), now_ms);
}

}  // namespace lens
