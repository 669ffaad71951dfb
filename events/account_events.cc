#include "events/account_events.h"

namespace lens {
namespace {

bool GetString(const Json& j, const char* k, std::string* out) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

template <typename Id>
bool GetId(const Json& j, const char* k, Id* out) {
  std::string s;
  if (!GetString(j, k, &s)) return false;
  auto id = Id::Parse(s);
  if (!id) return false;
  *out = *id;
  return true;
}

bool GetInt(const Json& j, const char* k, int64_t* out) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_number_integer()) return false;
  *out = it->get<int64_t>();
  return true;
}

}  // namespace

Json AccountRegistered::ToJson() const {
  return Json{{"user_id", user_id.ToString()},
              {"username", username},
              {"email", email},
              {"display_name", display_name},
              {"password_hash", password_hash}};
}
std::optional<AccountRegistered> AccountRegistered::FromJson(const Json& j) {
  AccountRegistered e;
  if (!GetId(j, "user_id", &e.user_id) || !GetString(j, "username", &e.username) ||
      !GetString(j, "email", &e.email) || !GetString(j, "display_name", &e.display_name) ||
      !GetString(j, "password_hash", &e.password_hash))
    return std::nullopt;
  return e;
}

Json ProfileUpdated::ToJson() const {
  Json j{{"user_id", user_id.ToString()}};
  if (display_name) j["display_name"] = *display_name;
  if (bio) j["bio"] = *bio;
  if (is_private) j["private"] = *is_private;
  return j;
}
std::optional<ProfileUpdated> ProfileUpdated::FromJson(const Json& j) {
  ProfileUpdated e;
  if (!GetId(j, "user_id", &e.user_id)) return std::nullopt;
  std::string s;
  // Optional fields: absent is fine, present with the wrong type is not.
  if (j.contains("display_name")) {
    if (!GetString(j, "display_name", &s)) return std::nullopt;
    e.display_name = s;
  }
  if (j.contains("bio")) {
    if (!GetString(j, "bio", &s)) return std::nullopt;
    e.bio = s;
  }
  if (auto it = j.find("private"); it != j.end()) {
    if (!it->is_boolean()) return std::nullopt;
    e.is_private = it->get<bool>();
  }
  return e;
}

Json PasswordChanged::ToJson() const {
  return Json{{"user_id", user_id.ToString()},
              {"password_hash", password_hash},
              {"changed_at", changed_at_ms}};
}
std::optional<PasswordChanged> PasswordChanged::FromJson(const Json& j) {
  PasswordChanged e;
  if (!GetId(j, "user_id", &e.user_id) || !GetString(j, "password_hash", &e.password_hash) ||
      !GetInt(j, "changed_at", &e.changed_at_ms))
    return std::nullopt;
  return e;
}

Json SessionStarted::ToJson() const {
  return Json{{"user_id", user_id.ToString()},
              {"session_id", session_id.ToString()},
              {"issued_at", issued_at_ms},
              {"expires_at", expires_at_ms}};
}
std::optional<SessionStarted> SessionStarted::FromJson(const Json& j) {
  SessionStarted e;
  if (!GetId(j, "user_id", &e.user_id) || !GetId(j, "session_id", &e.session_id) ||
      !GetInt(j, "issued_at", &e.issued_at_ms) || !GetInt(j, "expires_at", &e.expires_at_ms))
    return std::nullopt;
  return e;
}

Json SessionRevoked::ToJson() const {
  return Json{{"user_id", user_id.ToString()}, {"session_id", session_id.ToString()}};
}
std::optional<SessionRevoked> SessionRevoked::FromJson(const Json& j) {
  SessionRevoked e;
  if (!GetId(j, "user_id", &e.user_id) || !GetId(j, "session_id", &e.session_id))
    return std::nullopt;
  return e;
}

}  // namespace lens
