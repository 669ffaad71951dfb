// The social projection's fan-out, applied straight into a real store:
// feeds stay at their cap through the in-memory size hint (across a
// restart and into a second store), and a replay of history older than
// the live streams' retention writes feed entries but no stream entries.
// A celebrity's posts reach its followers' pages from the list of its
// newest posts, and the older ones from its post list, through deletions
// and in a store written before the lists.
#include "projections/social_projection.h"

#include <memory>
#include <string>
#include <vector>

#include "base/big_endian.h"
#include "base/time.h"
#include "events/social_events.h"
#include "gtest/gtest.h"
#include "projector/apply_context.h"
#include "readmodels/social_model.h"
#include "readmodels/stream_log.h"
#include "store/store.h"
#include "store/store_slot.h"
#include "tests/support/temp_dir.h"

namespace lens::testing {
namespace {

constexpr uint64_t kAuthor = 10, kFollower = 20;

class SocialProjectionTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> OpenStore(const std::string& name, const SocialProjection& p) {
    StoreOptions so;
    so.path = dir_.Sub(name);
    so.column_families = p.column_families();
    so.hot_counter_families = p.hot_counter_families();
    auto s = Store::Open(so);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }

  Event Make(std::string_view type, Json data, int64_t ts_ms) {
    Event e;
    e.id = EventId(++next_id_);
    e.type = std::string(type);
    e.key = "user:" + std::to_string(kAuthor);
    e.ts_ms = ts_ms;
    e.data = std::move(data);
    return e;
  }
  Event Follow(int64_t ts_ms) {
    FollowEdge d;
    d.follower_id = UserId(kFollower);
    d.followee_id = UserId(kAuthor);
    return Make(kUserFollowed, d.ToJson(), ts_ms);
  }
  Event Delete(uint64_t post) {
    PostRef d;
    d.post_id = PostId(post);
    d.author_id = UserId(kAuthor);
    return Make(kPostDeleted, d.ToJson(), NowMillis());
  }
  Event Post(int64_t ts_ms) {
    PostContent d;
    d.post_id = PostId(1000 + next_id_);
    d.author_id = UserId(kAuthor);
    d.caption = "hello";
    return Make(kPostCreated, d.ToJson(), ts_ms);
  }

  // Applies `events` in batches of `batch`, committing each.
  void Apply(SocialProjection& p, Store* store, const std::vector<Event>& events, size_t batch) {
    for (size_t start = 0; start < events.size(); start += batch) {
      ApplyContext ctx(store);
      for (size_t i = start; i < std::min(events.size(), start + batch); ++i) {
        absl::Status s = p.Apply(events[i], LogPosition{0, offset_++}, ctx);
        ASSERT_TRUE(s.ok()) << s;
      }
      ASSERT_TRUE(store->db()->Write(rocksdb::WriteOptions(), ctx.Finish()).ok());
      p.OnCommitted();
    }
  }

  static size_t Count(Store* store, const std::string& cf, uint64_t user) {
    const std::string prefix = BigEndian64(user);
    std::unique_ptr<rocksdb::Iterator> it(
        store->db()->NewIterator(rocksdb::ReadOptions(), store->cf(cf)));
    size_t n = 0;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++n;
    return n;
  }

  TempDir dir_;
  uint64_t next_id_ = 0;
  uint64_t offset_ = 0;
};

TEST_F(SocialProjectionTest, FeedsStayAtTheirCapAcrossRestartsAndStores) {
  const SocialProjectionOptions options{.feed_cap = 10, .celebrity_threshold = 1000};
  const int64_t now = NowMillis();
  std::vector<Event> first = {Follow(now)};
  for (int i = 0; i < 60; ++i) first.push_back(Post(now));
  std::vector<Event> second;
  for (int i = 0; i < 60; ++i) second.push_back(Post(now));

  auto projection = std::make_unique<SocialProjection>(options);
  std::unique_ptr<Store> a = OpenStore("a", *projection);
  Apply(*projection, a.get(), first, 7);
  // Trimmed back to the cap once it passes a quarter over it; the scan
  // misses the batch's own fan-out, so allow one batch more.
  size_t n = Count(a.get(), social_model::kFeed, kFollower);
  EXPECT_GE(n, 10u);
  EXPECT_LE(n, 10u + 2 + 7);

  // A restart: a new projection over the same store starts from the sizes
  // the last recounts stored, which miss what came after them.
  projection = std::make_unique<SocialProjection>(options);
  Apply(*projection, a.get(), second, 7);
  n = Count(a.get(), social_model::kFeed, kFollower);
  EXPECT_GE(n, 10u);
  EXPECT_LE(n, 10u + 2 + 7);

  // The same projection object rebuilding into an empty store: the sizes
  // it remembers from the first store do not apply there.
  std::unique_ptr<Store> b = OpenStore("b", *projection);
  offset_ = 0;
  std::vector<Event> replay = {Follow(now)};
  for (int i = 0; i < 11; ++i) replay.push_back(Post(now));
  Apply(*projection, b.get(), replay, 1);
  EXPECT_EQ(Count(b.get(), social_model::kFeed, kFollower), 11u);  // not over cap + cap/4 yet
  Apply(*projection, b.get(), {Post(now)}, 1);
  EXPECT_EQ(Count(b.get(), social_model::kFeed, kFollower), 12u);
  // 13 > 12: trimmed to the cap, plus the post whose fan-out the trim's
  // scan does not see.
  Apply(*projection, b.get(), {Post(now)}, 1);
  EXPECT_EQ(Count(b.get(), social_model::kFeed, kFollower), 11u);
}

// Every post of `viewer`'s home feed, read in pages of `limit`.
std::vector<uint64_t> WholeFeed(const SocialReader& reader, uint64_t viewer, size_t limit) {
  std::vector<uint64_t> ids;
  uint64_t before = ~uint64_t{0};
  for (int pages = 0; pages < 100; ++pages) {
    auto page = reader.FeedPage(viewer, before, limit);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    EXPECT_LE(page->posts.size(), limit);
    for (const StoredPost& p : page->posts) ids.push_back(p.id);
    if (!page->next) break;
    before = *page->next;
  }
  return ids;
}

TEST_F(SocialProjectionTest, CelebrityPagesReadTheRecentListThenThePostList) {
  // The author is a celebrity from its first post (one follower), and its
  // list holds its three newest posts.
  SocialProjection projection(
      {.feed_cap = 10, .celebrity_threshold = 1, .celebrity_recent_posts = 3});
  std::shared_ptr<Store> store = OpenStore("s", projection);
  const int64_t now = NowMillis();
  std::vector<Event> events = {Follow(now)};
  std::vector<uint64_t> posts;  // newest first
  for (int i = 0; i < 8; ++i) {
    events.push_back(Post(now));
    posts.insert(posts.begin(), PostContent::FromJson(events.back().data)->post_id.value());
  }
  Apply(projection, store.get(), events, 3);
  StoreSlot slot(store);
  SocialReader reader(&slot);

  auto recent = [&]() -> std::optional<RecentPosts> {
    auto v = store->Get(social_model::kCelebRecent, social_model::Id(kAuthor));
    EXPECT_TRUE(v.ok());
    if (!v.ok() || !v->has_value()) return std::nullopt;
    return RecentPosts::Decode(**v);
  };
  ASSERT_TRUE(recent());
  EXPECT_EQ(recent()->ids, std::vector<uint64_t>(posts.begin(), posts.begin() + 3));
  EXPECT_FALSE(recent()->complete);
  // Not fanned out: every page comes from the lists, past the recent three.
  EXPECT_EQ(Count(store.get(), social_model::kFeed, kFollower), 0u);
  for (size_t limit : {1, 2, 3, 5, 20}) EXPECT_EQ(WholeFeed(reader, kFollower, limit), posts);

  // Deleting the newest two and one in the middle keeps the list the
  // newest three that remain.
  Apply(projection, store.get(), {Delete(posts[0]), Delete(posts[1]), Delete(posts[5])}, 2);
  posts.erase(posts.begin() + 5);
  posts.erase(posts.begin(), posts.begin() + 2);
  EXPECT_EQ(recent()->ids, std::vector<uint64_t>(posts.begin(), posts.begin() + 3));
  for (size_t limit : {1, 2, 4, 20}) EXPECT_EQ(WholeFeed(reader, kFollower, limit), posts);

  // Down to three posts: the list is the whole history.
  Apply(projection, store.get(), {Delete(posts[3]), Delete(posts[4])}, 1);
  posts.resize(3);
  EXPECT_EQ(recent()->ids, posts);
  EXPECT_TRUE(recent()->complete);
  EXPECT_EQ(WholeFeed(reader, kFollower, 2), posts);

  // A store written before the lists has none: pages read the post list.
  ASSERT_TRUE(store->db()
                  ->Delete(rocksdb::WriteOptions(), store->cf(social_model::kCelebRecent),
                           social_model::Id(kAuthor))
                  .ok());
  EXPECT_EQ(WholeFeed(reader, kFollower, 2), posts);
  // The next post writes it.
  Event next = Post(now);
  posts.insert(posts.begin(), PostContent::FromJson(next.data)->post_id.value());
  Apply(projection, store.get(), {next}, 1);
  ASSERT_TRUE(recent());
  EXPECT_EQ(recent()->ids, std::vector<uint64_t>(posts.begin(), posts.begin() + 3));
  EXPECT_EQ(WholeFeed(reader, kFollower, 3), posts);
}

TEST_F(SocialProjectionTest, HistoryOlderThanTheStreamRetentionWritesNoStreamEntries) {
  SocialProjection projection;
  std::unique_ptr<Store> store = OpenStore("s", projection);
  const int64_t old = NowMillis() - stream_log::kRetentionMs - 3600 * 1000;
  Apply(projection, store.get(), {Follow(old), Post(old), Post(old)}, 10);
  EXPECT_EQ(Count(store.get(), social_model::kFeed, kFollower), 2u);
  EXPECT_EQ(Count(store.get(), stream_log::kStream, kFollower), 0u);

  Apply(projection, store.get(), {Post(NowMillis())}, 10);
  EXPECT_EQ(Count(store.get(), social_model::kFeed, kFollower), 3u);
  EXPECT_EQ(Count(store.get(), stream_log::kStream, kFollower), 1u);
}

}  // namespace
}  // namespace lens::testing
