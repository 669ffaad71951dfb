// Account events: registration, profile changes, password changes and the
// sessions (log in / log out) of an account. All keyed by "user:<id>".
// Passwords appear only as argon2id hashes, never in clear.
#ifndef LENS_EVENTS_ACCOUNT_EVENTS_H_
#define LENS_EVENTS_ACCOUNT_EVENTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/strong_id.h"

namespace lens {

inline constexpr std::string_view kAccountRegistered = "AccountRegistered";
inline constexpr std::string_view kProfileUpdated = "ProfileUpdated";
inline constexpr std::string_view kPasswordChanged = "PasswordChanged";
inline constexpr std::string_view kSessionStarted = "SessionStarted";
inline constexpr std::string_view kSessionRevoked = "SessionRevoked";

struct AccountRegistered {
  UserId user_id;
  std::string username;  // canonical (lower-case)
  std::string email;     // canonical (lower-case)
  std::string display_name;
  std::string password_hash;  // argon2id encoded hash
  Json ToJson() const;
  static std::optional<AccountRegistered> FromJson(const Json& j);
};

// Only the fields present changed.
struct ProfileUpdated {
  UserId user_id;
  std::optional<std::string> display_name;
  std::optional<std::string> bio;
  std::optional<bool> is_private;
  Json ToJson() const;
  static std::optional<ProfileUpdated> FromJson(const Json& j);
};

// Also ends every session issued at or before `changed_at_ms`.
struct PasswordChanged {
  UserId user_id;
  std::string password_hash;
  int64_t changed_at_ms = 0;
  Json ToJson() const;
  static std::optional<PasswordChanged> FromJson(const Json& j);
};

struct SessionStarted {
  UserId user_id;
  SessionId session_id;
  int64_t issued_at_ms = 0;
  int64_t expires_at_ms = 0;
  Json ToJson() const;
  static std::optional<SessionStarted> FromJson(const Json& j);
};

struct SessionRevoked {
  UserId user_id;
  SessionId session_id;
  Json ToJson() const;
  static std::optional<SessionRevoked> FromJson(const Json& j);
};

}  // namespace lens

#endif  // LENS_EVENTS_ACCOUNT_EVENTS_H_
