#include "readmodels/accounts_model.h"

#include "base/big_endian.h"
#include "base/time.h"
#include "base/varint.h"
#include "store/rocksdb_status.h"

namespace lens {
namespace accounts_model {

std::vector<std::string> ColumnFamilies() {
  return {kProfiles, kUsernames, kRevokedSessions, kSessionCutoffs};
}

}  // namespace accounts_model

using namespace accounts_model;

namespace {

// Profiles are binary records (every post and list item shows its author's):
//   0x01 lp(username) lp(email) lp(display_name) lp(bio) byte(private)
//   varint(created_at)
// where lp is a varint length and the bytes. Stores written before hold
// JSON objects, which start with '{' and still decode.
constexpr char kProfileRecord = '\x01';

std::optional<Profile> DecodeJsonProfile(UserId id, std::string_view text) {
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

}  // namespace

std::string Profile::Encode() const {
  std::string out;
  out.reserve(24 + username.size() + email.size() + display_name.size() + bio.size());
  out.push_back(kProfileRecord);
  PutLengthPrefixed(&out, username);
  PutLengthPrefixed(&out, email);
  PutLengthPrefixed(&out, display_name);
  PutLengthPrefixed(&out, bio);
  out.push_back(is_private ? 1 : 0);
  PutVarint(&out, static_cast<uint64_t>(created_at_ms));
  return out;
}

std::optional<Profile> Profile::Decode(UserId id, std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text[0] == '{') return DecodeJsonProfile(id, text);
  if (text[0] != kProfileRecord) return std::nullopt;
  const char* p = text.data() + 1;
  const char* end = text.data() + text.size();
  std::string_view username, email, display_name, bio;
  uint64_t created;
  if (!GetLengthPrefixed(p, end, &username) || !GetLengthPrefixed(p, end, &email) ||
      !GetLengthPrefixed(p, end, &display_name) || !GetLengthPrefixed(p, end, &bio) || p == end)
    return std::nullopt;
  const char is_private = *p++;
  if ((is_private != 0 && is_private != 1) || !GetVarint(p, end, &created) || p != end)
    return std::nullopt;
  Profile out;
  out.id = id;
  out.username = username;
  out.email = email;
  out.display_name = display_name;
  out.bio = bio;
  out.is_private = is_private == 1;
  out.created_at_ms = static_cast<int64_t>(created);
  return out;
}

absl::StatusOr<std::optional<Profile>> AccountsReader::GetProfile(UserId id) const {
  auto v = slot_->Get()->Get(kProfiles, BigEndian64(id.value()));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<Profile>();
  auto p = Profile::Decode(id, **v);
  if (!p) return absl::DataLossError("corrupt profile " + id.ToString());
  return p;
}

absl::StatusOr<std::vector<std::optional<Profile>>> AccountsReader::GetProfiles(
    const std::vector<uint64_t>& ids) const {
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (uint64_t id : ids) keys.push_back(BigEndian64(id));
  auto values = slot_->Get()->MultiGet(kProfiles, keys);
  if (!values.ok()) return values.status();
  std::vector<std::optional<Profile>> out(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!(*values)[i]) continue;
    out[i] = Profile::Decode(UserId(ids[i]), *(*values)[i]);
    if (!out[i]) return absl::DataLossError("corrupt profile " + std::to_string(ids[i]));
  }
  return out;
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
