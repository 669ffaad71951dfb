#include "query-api/post_access.h"

#include "base/status_macros.h"
#include "query-api/account_summary.h"

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
  ASSIGN_OR_RETURN(std::vector<PostView> one, PostViews({post}, viewer));
  return ToJson(one[0]);
}

absl::StatusOr<std::vector<PostView>> PostViewer::PostViews(const std::vector<StoredPost>& posts,
                                                            uint64_t viewer) const {
  std::vector<uint64_t> ids, authors;
  ids.reserve(posts.size());
  authors.reserve(posts.size());
  for (const StoredPost& p : posts) {
    ids.push_back(p.id);
    authors.push_back(p.author);
  }
  ASSIGN_OR_RETURN(std::vector<AccountSummaryView> summaries, SummariesOf(*accounts_, authors));
  ASSIGN_OR_RETURN(std::vector<PostStats> stats, social_->GetPostStats(ids, viewer));
  std::vector<PostView> views(posts.size());
  for (size_t i = 0; i < posts.size(); ++i) {
    const StoredPost& post = posts[i];
    PostView& v = views[i];
    v.id = std::to_string(post.id);
    v.author = std::move(summaries[i]);
    v.caption = post.caption;
    v.hashtags = post.hashtags;
    v.mentions = post.mentions;
    v.media_ids = post.media_ids;
    v.created_at_ms = post.created_at_ms;
    v.edited_at_ms = post.edited_at_ms;
    v.like_count = stats[i].likes;
    v.comment_count = stats[i].comments;
    v.liked = stats[i].liked;
  }
  return views;
}

}  // namespace lens
