// The short form of an account that lists and notifications embed.
#ifndef LENS_QUERY_API_ACCOUNT_SUMMARY_H_
#define LENS_QUERY_API_ACCOUNT_SUMMARY_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "readmodels/accounts_model.h"
#include "views/views.h"

namespace lens {

// The account's summary; only the id when the account is unknown.
absl::StatusOr<AccountSummaryView> SummaryOf(const AccountsReader& accounts, uint64_t id);
absl::StatusOr<Json> SummaryJson(const AccountsReader& accounts, uint64_t id);
// The summaries of `ids`, in order, read together (an author met twice is
// read once).
absl::StatusOr<std::vector<AccountSummaryView>> SummariesOf(const AccountsReader& accounts,
                                                            const std::vector<uint64_t>& ids);

}  // namespace lens

#endif  // LENS_QUERY_API_ACCOUNT_SUMMARY_H_
