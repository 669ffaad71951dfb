#include "readmodels/social_model.h"

#include <algorithm>
#include <functional>
#include <iterator>
#include <map>
#include <memory>

#include "base/big_endian.h"
#include "base/status_macros.h"
#include "base/varint.h"
#include "store/rocksdb_status.h"

namespace lens {
namespace social_model {

std::vector<std::string> ColumnFamilies() {
  return {kPosts,    kPostCounters, kUserPosts,    kLikes, kComments, kFollowers,   kFollowing,
          kRequests, kBlocks,       kUserCounters, kFeed,  kFeedMeta, kCelebrities, kViewerCelebs,
          kCelebRecent};
}

std::string Id(uint64_t id) { return BigEndian64(id); }

std::string Pair(uint64_t a, uint64_t b) {
  std::string k = BigEndian64(a);
  AppendBigEndian64(&k, b);
  return k;
}

std::string NewestFirst(uint64_t owner, uint64_t id) { return Pair(owner, ~id); }

std::string Counter(uint64_t id, std::string_view name) {
  std::string k = BigEndian64(id);
  k += name;
  return k;
}

}  // namespace social_model

using namespace social_model;

std::string RecentPosts::Encode() const {
  std::string out(1, complete ? '\x01' : '\x00');
  out.reserve(1 + 8 * ids.size());
  for (uint64_t id : ids) AppendBigEndian64(&out, id);
  return out;
}

std::optional<RecentPosts> RecentPosts::Decode(std::string_view text) {
  if (text.empty() || (text.size() - 1) % 8 != 0 || static_cast<uint8_t>(text[0]) > 1)
    return std::nullopt;
  RecentPosts r;
  r.complete = text[0] == '\x01';
  r.ids.reserve((text.size() - 1) / 8);
  for (size_t i = 1; i < text.size(); i += 8) r.ids.push_back(ReadBigEndian64(text.substr(i, 8)));
  return r;
}

namespace {

// Stored posts are binary records (every feed item decodes one):
//   0x01 varint(author) varint(created_at) varint(edited_at) lp(caption)
//   varint(n) n×lp(hashtag) varint(n) n×lp(mention) varint(n) n×lp(media id)
// where lp is a varint length and the bytes. Stores written before hold
// JSON objects, which start with '{' and still decode.
constexpr char kPostRecord = '\x01';

void PutStrings(std::string* out, const std::vector<std::string>& items) {
  PutVarint(out, items.size());
  for (const std::string& s : items) PutLengthPrefixed(out, s);
}

bool GetStrings(const char*& p, const char* end, std::vector<std::string>* items) {
  uint64_t n;
  if (!GetVarint(p, end, &n) || n > static_cast<uint64_t>(end - p)) return false;
  items->reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view s;
    if (!GetLengthPrefixed(p, end, &s)) return false;
    items->emplace_back(s);
  }
  return true;
}

std::optional<StoredPost> DecodeJsonPost(uint64_t id, std::string_view text) {
  auto j = ParseJsonObject(text);
  if (!j.ok()) return std::nullopt;
  StoredPost p;
  p.id = id;
  p.author = j->value("author", uint64_t{0});
  p.caption = j->value("caption", "");
  p.hashtags = j->value("hashtags", std::vector<std::string>{});
  p.mentions = j->value("mentions", std::vector<std::string>{});
  p.media_ids = j->value("media_ids", std::vector<std::string>{});
  p.created_at_ms = j->value("created_at", int64_t{0});
  p.edited_at_ms = j->value("edited_at", int64_t{0});
  return p;
}

}  // namespace

std::string StoredPost::Encode() const {
  std::string out;
  out.reserve(32 + caption.size());
  out.push_back(kPostRecord);
  PutVarint(&out, author);
  PutVarint(&out, static_cast<uint64_t>(created_at_ms));
  PutVarint(&out, static_cast<uint64_t>(edited_at_ms));
  PutLengthPrefixed(&out, caption);
  PutStrings(&out, hashtags);
  PutStrings(&out, mentions);
  PutStrings(&out, media_ids);
  return out;
}

std::optional<StoredPost> StoredPost::Decode(uint64_t id, std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text[0] == '{') return DecodeJsonPost(id, text);
  if (text[0] != kPostRecord) return std::nullopt;
  const char* p = text.data() + 1;
  const char* end = text.data() + text.size();
  StoredPost post;
  post.id = id;
  uint64_t created, edited;
  std::string_view caption;
  if (!GetVarint(p, end, &post.author) || !GetVarint(p, end, &created) ||
      !GetVarint(p, end, &edited) || !GetLengthPrefixed(p, end, &caption) ||
      !GetStrings(p, end, &post.hashtags) || !GetStrings(p, end, &post.mentions) ||
      !GetStrings(p, end, &post.media_ids) || p != end)
    return std::nullopt;
  post.caption = caption;
  post.created_at_ms = static_cast<int64_t>(created);
  post.edited_at_ms = static_cast<int64_t>(edited);
  return post;
}

std::string StoredComment::Encode() const {
  return DumpJson(Json{{"author", author}, {"text", text}, {"created_at", created_at_ms}});
}

std::optional<StoredComment> StoredComment::Decode(uint64_t post, uint64_t id,
                                                   std::string_view text) {
  auto j = ParseJsonObject(text);
  if (!j.ok()) return std::nullopt;
  StoredComment c;
  c.id = id;
  c.post = post;
  c.author = j->value("author", uint64_t{0});
  c.text = j->value("text", "");
  c.created_at_ms = j->value("created_at", int64_t{0});
  return c;
}

namespace {

// Scans keys "owner + BE64(x)" from `start` on, calling fn(x, value) until
// it returns false or the owner's range ends.
template <typename Fn>
absl::Status ScanOwner(Store* store, const char* cf, uint64_t owner, const std::string& start,
                       Fn fn) {
  std::string upper = owner == ~uint64_t{0} ? std::string(9, '\xff') : BigEndian64(owner + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(store->db()->NewIterator(ro, store->cf(cf)));
  for (it->Seek(start); it->Valid(); it->Next()) {
    std::string_view k = it->key().ToStringView();
    if (k.size() < 16) continue;
    if (!fn(ReadBigEndian64(k.substr(8)), it->value().ToStringView())) break;
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return absl::OkStatus();
}

}  // namespace

// The social model as one store holds it. SocialReader reads through a
// view of the store that serves at the start of each call, so one call
// never mixes two generations of the model.
class SocialView {
 public:
  explicit SocialView(Store* store) : store_(store) {}

  absl::StatusOr<std::optional<StoredPost>> GetPost(uint64_t id) const;
  absl::StatusOr<std::vector<StoredPost>> GetPosts(const std::vector<uint64_t>& ids) const;
  absl::StatusOr<std::vector<PostStats>> GetPostStats(const std::vector<uint64_t>& posts,
                                                      uint64_t viewer) const;
  absl::StatusOr<int64_t> GetCounter(const char* cf, std::string_view key) const;
  absl::StatusOr<bool> Exists(const char* cf, std::string_view key) const;
  bool Follows(uint64_t follower, uint64_t followee) const;
  bool BlockedEitherWay(uint64_t a, uint64_t b) const;
  absl::StatusOr<IdPage> ListAscending(const char* cf, uint64_t owner, uint64_t after,
                                       size_t limit) const;
  absl::StatusOr<IdPage> ListNewestFirst(const char* cf, uint64_t owner, uint64_t before,
                                         size_t limit) const;
  absl::StatusOr<std::vector<StoredComment>> ListComments(uint64_t post, bool newest_first,
                                                          std::optional<uint64_t> cursor,
                                                          size_t limit) const;
  absl::StatusOr<FeedPosts> FeedPage(uint64_t viewer, uint64_t before, size_t limit) const;

 private:
  // Newest first; a post read while checking the feed keeps its value.
  using Picked = std::map<uint64_t, std::optional<StoredPost>, std::greater<>>;
  // An author's posts with ids below `before`.
  struct AuthorRange {
    uint64_t author;
    uint64_t before;
  };
  // Merges into `picked` the newest posts (ids in (horizon, range.before))
  // of each range's author, keeping the newest `want` of all: one
  // iterator, one Seek per author, which stops at the first post too old
  // for the page.
  absl::Status MergeAuthorPosts(const std::vector<AuthorRange>& ranges, uint64_t horizon,
                                size_t want, Picked* picked) const;
  // The same for celebrities, from their RecentPosts lists (one MultiGet
  // for all); an author without a list, or whose list ends above what the
  // page may still take, is read from user_posts.
  absl::Status MergeCelebrityPosts(const std::vector<uint64_t>& celebs, uint64_t horizon,
                                   uint64_t before, size_t want, Picked* picked) const;

  Store* store_;
};

absl::StatusOr<std::optional<StoredPost>> SocialView::GetPost(uint64_t id) const {
  auto v = store_->Get(kPosts, social_model::Id(id));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<StoredPost>();
  auto p = StoredPost::Decode(id, **v);
  if (!p) return absl::DataLossError("corrupt post");
  return p;
}

absl::StatusOr<std::vector<StoredPost>> SocialView::GetPosts(
    const std::vector<uint64_t>& ids) const {
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (uint64_t id : ids) keys.push_back(social_model::Id(id));
  auto values = store_->MultiGet(kPosts, keys);
  if (!values.ok()) return values.status();
  std::vector<StoredPost> out;
  out.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!(*values)[i]) continue;
    auto p = StoredPost::Decode(ids[i], *(*values)[i]);
    if (!p) return absl::DataLossError("corrupt post " + std::to_string(ids[i]));
    out.push_back(std::move(*p));
  }
  return out;
}

absl::StatusOr<std::vector<PostStats>> SocialView::GetPostStats(const std::vector<uint64_t>& posts,
                                                                uint64_t viewer) const {
  std::vector<std::string> counters, likes;
  counters.reserve(2 * posts.size());
  likes.reserve(posts.size());
  for (uint64_t id : posts) {
    counters.push_back(Counter(id, "l"));
    counters.push_back(Counter(id, "c"));
    likes.push_back(Pair(id, viewer));
  }
  auto counts = store_->MultiGet(kPostCounters, counters);
  if (!counts.ok()) return counts.status();
  auto liked = store_->MultiGet(kLikes, likes);
  if (!liked.ok()) return liked.status();
  std::vector<PostStats> out(posts.size());
  for (size_t i = 0; i < posts.size(); ++i) {
    const auto& l = (*counts)[2 * i];
    const auto& c = (*counts)[2 * i + 1];
    out[i].likes = l ? DecodeCounter(*l) : 0;
    out[i].comments = c ? DecodeCounter(*c) : 0;
    out[i].liked = (*liked)[i].has_value();
  }
  return out;
}

absl::StatusOr<int64_t> SocialView::GetCounter(const char* cf, std::string_view key) const {
  auto v = store_->Get(cf, key);
  if (!v.ok()) return v.status();
  return v->has_value() ? DecodeCounter(**v) : 0;
}

absl::StatusOr<bool> SocialView::Exists(const char* cf, std::string_view key) const {
  auto v = store_->Get(cf, key);
  if (!v.ok()) return v.status();
  return v->has_value();
}

bool SocialView::Follows(uint64_t follower, uint64_t followee) const {
  auto e = Exists(kFollowing, Pair(follower, followee));
  return e.ok() && *e;
}

bool SocialView::BlockedEitherWay(uint64_t a, uint64_t b) const {
  auto x = Exists(kBlocks, Pair(a, b));
  auto y = Exists(kBlocks, Pair(b, a));
  return (x.ok() && *x) || (y.ok() && *y);
}

absl::StatusOr<IdPage> SocialView::ListAscending(const char* cf, uint64_t owner, uint64_t after,
                                                   size_t limit) const {
  IdPage page;
  if (after == ~uint64_t{0}) return page;
  absl::Status s =
      ScanOwner(store_, cf, owner, Pair(owner, after + 1), [&](uint64_t id, std::string_view) {
        if (page.ids.size() == limit) {
          page.next = page.ids.back();
          return false;
        }
        page.ids.push_back(id);
        return true;
      });
  if (!s.ok()) return s;
  return page;
}

absl::StatusOr<IdPage> SocialView::ListNewestFirst(const char* cf, uint64_t owner,
                                                     uint64_t before, size_t limit) const {
  IdPage page;
  if (before == 0) return page;
  absl::Status s = ScanOwner(store_, cf, owner, NewestFirst(owner, before - 1),
                             [&](uint64_t inverted, std::string_view) {
                               if (page.ids.size() == limit) {
                                 page.next = page.ids.back();
                                 return false;
                               }
                               page.ids.push_back(~inverted);
                               return true;
                             });
  if (!s.ok()) return s;
  return page;
}

absl::StatusOr<std::vector<StoredComment>> SocialView::ListComments(
    uint64_t post, bool newest_first, std::optional<uint64_t> cursor, size_t limit) const {
  std::vector<StoredComment> out;
  std::string lower = social_model::Id(post), upper = social_model::Id(post + 1);
  rocksdb::Slice lower_slice(lower), upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower_slice;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(store_->db()->NewIterator(ro, store_->cf(kComments)));
  if (newest_first) {
    if (cursor) {
      it->SeekForPrev(Pair(post, *cursor));
      if (it->Valid() && ReadBigEndian64(it->key().ToStringView().substr(8)) == *cursor) it->Prev();
    } else {
      it->SeekToLast();
    }
  } else {
    it->Seek(cursor ? Pair(post, *cursor + 1) : lower);
  }
  for (; it->Valid() && out.size() < limit; newest_first ? it->Prev() : it->Next()) {
    uint64_t id = ReadBigEndian64(it->key().ToStringView().substr(8));
    auto c = StoredComment::Decode(post, id, it->value().ToStringView());
    if (!c) return absl::DataLossError("corrupt comment");
    out.push_back(std::move(*c));
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return out;
}

namespace {

// Offers an author's post to a page that keeps the newest `want` posts
// (each author's posts offered newest first). False when neither this post
// nor the author's older ones can make it.
template <typename Picked>
bool Offer(uint64_t id, size_t want, Picked* picked) {
  if (picked->size() >= want && id <= picked->rbegin()->first) return false;
  picked->try_emplace(id);
  if (picked->size() > want) picked->erase(std::prev(picked->end()));
  return true;
}

}  // namespace

absl::Status SocialView::MergeAuthorPosts(const std::vector<AuthorRange>& ranges,
                                          uint64_t horizon, size_t want, Picked* picked) const {
  if (ranges.empty()) return absl::OkStatus();
  // One iterator for all authors: creating one costs more than a Seek.
  std::unique_ptr<rocksdb::Iterator> it(
      store_->db()->NewIterator(rocksdb::ReadOptions(), store_->cf(kUserPosts)));
  for (const AuthorRange& r : ranges) {
    if (r.before == 0) continue;
    const std::string owner = social_model::Id(r.author);
    for (it->Seek(NewestFirst(r.author, r.before - 1)); it->Valid(); it->Next()) {
      std::string_view k = it->key().ToStringView();
      if (k.size() != 16 || k.substr(0, 8) != owner) break;
      const uint64_t id = ~ReadBigEndian64(k.substr(8));
      if (id <= horizon || !Offer(id, want, picked)) break;
    }
    if (!it->status().ok()) return FromRocks(it->status());
  }
  return absl::OkStatus();
}

absl::Status SocialView::MergeCelebrityPosts(const std::vector<uint64_t>& celebs,
                                             uint64_t horizon, uint64_t before, size_t want,
                                             Picked* picked) const {
  if (celebs.empty() || before == 0) return absl::OkStatus();
  std::vector<std::string> keys;
  keys.reserve(celebs.size());
  for (uint64_t c : celebs) keys.push_back(social_model::Id(c));
  auto lists = store_->MultiGet(kCelebRecent, keys);
  if (!lists.ok()) return lists.status();
  std::vector<AuthorRange> rest;
  for (size_t i = 0; i < celebs.size(); ++i) {
    std::optional<RecentPosts> recent;
    if ((*lists)[i]) recent = RecentPosts::Decode(*(*lists)[i]);
    if (!recent) {  // a store written before the lists, or a corrupt one
      rest.push_back({celebs[i], before});
      continue;
    }
    bool done = false;
    uint64_t oldest = before;  // the list holds every post from here up
    for (uint64_t id : recent->ids) {
      oldest = std::min(oldest, id);
      if (id >= before) continue;
      if (id <= horizon || !Offer(id, want, picked)) {
        done = true;
        break;
      }
    }
    if (!done && !recent->complete) rest.push_back({celebs[i], oldest});
  }
  return MergeAuthorPosts(rest, horizon, want, picked);
}

absl::StatusOr<FeedPosts> SocialView::FeedPage(uint64_t viewer, uint64_t before,
                                               size_t limit) const {
  FeedPosts page;
  auto h = store_->Get(kFeedMeta, social_model::Id(viewer));
  if (!h.ok()) return h.status();
  const uint64_t horizon = h->has_value() && (*h)->size() == 8 ? ReadBigEndian64(**h) : 0;
  // One more than asked, to know whether a next page exists.
  const size_t want = limit + 1;
  Picked picked;

  // Above the horizon: the materialised feed (entries whose post still
  // exists and whose author the viewer still follows), read a page's
  // worth at a time and checked with two MultiGets ...
  if (before > horizon + 1) {
    std::string upper = BigEndian64(viewer + 1);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    if (viewer != ~uint64_t{0}) ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(store_->db()->NewIterator(ro, store_->cf(kFeed)));
    it->Seek(NewestFirst(viewer, before - 1));
    bool past_horizon = false;
    while (it->Valid() && !past_horizon && picked.size() < want) {
      std::vector<uint64_t> ids, authors;
      for (; it->Valid() && ids.size() < want; it->Next()) {
        std::string_view k = it->key().ToStringView(), v = it->value().ToStringView();
        if (k.size() != 16 || v.size() != 8) continue;
        const uint64_t id = ~ReadBigEndian64(k.substr(8));
        if (id <= horizon) {
          past_horizon = true;
          break;
        }
        ids.push_back(id);
        authors.push_back(ReadBigEndian64(v));
      }
      if (!it->status().ok()) return FromRocks(it->status());
      if (ids.empty()) break;
      std::vector<std::string> follow_keys, post_keys;
      for (size_t i = 0; i < ids.size(); ++i) {
        follow_keys.push_back(Pair(viewer, authors[i]));
        post_keys.push_back(social_model::Id(ids[i]));
      }
      auto follows = store_->MultiGet(kFollowing, follow_keys);
      if (!follows.ok()) return follows.status();
      auto posts = store_->MultiGet(kPosts, post_keys);
      if (!posts.ok()) return posts.status();
      for (size_t i = 0; i < ids.size() && picked.size() < want; ++i) {
        if (authors[i] != viewer && !(*follows)[i]) continue;
        if (!(*posts)[i]) continue;
        auto p = StoredPost::Decode(ids[i], *(*posts)[i]);
        if (!p) return absl::DataLossError("corrupt post " + std::to_string(ids[i]));
        picked.emplace(ids[i], std::move(*p));
      }
    }
    // ... merged with the recent posts of the celebrities the viewer
    // follows, which were not fanned out.
    std::vector<uint64_t> celebs;
    absl::Status s = ScanOwner(store_, kViewerCelebs, viewer, Pair(viewer, 0),
                               [&](uint64_t c, std::string_view) {
                                 celebs.push_back(c);
                                 return true;
                               });
    if (!s.ok()) return s;
    RETURN_IF_ERROR(MergeCelebrityPosts(celebs, horizon, before, want, &picked));
  }
  // Below the horizon (a deep page past the feed's cap): merge the post
  // lists of everyone the viewer follows, and the viewer's own.
  if (picked.size() < want && horizon > 0) {
    const uint64_t below = std::min(before, horizon + 1);
    std::vector<AuthorRange> sources = {{viewer, below}};
    absl::Status s =
        ScanOwner(store_, kFollowing, viewer, Pair(viewer, 0), [&](uint64_t f, std::string_view) {
          sources.push_back({f, below});
          return true;
        });
    if (!s.ok()) return s;
    const size_t need = want - picked.size();
    Picked deep;
    RETURN_IF_ERROR(MergeAuthorPosts(sources, 0, need, &deep));
    for (auto& [id, post] : deep) {
      if (picked.size() >= want) break;
      picked.emplace(id, std::move(post));
    }
  }
  // The newest `want`; the posts not read yet (celebrities', deep pages')
  // in one MultiGet. A post deleted meanwhile is left out.
  while (picked.size() > want) picked.erase(std::prev(picked.end()));
  std::vector<uint64_t> unread;
  for (const auto& [id, post] : picked)
    if (!post) unread.push_back(id);
  auto fetched = GetPosts(unread);
  if (!fetched.ok()) return fetched.status();
  for (StoredPost& p : *fetched) picked[p.id] = std::move(p);
  for (auto& [id, post] : picked) {
    if (!post) continue;
    if (page.posts.size() == limit) {
      page.next = page.posts.back().id;
      break;
    }
    page.posts.push_back(std::move(*post));
  }
  return page;
}

absl::StatusOr<std::optional<StoredPost>> SocialReader::GetPost(uint64_t id) const {
  return SocialView(slot_->Get().get()).GetPost(id);
}
absl::StatusOr<std::vector<StoredPost>> SocialReader::GetPosts(
    const std::vector<uint64_t>& ids) const {
  return SocialView(slot_->Get().get()).GetPosts(ids);
}
absl::StatusOr<std::vector<PostStats>> SocialReader::GetPostStats(
    const std::vector<uint64_t>& posts, uint64_t viewer) const {
  return SocialView(slot_->Get().get()).GetPostStats(posts, viewer);
}
absl::StatusOr<int64_t> SocialReader::GetCounter(const char* cf, std::string_view key) const {
  return SocialView(slot_->Get().get()).GetCounter(cf, key);
}
absl::StatusOr<bool> SocialReader::Exists(const char* cf, std::string_view key) const {
  return SocialView(slot_->Get().get()).Exists(cf, key);
}
bool SocialReader::Follows(uint64_t follower, uint64_t followee) const {
  return SocialView(slot_->Get().get()).Follows(follower, followee);
}
bool SocialReader::BlockedEitherWay(uint64_t a, uint64_t b) const {
  return SocialView(slot_->Get().get()).BlockedEitherWay(a, b);
}
absl::StatusOr<IdPage> SocialReader::ListAscending(const char* cf, uint64_t owner, uint64_t after,
                                                   size_t limit) const {
  return SocialView(slot_->Get().get()).ListAscending(cf, owner, after, limit);
}
absl::StatusOr<IdPage> SocialReader::ListNewestFirst(const char* cf, uint64_t owner,
                                                     uint64_t before, size_t limit) const {
  return SocialView(slot_->Get().get()).ListNewestFirst(cf, owner, before, limit);
}
absl::StatusOr<std::vector<StoredComment>> SocialReader::ListComments(
    uint64_t post, bool newest_first, std::optional<uint64_t> cursor, size_t limit) const {
  return SocialView(slot_->Get().get()).ListComments(post, newest_first, cursor, limit);
}
absl::StatusOr<FeedPosts> SocialReader::FeedPage(uint64_t viewer, uint64_t before,
                                                 size_t limit) const {
  return SocialView(slot_->Get().get()).FeedPage(viewer, before, limit);
}

}  // namespace lens
