// Bearer tokens: HMAC-SHA256-signed, expiring session tokens.
//
// Form: "lens1.<base64url(claims JSON)>.<base64url(HMAC-SHA256)>" with
// claims {"sub": user id, "sid": session id, "iat": ms, "exp": ms}. The
// signature covers "lens1.<claims>". A token is only as good as its session:
// callers also check that the session was not revoked.
// Thread-safe.
#ifndef LENS_AUTH_TOKEN_SIGNER_H_
#define LENS_AUTH_TOKEN_SIGNER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/strong_id.h"

namespace lens {

struct TokenClaims {
  UserId user_id;
  SessionId session_id;
  int64_t issued_at_ms = 0;
  int64_t expires_at_ms = 0;
};

class TokenSigner {
 public:
  // `secret` must be at least 32 bytes.
  explicit TokenSigner(std::string secret);

  std::string Sign(const TokenClaims& claims) const;
  // Unauthenticated for a malformed, forged or expired token. A token this
  // thread verified lately is answered from a small per-thread cache
  // (expiry still checked).
  absl::StatusOr<TokenClaims> Verify(std::string_view token, int64_t now_ms) const;

  // Reads the secret at `path`, creating it (32 random bytes, mode 0600)
  // when missing.
  static absl::StatusOr<std::string> LoadOrCreateSecret(const std::string& path);

 private:
  absl::StatusOr<TokenClaims> VerifyUncached(std::string_view token, int64_t now_ms) const;
  std::string Mac(std::string_view data) const;
  std::string secret_;
  uint64_t id_;  // unique per signer in the process: whose cache entries are whose
};

std::string Base64UrlEncode(std::string_view data);
bool Base64UrlDecode(std::string_view in, std::string* out);

}  // namespace lens

#endif  // LENS_AUTH_TOKEN_SIGNER_H_
