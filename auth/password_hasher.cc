#include "auth/password_hasher.h"

#include <openssl/rand.h>

#include <mutex>
#include <vector>

#include "argon2.h"

namespace lens {
namespace {
constexpr size_t kSaltLen = 16;
constexpr size_t kHashLen = 32;
}  // namespace

absl::StatusOr<std::string> PasswordHasher::Hash(std::string_view password) const {
  unsigned char salt[kSaltLen];
  if (RAND_bytes(salt, sizeof(salt)) != 1) return absl::InternalError("no randomness for a salt");
  size_t len = argon2_encodedlen(options_.time_cost, options_.memory_kib, options_.parallelism,
                                 kSaltLen, kHashLen, Argon2_id);
  std::vector<char> encoded(len);
  int rc = argon2id_hash_encoded(options_.time_cost, options_.memory_kib, options_.parallelism,
                                 password.data(), password.size(), salt, kSaltLen, kHashLen,
                                 encoded.data(), encoded.size());
  if (rc != ARGON2_OK)
    return absl::InternalError(std::string("argon2: ") + argon2_error_message(rc));
  return std::string(encoded.data());
}

bool PasswordHasher::Verify(std::string_view encoded, std::string_view password) const {
  std::string enc(encoded);  // argon2 wants a NUL-terminated string
  return argon2id_verify(enc.c_str(), password.data(), password.size()) == ARGON2_OK;
}

void PasswordHasher::VerifyDummy(std::string_view password) const {
  static std::once_flag once;
  static std::string dummy;
  std::call_once(once, [&] {
    auto h = Hash("lens-dummy-password");
    dummy = h.ok() ? *h : "";
  });
  (void)Verify(dummy, password);
}

}  // namespace lens
