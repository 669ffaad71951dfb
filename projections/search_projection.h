// The "search" projection: account typeahead, caption full text, hashtags
// and trending tags (see readmodels/search_model.h for the schema).
//
// Who may see what is not decided here: the query API filters hits by the
// social model (blocks, private accounts), so a follow or block takes
// effect in search at once, with no re-indexing. Every change is guarded by
// the state it changes (a post indexed once, a follow counted once), so a
// replay builds the same model.
#ifndef LENS_PROJECTIONS_SEARCH_PROJECTION_H_
#define LENS_PROJECTIONS_SEARCH_PROJECTION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "projector/projection.h"

namespace lens {

struct SearchAccount;

class SearchProjection : public Projection {
 public:
  std::string_view name() const override { return "search"; }
  std::vector<std::string> column_families() const override;
  std::vector<std::string> hot_counter_families() const override;
  bool Handles(std::string_view event_type) const override;
  absl::Status Apply(const Event& event, const LogPosition& pos, ApplyContext& ctx) override;

 private:
  // A post as indexed (the "docs" column family).
  struct IndexedPost {
    uint64_t author = 0;
    int64_t created_at_ms = 0;
    std::string caption;
    std::vector<std::string> hashtags;  // as the event gave them
  };
  absl::Status OnAccountRegistered(const Event& e, ApplyContext& ctx);
  absl::Status OnProfileUpdated(const Event& e, ApplyContext& ctx);
  absl::Status OnFollowEdge(const Event& e, ApplyContext& ctx);
  absl::Status OnPost(const Event& e, ApplyContext& ctx);
  absl::Status OnPostDeleted(const Event& e, ApplyContext& ctx);

  absl::Status AdjustFollowers(uint64_t user, int64_t delta, ApplyContext& ctx);
  void WriteNames(const SearchAccount& a, uint8_t rank, bool put, ApplyContext& ctx);
  absl::Status IndexPost(uint64_t post, const IndexedPost& p, ApplyContext& ctx);
  absl::Status UnindexPost(uint64_t post, ApplyContext& ctx);
  absl::Status AdjustTag(const std::string& tag, int64_t delta, ApplyContext& ctx);
};

}  // namespace lens

#endif  // LENS_PROJECTIONS_SEARCH_PROJECTION_H_
