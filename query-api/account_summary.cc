#include "query-api/account_summary.h"

#include "base/status_macros.h"

namespace lens {

absl::StatusOr<AccountSummaryView> SummaryOf(const AccountsReader& accounts, uint64_t id) {
  ASSIGN_OR_RETURN(auto profile, accounts.GetProfile(UserId(id)));
  AccountSummaryView v;
  v.id = std::to_string(id);
  if (profile) {
    v.username = profile->username;
    v.display_name = profile->display_name;
    v.is_private = profile->is_private;
  }
  return v;
}

absl::StatusOr<Json> SummaryJson(const AccountsReader& accounts, uint64_t id) {
  ASSIGN_OR_RETURN(AccountSummaryView v, SummaryOf(accounts, id));
  return ToJson(v);
}

}  // namespace lens
