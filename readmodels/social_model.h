// The social read model: posts, their likes and comments, the follow graph,
// blocks, per-user counters and the home feeds. Written by the "social"
// projection, read by the query API. Keys use big-endian ids; lists that are
// read newest first store the bitwise complement of the id (~id), so that a
// forward scan is newest first.
//
//   posts          BE64(post)                 -> post JSON (deleted: absent)
//   post_counters  BE64(post) 'l'|'c'         -> likes, comments (int64)
//   user_posts     BE64(author) BE64(~post)   -> ""
//   likes          BE64(post) BE64(user)      -> ""
//   comments       BE64(post) BE64(comment)   -> comment JSON
//   followers      BE64(followee) BE64(follower) -> ""
//   following      BE64(follower) BE64(followee) -> ""
//   requests       BE64(followee) BE64(follower) -> ""   (pending)
//   blocks         BE64(blocker) BE64(blocked)   -> ""
//   user_counters  BE64(user) name            -> int64 ("followers", "following",
//                                                "posts", "feed": feed entries)
//   feed           BE64(viewer) BE64(~post)   -> BE64(author)
//   feed_meta      BE64(viewer)               -> BE64(H): the feed holds every
//                                                visible post with id > H
//   celebrities    BE64(author)               -> ""  (posts merged at read time)
//   viewer_celebs  BE64(viewer) BE64(author)  -> ""  (celebrities a viewer follows)
//   celeb_recent   BE64(author)               -> RecentPosts: a celebrity's newest
//                                                post ids, so that a feed page reads
//                                                each celebrity with one point lookup
#ifndef LENS_READMODELS_SOCIAL_MODEL_H_
#define LENS_READMODELS_SOCIAL_MODEL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "base/json.h"
#include "base/strong_id.h"
#include "store/store.h"
#include "store/store_slot.h"

namespace lens {

namespace social_model {
inline constexpr char kPosts[] = "posts";
inline constexpr char kPostCounters[] = "post_counters";
inline constexpr char kUserPosts[] = "user_posts";
inline constexpr char kLikes[] = "likes";
inline constexpr char kComments[] = "comments";
inline constexpr char kFollowers[] = "followers";
inline constexpr char kFollowing[] = "following";
inline constexpr char kRequests[] = "requests";
inline constexpr char kBlocks[] = "blocks";
inline constexpr char kUserCounters[] = "user_counters";
inline constexpr char kFeed[] = "feed";
inline constexpr char kFeedMeta[] = "feed_meta";
inline constexpr char kCelebrities[] = "celebrities";
inline constexpr char kViewerCelebs[] = "viewer_celebs";
inline constexpr char kCelebRecent[] = "celeb_recent";
std::vector<std::string> ColumnFamilies();

std::string Id(uint64_t id);                           // BE64
std::string Pair(uint64_t a, uint64_t b);              // BE64 BE64
std::string NewestFirst(uint64_t owner, uint64_t id);  // BE64 BE64(~id)
std::string Counter(uint64_t id, std::string_view name);
}  // namespace social_model

struct StoredPost {
  uint64_t id = 0;
  uint64_t author = 0;
  std::string caption;
  std::vector<std::string> hashtags, mentions, media_ids;
  int64_t created_at_ms = 0;
  int64_t edited_at_ms = 0;
  std::string Encode() const;
  static std::optional<StoredPost> Decode(uint64_t id, std::string_view text);
};

struct StoredComment {
  uint64_t id = 0;
  uint64_t post = 0;
  uint64_t author = 0;
  std::string text;
  int64_t created_at_ms = 0;
  std::string Encode() const;
  static std::optional<StoredComment> Decode(uint64_t post, uint64_t id, std::string_view text);
};

// A celebrity's newest post ids, newest first (how many is the social
// projection's setting). `complete` says the author has no older posts;
// otherwise a page that needs posts older than the last id reads them
// from user_posts. Encoded as one byte (1: complete, 0: not) and BE64 ids.
struct RecentPosts {
  std::vector<uint64_t> ids;
  bool complete = true;
  std::string Encode() const;
  static std::optional<RecentPosts> Decode(std::string_view text);
};

// A page of ids read from an ordered list, and where the next page starts.
struct IdPage {
  std::vector<uint64_t> ids;
  std::optional<uint64_t> next;  // the last id returned, when more may follow
};

// A page of a home feed: the posts, newest first, and where the next page
// starts (the last post's id, when more may follow).
struct FeedPosts {
  std::vector<StoredPost> posts;
  std::optional<uint64_t> next;
};

// A post's counts and whether one viewer liked it.
struct PostStats {
  int64_t likes = 0;
  int64_t comments = 0;
  bool liked = false;
};

// Read-side access to the social model. Thread-safe (reads only).
class SocialReader {
 public:
  // Reads whichever store `slot` serves (see StoreSlot); `slot` must
  // outlive the reader.
  explicit SocialReader(const StoreSlot* slot) : slot_(slot) {}

  absl::StatusOr<std::optional<StoredPost>> GetPost(uint64_t id) const;
  // The posts of `ids` that exist, in the order of `ids` (one MultiGet).
  absl::StatusOr<std::vector<StoredPost>> GetPosts(const std::vector<uint64_t>& ids) const;
  // The counts of each post of `posts`, in order, and whether `viewer`
  // liked it: one read of the store for the lot.
  absl::StatusOr<std::vector<PostStats>> GetPostStats(const std::vector<uint64_t>& posts,
                                                      uint64_t viewer) const;
  absl::StatusOr<int64_t> GetCounter(const char* cf, std::string_view key) const;
  absl::StatusOr<bool> Exists(const char* cf, std::string_view key) const;

  bool Follows(uint64_t follower, uint64_t followee) const;
  bool BlockedEitherWay(uint64_t a, uint64_t b) const;

  // Ascending ids under `owner` in a pair-keyed column family (followers,
  // following, requests, likes), after `after` (exclusive), up to `limit`.
  absl::StatusOr<IdPage> ListAscending(const char* cf, uint64_t owner, uint64_t after,
                                       size_t limit) const;
  // Newest-first ids (stored as ~id) under `owner` with id < `before`.
  absl::StatusOr<IdPage> ListNewestFirst(const char* cf, uint64_t owner, uint64_t before,
                                         size_t limit) const;
  // Comments of a post, ascending or descending by comment id, after the
  // cursor (exclusive).
  absl::StatusOr<std::vector<StoredComment>> ListComments(uint64_t post, bool newest_first,
                                                          std::optional<uint64_t> cursor,
                                                          size_t limit) const;
  // One page of `viewer`'s home feed, newest first, with post ids < `before`.
  absl::StatusOr<FeedPosts> FeedPage(uint64_t viewer, uint64_t before, size_t limit) const;

 private:
  const StoreSlot* slot_;
};

}  // namespace lens

#endif  // LENS_READMODELS_SOCIAL_MODEL_H_
