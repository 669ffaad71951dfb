// decide(command, state) -> events | error, for accounts. Pure functions:
// no I/O, no clock, no randomness (ids and times come in the command), so
// each is unit-tested on its own. The CommandBus stamps the envelope (id,
// ts, actor, cmd) on what they return.
#ifndef LENS_COMMANDS_ACCOUNT_DECIDER_H_
#define LENS_COMMANDS_ACCOUNT_DECIDER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/strong_id.h"
#include "events/event.h"

namespace lens {

// What the command side knows of one account.
struct UserRecord {
  UserId id;
  std::string username;
  std::string email;
  std::string display_name;
  std::string bio;
  bool is_private = false;
  std::string password_hash;
  int64_t created_at_ms = 0;
  int64_t sessions_valid_after_ms = 0;  // sessions issued up to then were ended
};

struct SessionRecord {
  SessionId id;
  UserId user_id;
  int64_t issued_at_ms = 0;
  int64_t expires_at_ms = 0;
  bool revoked = false;
};

struct RegisterAccount {
  UserId new_user_id;
  std::string username;  // canonical
  std::string email;     // canonical
  std::string display_name;
  std::string password_hash;
};
absl::StatusOr<std::vector<Event>> DecideRegister(const RegisterAccount& cmd, bool username_taken,
                                                  bool email_taken);

struct UpdateProfile {
  UserId user_id;
  std::optional<std::string> display_name;
  std::optional<std::string> bio;
  std::optional<bool> is_private;
};
// Emits only the fields that change; no event when nothing does.
absl::StatusOr<std::vector<Event>> DecideUpdateProfile(const UpdateProfile& cmd,
                                                       const std::optional<UserRecord>& user);

struct StartSession {
  UserId user_id;
  SessionId session_id;
  int64_t now_ms = 0;
  int64_t ttl_ms = 0;
};
absl::StatusOr<std::vector<Event>> DecideStartSession(const StartSession& cmd,
                                                      const std::optional<UserRecord>& user);

// Ending an already-ended session is not an error and emits nothing.
absl::StatusOr<std::vector<Event>> DecideRevokeSession(UserId user, SessionId session,
                                                       const std::optional<SessionRecord>& s);

struct ChangePassword {
  UserId user_id;
  std::string new_password_hash;
  int64_t now_ms = 0;  // sessions issued up to now are ended
};
absl::StatusOr<std::vector<Event>> DecideChangePassword(const ChangePassword& cmd,
                                                        const std::optional<UserRecord>& user);

}  // namespace lens

#endif  // LENS_COMMANDS_ACCOUNT_DECIDER_H_
