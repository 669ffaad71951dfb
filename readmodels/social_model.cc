#include "readmodels/social_model.h"

#include <algorithm>
#include <memory>
#include <set>

#include "base/big_endian.h"
#include "store/rocksdb_status.h"

namespace lens {
namespace social_model {

std::vector<std::string> ColumnFamilies() {
  return {kPosts,    kPostCounters, kUserPosts,    kLikes, kComments, kFollowers,   kFollowing,
          kRequests, kBlocks,       kUserCounters, kFeed,  kFeedMeta, kCelebrities, kViewerCelebs};
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

std::string StoredPost::Encode() const {
  Json j{{"author", author},     {"caption", caption},          {"hashtags", hashtags},
         {"mentions", mentions}, {"created_at", created_at_ms}, {"edited_at", edited_at_ms}};
  if (!media_ids.empty()) j["media_ids"] = media_ids;
  return DumpJson(j);
}

std::optional<StoredPost> StoredPost::Decode(uint64_t id, std::string_view text) {
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
  absl::StatusOr<IdPage> FeedPage(uint64_t viewer, uint64_t before, size_t limit) const;

 private:
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

absl::StatusOr<IdPage> SocialView::FeedPage(uint64_t viewer, uint64_t before,
                                              size_t limit) const {
  IdPage page;
  auto h = store_->Get(kFeedMeta, social_model::Id(viewer));
  if (!h.ok()) return h.status();
  const uint64_t horizon = h->has_value() && (*h)->size() == 8 ? ReadBigEndian64(**h) : 0;
  // One more than asked, to know whether a next page exists.
  const size_t want = limit + 1;
  std::set<uint64_t, std::greater<uint64_t>> picked;

  // Above the horizon: the materialised feed (entries whose post still
  // exists and whose author the viewer still follows) ...
  if (before > horizon + 1) {
    absl::Status s = ScanOwner(store_, kFeed, viewer, NewestFirst(viewer, before - 1),
                               [&](uint64_t inverted, std::string_view value) {
                                 uint64_t id = ~inverted;
                                 if (id <= horizon || picked.size() >= want) return false;
                                 if (value.size() != 8) return true;
                                 uint64_t author = ReadBigEndian64(value);
                                 if (author != viewer && !Follows(viewer, author)) return true;
                                 auto exists = Exists(kPosts, social_model::Id(id));
                                 if (exists.ok() && *exists) picked.insert(id);
                                 return true;
                               });
    if (!s.ok()) return s;
    // ... merged with the recent posts of the celebrities the viewer
    // follows, which were not fanned out.
    std::vector<uint64_t> celebs;
    s = ScanOwner(store_, kViewerCelebs, viewer, Pair(viewer, 0),
                  [&](uint64_t c, std::string_view) {
                    celebs.push_back(c);
                    return true;
                  });
    if (!s.ok()) return s;
    for (uint64_t c : celebs) {
      auto posts = ListNewestFirst(kUserPosts, c, before, want);
      if (!posts.ok()) return posts.status();
      for (uint64_t id : posts->ids)
        if (id > horizon) picked.insert(id);
    }
  }
  // Below the horizon (a deep page past the feed's cap): merge the post
  // lists of everyone the viewer follows, and the viewer's own.
  if (picked.size() < want && horizon > 0) {
    uint64_t bound = std::min(before, horizon + 1);
    std::vector<uint64_t> sources = {viewer};
    absl::Status s =
        ScanOwner(store_, kFollowing, viewer, Pair(viewer, 0), [&](uint64_t f, std::string_view) {
          sources.push_back(f);
          return true;
        });
    if (!s.ok()) return s;
    const size_t need = want - std::min(want, picked.size());
    std::set<uint64_t, std::greater<uint64_t>> deep;
    for (uint64_t src : sources) {
      auto posts = ListNewestFirst(kUserPosts, src, bound, need);
      if (!posts.ok()) return posts.status();
      deep.insert(posts->ids.begin(), posts->ids.end());
    }
    for (uint64_t id : deep) {
      if (picked.size() >= want) break;
      picked.insert(id);
    }
  }
  for (uint64_t id : picked) {
    if (page.ids.size() == limit) {
      page.next = page.ids.back();
      break;
    }
    page.ids.push_back(id);
  }
  return page;
}

absl::StatusOr<std::optional<StoredPost>> SocialReader::GetPost(uint64_t id) const {
  return SocialView(slot_->Get().get()).GetPost(id);
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
absl::StatusOr<IdPage> SocialReader::FeedPage(uint64_t viewer, uint64_t before,
                                              size_t limit) const {
  return SocialView(slot_->Get().get()).FeedPage(viewer, before, limit);
}

}  // namespace lens
