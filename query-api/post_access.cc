#include "query-api/post_access.h"

#include "base/status_macros.h"
#include "query-api/account_summary.h"
#include "views/views.h"

namespace lens {

using namespace social_model;

absl::StatusOr<PostAccess> PostViewer::AccessTo(uint64_t viewer, uint64_t author) const {
  ASSIGN_OR_RETURN(auto profile, accounts_->GetProfile(UserId(author)));
  if (!profile) return PostAccess::kHidden;
  if (viewer == author) return PostAccess::kVisible;
  if (social_->BlockedEitherWay(viewer, author)) return PostAccess::kHidden;
  if (profile->is_private && !social_->Follows(viewer, author)) return PostAccess::kPrivate;
  return PostAccess::kVisible;
}

absl::StatusOr<std::optional<StoredPost>> PostViewer::VisiblePost(uint64_t viewer,
                                                                  uint64_t post) const {
  ASSIGN_OR_RETURN(auto p, social_->GetPost(post));
  if (!p) return p;
  ASSIGN_OR_RETURN(PostAccess access, AccessTo(viewer, p->author));
  if (access != PostAccess::kVisible) return std::optional<StoredPost>();
  return p;
}

absl::StatusOr<Json> PostViewer::PostJson(const StoredPost& post, uint64_t viewer) const {
  PostView v;
  v.id = std::to_string(post.id);
  ASSIGN_OR_RETURN(v.author, SummaryOf(*accounts_, post.author));
  v.caption = post.caption;
  v.hashtags = post.hashtags;
  v.mentions = post.mentions;
  v.media_ids = post.media_ids;
  v.created_at_ms = post.created_at_ms;
  v.edited_at_ms = post.edited_at_ms;
  ASSIGN_OR_RETURN(v.like_count, social_->GetCounter(kPostCounters, Counter(post.id, "l")));
  ASSIGN_OR_RETURN(v.comment_count, social_->GetCounter(kPostCounters, Counter(post.id, "c")));
  ASSIGN_OR_RETURN(v.liked, social_->Exists(kLikes, Pair(post.id, viewer)));
  return ToJson(v);
}

}  // namespace lens
