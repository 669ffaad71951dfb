#include "readmodels/accounts_model.h"

#include "base/big_endian.h"
#include "base/time.h"
#include "store/rocksdb_status.h"

namespace lens {
namespace accounts_model {

std::vector<std::string> ColumnFamilies() {
  return {kProfiles, kUsernames, kRevokedSessions, kSessionCutoffs};
}

}  // namespace accounts_model

using namespace accounts_model;

std::string Profile::Encode() const {
  return DumpJson(Json{{"username", username},
                       {"email", email},
                       {"display_name", display_name},
                       {"bio", bio},
                       {"private", is_private},
                       {"created_at", created_at_ms}});
}

std::optional<Profile> Profile::Decode(UserId id, std::string_view text) {
  auto j = ParseJsonObject(text);
  if (!j.ok()) return std::nullopt;
  Profile p;
  p.id = id;
  p.username = j->value("username", "");
  p.email = j->value("email", "");
  p.display_name = j->value("display_name", "");
  p.bio = j->value("bio", "");
  p.is_private = j->value("private", false);
  p.created_at_ms = j->value("created_at", int64_t{0});
  return p;
}

absl::StatusOr<std::optional<Profile>> AccountsReader::GetProfile(UserId id) const {
  auto v = slot_->Get()->Get(kProfiles, BigEndian64(id.value()));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<Profile>();
  auto p = Profile::Decode(id, **v);
  if (!p) return absl::DataLossError("corrupt profile " + id.ToString());
  return p;
}

absl::StatusOr<std::optional<UserId>> AccountsReader::LookupUsername(
    std::string_view username) const {
  auto v = slot_->Get()->Get(kUsernames, username);
  if (!v.ok()) return v.status();
  if (!v->has_value() || (*v)->size() != 8) return std::optional<UserId>();
  return std::optional<UserId>(UserId(ReadBigEndian64(**v)));
}

absl::StatusOr<bool> AccountsReader::IsRevoked(const TokenClaims& claims) {
  std::shared_ptr<Store> store = slot_->Get();
  auto revoked = store->Get(kRevokedSessions, BigEndian64(claims.session_id.value()));
  if (!revoked.ok()) return revoked.status();
  if (revoked->has_value()) return true;
  auto cutoff = store->Get(kSessionCutoffs, BigEndian64(claims.user_id.value()));
  if (!cutoff.ok()) return cutoff.status();
  if (cutoff->has_value() && (*cutoff)->size() == 8 &&
      claims.issued_at_ms <= static_cast<int64_t>(ReadBigEndian64(**cutoff)))  // see DecisionState
    return true;
  return false;
}

Json ProfileJson(const Profile& p, const ProfileCounts& counts, bool self) {
  Json j{{"id", p.id.ToString()},
         {"username", p.username},
         {"display_name", p.display_name},
         {"bio", p.bio},
         {"private", p.is_private},
         {"created_at", FormatIsoMillis(p.created_at_ms)},
         {"followers_count", counts.followers},
         {"following_count", counts.following},
         {"posts_count", counts.posts}};
  if (self) j["email"] = p.email;
  return j;
}

}  // namespace lens
