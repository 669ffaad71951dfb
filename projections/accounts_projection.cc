#include "projections/accounts_projection.h"

#include <algorithm>

#include "base/big_endian.h"
#include "events/account_events.h"
#include "projector/apply_context.h"
#include "readmodels/accounts_model.h"

namespace lens {

using namespace accounts_model;

std::vector<std::string> AccountsProjection::column_families() const {
  return accounts_model::ColumnFamilies();
}

// Every authenticated request checks its session (revoked_sessions,
// session_cutoffs); every post shown reads its author's profile.
std::vector<std::string> AccountsProjection::cached_families() const {
  return accounts_model::ColumnFamilies();
}

// The types Apply below acts on.
bool AccountsProjection::Handles(std::string_view type) const {
  static constexpr std::string_view kTypes[] = {
      kAccountRegistered, kProfileUpdated, kSessionRevoked, kPasswordChanged};
  return std::find(std::begin(kTypes), std::end(kTypes), type) != std::end(kTypes);
}

absl::Status AccountsProjection::Apply(const Event& e, const LogPosition&, ApplyContext& ctx) {
  auto corrupt = [&] {
    return absl::DataLossError("malformed " + e.type + " data in event " + e.id.ToString());
  };
  if (e.type == kAccountRegistered) {
    auto d = AccountRegistered::FromJson(e.data);
    if (!d) return corrupt();
    Profile p;
    p.id = d->user_id;
    p.username = d->username;
    p.email = d->email;
    p.display_name = d->display_name;
    p.created_at_ms = e.ts_ms;
    ctx.Put(kProfiles, BigEndian64(p.id.value()), p.Encode());
    auto existing = ctx.Get(kUsernames, p.username);
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) ctx.Put(kUsernames, p.username, BigEndian64(p.id.value()));
  } else if (e.type == kProfileUpdated) {
    auto d = ProfileUpdated::FromJson(e.data);
    if (!d) return corrupt();
    std::string key = BigEndian64(d->user_id.value());
    auto v = ctx.Get(kProfiles, key);
    if (!v.ok()) return v.status();
    if (!v->has_value()) return absl::OkStatus();
    auto p = Profile::Decode(d->user_id, **v);
    if (!p) return absl::DataLossError("corrupt profile " + d->user_id.ToString());
    if (d->display_name) p->display_name = *d->display_name;
    if (d->bio) p->bio = *d->bio;
    if (d->is_private) p->is_private = *d->is_private;
    ctx.Put(kProfiles, key, p->Encode());
  } else if (e.type == kSessionRevoked) {
    auto d = SessionRevoked::FromJson(e.data);
    if (!d) return corrupt();
    ctx.Put(kRevokedSessions, BigEndian64(d->session_id.value()), "");
  } else if (e.type == kPasswordChanged) {
    auto d = PasswordChanged::FromJson(e.data);
    if (!d) return corrupt();
    ctx.Put(kSessionCutoffs, BigEndian64(d->user_id.value()),
            BigEndian64(static_cast<uint64_t>(d->changed_at_ms)));
  }
  return absl::OkStatus();
}

}  // namespace lens
