#include "query-api/account_summary.h"

#include <algorithm>

#include "base/status_macros.h"

namespace lens {

namespace {

AccountSummaryView Summary(uint64_t id, const std::optional<Profile>& profile) {
  AccountSummaryView v;
  v.id = std::to_string(id);
  if (profile) {
    v.username = profile->username;
    v.display_name = profile->display_name;
    v.is_private = profile->is_private;
  }
  return v;
}

}  // namespace

absl::StatusOr<AccountSummaryView> SummaryOf(const AccountsReader& accounts, uint64_t id) {
  ASSIGN_OR_RETURN(auto profile, accounts.GetProfile(UserId(id)));
  return Summary(id, profile);
}

absl::StatusOr<std::vector<AccountSummaryView>> SummariesOf(const AccountsReader& accounts,
                                                            const std::vector<uint64_t>& ids) {
  std::vector<uint64_t> distinct(ids);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  ASSIGN_OR_RETURN(auto profiles, accounts.GetProfiles(distinct));
  std::vector<AccountSummaryView> out;
  out.reserve(ids.size());
  for (uint64_t id : ids) {
    size_t i = std::lower_bound(distinct.begin(), distinct.end(), id) - distinct.begin();
    out.push_back(Summary(id, profiles[i]));
  }
  return out;
}

absl::StatusOr<Json> SummaryJson(const AccountsReader& accounts, uint64_t id) {
  ASSIGN_OR_RETURN(AccountSummaryView v, SummaryOf(accounts, id));
  return ToJson(v);
}

}  // namespace lens
