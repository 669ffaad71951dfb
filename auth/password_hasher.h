// Password hashing with argon2id (libargon2), a memory-hard KDF. Hashes are
// stored in the PHC encoded form ("$argon2id$v=19$m=...,t=...,p=...$salt$hash")
// so the parameters can be raised later without breaking old hashes.
// Thread-safe; each call costs `memory_kib` of memory and real CPU time.
#ifndef LENS_AUTH_PASSWORD_HASHER_H_
#define LENS_AUTH_PASSWORD_HASHER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace lens {

struct PasswordHasherOptions {
  uint32_t time_cost = 2;  // passes (OWASP: m=19 MiB, t=2, p=1)
  uint32_t memory_kib = 19456;
  uint32_t parallelism = 1;
};

class PasswordHasher {
 public:
  explicit PasswordHasher(PasswordHasherOptions options = {}) : options_(options) {}

  absl::StatusOr<std::string> Hash(std::string_view password) const;
  // True when `password` matches `encoded`. A malformed hash is false.
  bool Verify(std::string_view encoded, std::string_view password) const;
  // Burns the same time as a Verify, so that "no such user" and "wrong
  // password" cannot be told apart by timing.
  void VerifyDummy(std::string_view password) const;

 private:
  PasswordHasherOptions options_;
};

}  // namespace lens

#endif  // LENS_AUTH_PASSWORD_HASHER_H_
