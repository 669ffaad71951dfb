// The accounts read model: its column families, record encodings and the
// reader the query API uses. The "accounts" projection writes it; keeping
// the schema here lets the projection and the query API agree on it
// without depending on each other.
//
//   profiles          BE64(user id)    -> profile JSON
//   profile_usernames username         -> BE64(user id)
//   revoked_sessions  BE64(session id) -> ""
//   session_cutoffs   BE64(user id)    -> BE64(ms): sessions issued up to then ended
// (follower, following and post counts live in the social model.)
#ifndef LENS_READMODELS_ACCOUNTS_MODEL_H_
#define LENS_READMODELS_ACCOUNTS_MODEL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/authenticator.h"
#include "base/json.h"
#include "base/strong_id.h"
#include "store/store.h"
#include "store/store_slot.h"

namespace lens {

namespace accounts_model {
inline constexpr char kProfiles[] = "profiles";
inline constexpr char kUsernames[] = "profile_usernames";
inline constexpr char kRevokedSessions[] = "revoked_sessions";
inline constexpr char kSessionCutoffs[] = "session_cutoffs";
std::vector<std::string> ColumnFamilies();
}  // namespace accounts_model

struct Profile {
  UserId id;
  std::string username;
  std::string email;  // shown to its owner only
  std::string display_name;
  std::string bio;
  bool is_private = false;
  int64_t created_at_ms = 0;

  std::string Encode() const;
  static std::optional<Profile> Decode(UserId id, std::string_view text);
};

struct ProfileCounts {
  int64_t followers = 0;
  int64_t following = 0;
  int64_t posts = 0;
};

class AccountsReader : public SessionRevocations {
 public:
  // Reads whichever store `slot` serves; `slot` must outlive the reader.
  explicit AccountsReader(const StoreSlot* slot) : slot_(slot) {}

  absl::StatusOr<std::optional<Profile>> GetProfile(UserId id) const;
  // The profiles of `ids`, in order (nullopt: no such account), in one
  // MultiGet.
  absl::StatusOr<std::vector<std::optional<Profile>>> GetProfiles(
      const std::vector<uint64_t>& ids) const;
  absl::StatusOr<std::optional<UserId>> LookupUsername(std::string_view username) const;
  absl::StatusOr<bool> IsRevoked(const TokenClaims& claims) override;

 private:
  const StoreSlot* slot_;
};

// The JSON of a profile; `self` adds the owner-only fields.
Json ProfileJson(const Profile& p, const ProfileCounts& counts, bool self);

}  // namespace lens

#endif  // LENS_READMODELS_ACCOUNTS_MODEL_H_
