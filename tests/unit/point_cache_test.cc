// The point cache (store/point_cache.h) on its own, and under Store on a
// real RocksDB database: hits, absent keys, eviction by bytes, a fill that
// an invalidation overtook, and readers racing a writer, who must never be
// left with a value older than the last commit.
#include "store/point_cache.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "rocksdb/write_batch.h"
#include "store/memory_budget.h"
#include "store/store.h"
#include "tests/support/temp_dir.h"

namespace lens::testing {
namespace {

TEST(PointCacheTest, RemembersValuesAndAbsentKeys) {
  PointCache cache(1 << 20);
  std::optional<std::string> v;
  uint64_t ticket;
  ASSERT_FALSE(cache.Lookup("a", &v, &ticket));
  cache.Fill("a", std::string("1"), ticket);
  ASSERT_FALSE(cache.Lookup("b", &v, &ticket));
  cache.Fill("b", std::nullopt, ticket);

  v = std::string("stale");
  ASSERT_TRUE(cache.Lookup("a", &v, &ticket));
  EXPECT_EQ(v, std::optional<std::string>("1"));
  ASSERT_TRUE(cache.Lookup("b", &v, &ticket));
  EXPECT_EQ(v, std::nullopt);
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 2u);

  cache.Invalidate("a");
  EXPECT_FALSE(cache.Lookup("a", &v, &ticket));
  EXPECT_TRUE(cache.Lookup("b", &v, &ticket));
  cache.Clear();
  EXPECT_FALSE(cache.Lookup("b", &v, &ticket));
  EXPECT_EQ(cache.usage(), 0u);
}

TEST(PointCacheTest, AFillThatAnInvalidationOvertookIsDropped) {
  PointCache cache(1 << 20);
  std::optional<std::string> v;
  uint64_t ticket;
  ASSERT_FALSE(cache.Lookup("post", &v, &ticket));
  // A writer commits and invalidates while the reader reads the old value.
  cache.Invalidate("post");
  cache.Fill("post", std::string("old"), ticket);
  EXPECT_FALSE(cache.Lookup("post", &v, &ticket));
  // A read that began after the invalidation fills.
  cache.Fill("post", std::string("new"), ticket);
  ASSERT_TRUE(cache.Lookup("post", &v, &ticket));
  EXPECT_EQ(v, std::optional<std::string>("new"));
}

TEST(PointCacheTest, StaysWithinItsBytesAndEvictsTheLeastRecentlyUsed) {
  constexpr size_t kCapacity = 256 << 10;
  PointCache cache(kCapacity);
  const std::string value(200, 'x');
  std::optional<std::string> v;
  uint64_t ticket;
  ASSERT_FALSE(cache.Lookup("hot", &v, &ticket));
  cache.Fill("hot", value, ticket);
  for (int i = 0; i < 20000; ++i) {
    const std::string key = "key" + std::to_string(i);
    if (!cache.Lookup(key, &v, &ticket)) cache.Fill(key, value, ticket);
    if (i % 8 == 0) {
      EXPECT_TRUE(cache.Lookup("hot", &v, &ticket)) << i;  // kept in use
    }
    ASSERT_LE(cache.usage(), kCapacity);
  }
  EXPECT_GT(cache.usage(), kCapacity / 2);
  EXPECT_FALSE(cache.Lookup("key0", &v, &ticket));
  EXPECT_TRUE(cache.Lookup("key19999", &v, &ticket));
  // A value larger than a shard holds is not cached at all.
  ASSERT_FALSE(cache.Lookup("huge", &v, &ticket));
  cache.Fill("huge", std::string(kCapacity, 'y'), ticket);
  EXPECT_FALSE(cache.Lookup("huge", &v, &ticket));
}

class CachedStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetPointCacheBudget(16 << 20);
    StoreOptions so;
    so.path = dir_.Sub("db");
    so.column_families = {"cached", "plain"};
    so.cached_families = {"cached"};
    auto store = Store::Open(so);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    cache_ = SharedPointCache();
    ASSERT_NE(cache_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    SetPointCacheBudget(0);
  }
  void Commit(rocksdb::WriteBatch* batch) {
    ASSERT_TRUE(store_->Write(rocksdb::WriteOptions(), batch).ok());
  }
  std::optional<std::string> Get(std::string_view cf, std::string_view key) {
    auto v = store_->Get(cf, key);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : std::nullopt;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::shared_ptr<PointCache> cache_;
};

TEST_F(CachedStoreTest, ReadsSeeEveryKindOfWriteThroughTheCache) {
  EXPECT_EQ(Get("cached", "k"), std::nullopt);  // absent, now cached as absent
  const uint64_t misses = cache_->misses();
  EXPECT_EQ(Get("cached", "k"), std::nullopt);
  EXPECT_EQ(cache_->misses(), misses) << "the second read was not answered by the cache";

  rocksdb::WriteBatch put;
  put.Put(store_->cf("cached"), "k", "v1");
  Commit(&put);
  EXPECT_EQ(Get("cached", "k"), std::optional<std::string>("v1"));

  rocksdb::WriteBatch counter;
  counter.Merge(store_->cf("cached"), "n", EncodeCounter(2));
  Commit(&counter);
  EXPECT_EQ(DecodeCounter(*Get("cached", "n")), 2);
  counter.Clear();
  counter.Merge(store_->cf("cached"), "n", EncodeCounter(3));
  Commit(&counter);
  auto both = store_->MultiGet("cached", {"k", "n", "missing"});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ((*both)[0], std::optional<std::string>("v1"));
  EXPECT_EQ(DecodeCounter(*(*both)[1]), 5);
  EXPECT_EQ((*both)[2], std::nullopt);

  rocksdb::WriteBatch del;
  del.Delete(store_->cf("cached"), "k");
  Commit(&del);
  EXPECT_EQ(Get("cached", "k"), std::nullopt);

  rocksdb::WriteBatch range;
  range.Put(store_->cf("cached"), "r1", "x");
  Commit(&range);
  EXPECT_EQ(Get("cached", "r1"), std::optional<std::string>("x"));
  range.Clear();
  range.DeleteRange(store_->cf("cached"), "r", "s");
  Commit(&range);
  EXPECT_EQ(Get("cached", "r1"), std::nullopt);

  // A family not named stays out of the cache.
  const uint64_t lookups = cache_->hits() + cache_->misses();
  rocksdb::WriteBatch plain;
  plain.Put(store_->cf("plain"), "k", "p");
  Commit(&plain);
  EXPECT_EQ(Get("plain", "k"), std::optional<std::string>("p"));
  EXPECT_EQ(cache_->hits() + cache_->misses(), lookups);
}

TEST_F(CachedStoreTest, TwoStoresInOneCacheDoNotSeeEachOthersKeys) {
  StoreOptions so;
  so.path = dir_.Sub("other");
  so.column_families = {"cached"};
  so.cached_families = {"cached"};
  auto other = Store::Open(so);
  ASSERT_TRUE(other.ok());
  rocksdb::WriteBatch b;
  b.Put(store_->cf("cached"), "k", "mine");
  Commit(&b);
  EXPECT_EQ(Get("cached", "k"), std::optional<std::string>("mine"));
  auto theirs = (*other)->Get("cached", "k");
  ASSERT_TRUE(theirs.ok());
  EXPECT_EQ(*theirs, std::nullopt);
}

TEST_F(CachedStoreTest, ExpiringFamiliesCannotBeCached) {
  StoreOptions so;
  so.path = dir_.Sub("expiring");
  so.column_families = {"log"};
  so.cached_families = {"log"};
  so.expiring_families_ms = {{"log", 1000}};
  EXPECT_FALSE(Store::Open(so).ok());
}

// Readers hammer one counter while a writer bumps it: each reader's
// successive values never go back, and once the writer is done every read
// sees its last commit. A fill of a value read before a commit, landing
// after that commit's invalidation, would leave a stale value cached for
// good and fail the last check.
TEST_F(CachedStoreTest, ReadersRacingAWriterEndOnItsLastCommit) {
  constexpr int kWrites = 3000;
  std::atomic<bool> done{false};
  std::atomic<int> regressions{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r)
    readers.emplace_back([&] {
      int64_t last = 0;
      while (!done.load()) {
        auto v = store_->MultiGet("cached", {"count", "other"});
        if (!v.ok()) continue;
        const int64_t now = (*v)[0] ? DecodeCounter(*(*v)[0]) : 0;
        if (now < last) regressions.fetch_add(1);
        last = now;
      }
    });
  for (int i = 0; i < kWrites; ++i) {
    rocksdb::WriteBatch b;
    b.Merge(store_->cf("cached"), "count", EncodeCounter(1));
    Commit(&b);
    // What a waiting reader sees once the commit is acknowledged.
    ASSERT_EQ(DecodeCounter(*Get("cached", "count")), i + 1);
  }
  done.store(true);
  for (auto& t : readers) t.join();
  EXPECT_EQ(regressions.load(), 0);
  EXPECT_EQ(DecodeCounter(*Get("cached", "count")), kWrites);
  EXPECT_GT(cache_->hits(), 0u);
}

}  // namespace
}  // namespace lens::testing
