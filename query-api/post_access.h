// Who may see whose posts, and a post as the API shows it: shared by the
// social queries and search, so that both apply the same rules.
//
// Rules: one always sees oneself; an account blocked either way, or unknown,
// is hidden; a private account's posts are for its approved followers.
#ifndef LENS_QUERY_API_POST_ACCESS_H_
#define LENS_QUERY_API_POST_ACCESS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "base/json.h"
#include "readmodels/accounts_model.h"
#include "readmodels/social_model.h"
#include "views/views.h"

namespace lens {

enum class PostAccess { kVisible, kHidden, kPrivate };

class PostViewer {
 public:
  PostViewer(const AccountsReader* accounts, const SocialReader* social)
      : accounts_(accounts), social_(social) {}

  // What `viewer` may see of `author`'s posts.
  absl::StatusOr<PostAccess> AccessTo(uint64_t viewer, uint64_t author) const;
  // The post, when it exists and `viewer` may see it.
  absl::StatusOr<std::optional<StoredPost>> VisiblePost(uint64_t viewer, uint64_t post) const;
  // The post as the API shows it to `viewer` (docs/social-api.md).
  absl::StatusOr<Json> PostJson(const StoredPost& post, uint64_t viewer) const;
  // `posts` as the API shows them to `viewer`, read together: the authors,
  // the counts and the viewer's likes in one MultiGet each.
  absl::StatusOr<std::vector<PostView>> PostViews(const std::vector<StoredPost>& posts,
                                                  uint64_t viewer) const;

 private:
  const AccountsReader* accounts_;
  const SocialReader* social_;
};

}  // namespace lens

#endif  // LENS_QUERY_API_POST_ACCESS_H_
