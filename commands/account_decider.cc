#include "commands/account_decider.h"

#include "events/account_events.h"
#include "events/upcasters.h"
#include "http/http_message.h"

namespace lens {
namespace {

Event MakeEvent(std::string_view type, UserId user, Json data) {
  Event e;
  e.type = std::string(type);
  e.v = CurrentVersion(type);
  e.key = UserKey(user);
  e.data = std::move(data);
  return e;
}

absl::Status NoSuchAccount() {
  return ApiError(absl::StatusCode::kNotFound, "account_not_found", "no such account");
}

}  // namespace

absl::StatusOr<std::vector<Event>> DecideRegister(const RegisterAccount& cmd, bool username_taken,
                                                  bool email_taken) {
  if (username_taken)
    return ApiError(absl::StatusCode::kAlreadyExists, "username_taken",
                    "this username is already taken", "username");
  if (email_taken)
    return ApiError(absl::StatusCode::kAlreadyExists, "email_taken",
                    "an account with this email already exists", "email");
  AccountRegistered e{cmd.new_user_id, cmd.username, cmd.email, cmd.display_name,
                      cmd.password_hash};
  return std::vector<Event>{MakeEvent(kAccountRegistered, cmd.new_user_id, e.ToJson())};
}

absl::StatusOr<std::vector<Event>> DecideUpdateProfile(const UpdateProfile& cmd,
                                                       const std::optional<UserRecord>& user) {
  if (!user) return NoSuchAccount();
  ProfileUpdated e;
  e.user_id = cmd.user_id;
  if (cmd.display_name && *cmd.display_name != user->display_name)
    e.display_name = cmd.display_name;
  if (cmd.bio && *cmd.bio != user->bio) e.bio = cmd.bio;
  if (cmd.is_private && *cmd.is_private != user->is_private) e.is_private = cmd.is_private;
  if (!e.display_name && !e.bio && !e.is_private) return std::vector<Event>{};
  return std::vector<Event>{MakeEvent(kProfileUpdated, cmd.user_id, e.ToJson())};
}

absl::StatusOr<std::vector<Event>> DecideStartSession(const StartSession& cmd,
                                                      const std::optional<UserRecord>& user) {
  if (!user) return NoSuchAccount();
  SessionStarted e{cmd.user_id, cmd.session_id, cmd.now_ms, cmd.now_ms + cmd.ttl_ms};
  return std::vector<Event>{MakeEvent(kSessionStarted, cmd.user_id, e.ToJson())};
}

absl::StatusOr<std::vector<Event>> DecideRevokeSession(UserId user, SessionId session,
                                                       const std::optional<SessionRecord>& s) {
  if (s && s->user_id != user)
    return ApiError(absl::StatusCode::kPermissionDenied, "forbidden",
                    "this session belongs to another account");
  if (!s || s->revoked) return std::vector<Event>{};
  SessionRevoked e{user, session};
  return std::vector<Event>{MakeEvent(kSessionRevoked, user, e.ToJson())};
}

absl::StatusOr<std::vector<Event>> DecideChangePassword(const ChangePassword& cmd,
                                                        const std::optional<UserRecord>& user) {
  if (!user) return NoSuchAccount();
  PasswordChanged e{cmd.user_id, cmd.new_password_hash, cmd.now_ms};
  return std::vector<Event>{MakeEvent(kPasswordChanged, cmd.user_id, e.ToJson())};
}

}  // namespace lens
