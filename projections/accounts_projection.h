// The "accounts" projection: profiles, username lookup, ended sessions and
// per-user counters (see readmodels/accounts_model.h for the schema).
#ifndef LENS_PROJECTIONS_ACCOUNTS_PROJECTION_H_
#define LENS_PROJECTIONS_ACCOUNTS_PROJECTION_H_

#include "projector/projection.h"

namespace lens {

class AccountsProjection : public Projection {
 public:
  std::string_view name() const override { return "accounts"; }
  std::vector<std::string> column_families() const override;
  std::vector<std::string> cached_families() const override;
  bool Handles(std::string_view event_type) const override;
  absl::Status Apply(const Event& event, const LogPosition& pos, ApplyContext& ctx) override;
};

}  // namespace lens

#endif  // LENS_PROJECTIONS_ACCOUNTS_PROJECTION_H_
