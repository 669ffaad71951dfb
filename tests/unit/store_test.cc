// The store on a real RocksDB database: its merge operator folding posting
// blocks (store/posting_block.h) across memtable, flushes, compactions and
// a reopen, next to int64 counters that share the operator; the memtable
// budget shared by the stores of a process.
#include "store/store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/memory_budget.h"
#include "store/posting_block.h"
#include "tests/support/temp_dir.h"

namespace lens::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::FieldsAre;

std::vector<Posting> Decoded(std::string_view value) {
  std::vector<Posting> out;
  EXPECT_TRUE(DecodePostingBlock(value, &out));
  return out;
}

TEST(PostingBlockTest, MergeKeepsEntriesNewestFirstAndTheLastWriteOfAnIdWins) {
  std::vector<std::string> ops = {PostingAdd(10, 1),  PostingAdd(30, 3),  PostingAdd(20, 2),
                                  PostingRemoval(10), PostingAdd(30, 33), PostingRemoval(99)};
  std::vector<std::string_view> views(ops.begin(), ops.end());
  std::string merged;
  ASSERT_TRUE(MergePostingBlocks("", views, /*keep_removals=*/false, &merged));
  EXPECT_THAT(Decoded(merged), ElementsAre(FieldsAre(30, 33, false), FieldsAre(20, 2, false)));

  // A partial merge keeps its removals, so that they still cancel what an
  // older value holds; folding it later gives what folding all at once does.
  std::string older;
  std::vector<std::string> base_ops = {PostingAdd(99, 9), PostingAdd(5, 5)};
  std::vector<std::string_view> base_views(base_ops.begin(), base_ops.end());
  ASSERT_TRUE(MergePostingBlocks("", base_views, false, &older));
  std::string partial;
  ASSERT_TRUE(MergePostingBlocks("", views, /*keep_removals=*/true, &partial));
  EXPECT_THAT(Decoded(partial), ElementsAre(FieldsAre(99, 0, true), FieldsAre(30, 33, false),
                                            FieldsAre(20, 2, false), FieldsAre(10, 0, true)));
  std::string folded;
  std::vector<std::string_view> one = {partial};
  ASSERT_TRUE(MergePostingBlocks(older, one, false, &folded));
  EXPECT_THAT(Decoded(folded), ElementsAre(FieldsAre(30, 33, false), FieldsAre(20, 2, false),
                                           FieldsAre(5, 5, false)));
}

TEST(PostingBlockTest, IsNeverTakenForACounterAndRejectsMalformedBlocks) {
  // 'P', count, a 5-byte id and a 1-byte payload: 8 bytes, padded to 9.
  const std::string add = PostingAdd(uint64_t{1} << 30, 3);
  EXPECT_EQ(add.size(), 9u);
  EXPECT_TRUE(IsPostingBlock(add));
  EXPECT_THAT(Decoded(add), ElementsAre(FieldsAre(uint64_t{1} << 30, 3, false)));
  EXPECT_FALSE(IsPostingBlock(EncodeCounter(0x50)));
  std::vector<Posting> out;
  EXPECT_FALSE(DecodePostingBlock("P\x05\x01", &out));  // fewer entries than counted
  EXPECT_FALSE(DecodePostingBlock(std::string("P\x01\xff", 3), &out));  // a cut varint
  std::string merged;
  std::vector<std::string_view> bad = {"P\x02\x01"};
  EXPECT_FALSE(MergePostingBlocks("", bad, false, &merged));
}

TEST(StoreMergeTest, PostingBlocksAndCountersFoldAcrossFlushesCompactionsAndAReopen) {
  TempDir dir;
  StoreOptions so{.path = dir.path(), .column_families = {"postings", "counts"}};
  const rocksdb::WriteOptions wo;
  {
    auto store = Store::Open(so);
    ASSERT_TRUE(store.ok()) << store.status();
    rocksdb::DB* db = (*store)->db();
    auto* postings = (*store)->cf("postings");
    auto* counts = (*store)->cf("counts");
    // Three generations of operands in three places: two SST files and
    // the memtable.
    for (uint64_t id = 1; id <= 50; ++id) {
      ASSERT_TRUE(db->Merge(wo, postings, "k", PostingAdd(id, static_cast<uint32_t>(id))).ok());
      ASSERT_TRUE(db->Merge(wo, counts, "n", EncodeCounter(1)).ok());
    }
    ASSERT_TRUE(db->Flush(rocksdb::FlushOptions(), postings).ok());
    for (uint64_t id = 1; id <= 50; id += 2)
      ASSERT_TRUE(db->Merge(wo, postings, "k", PostingRemoval(id)).ok());
    ASSERT_TRUE(db->Merge(wo, counts, "n", EncodeCounter(-25)).ok());
    ASSERT_TRUE(db->Flush(rocksdb::FlushOptions(), postings).ok());
    ASSERT_TRUE(db->Merge(wo, postings, "k", PostingAdd(7, 700)).ok());
    ASSERT_TRUE(db->Merge(wo, postings, "k", PostingAdd(2, 200)).ok());

    auto check = [&](Store* s) {
      auto v = s->Get("postings", "k");
      ASSERT_TRUE(v.ok() && v->has_value());
      std::vector<Posting> got = Decoded(**v);
      ASSERT_EQ(got.size(), 26u);  // 25 even ids, and 7 again
      EXPECT_THAT(got.front(), FieldsAre(50, 50, false));
      EXPECT_THAT(got[21], FieldsAre(8, 8, false));
      EXPECT_THAT(got[22], FieldsAre(7, 700, false));
      EXPECT_THAT(got.back(), FieldsAre(2, 200, false));
      auto n = s->Get("counts", "n");
      ASSERT_TRUE(n.ok() && n->has_value());
      EXPECT_EQ(DecodeCounter(**n), 25);
    };
    check(store->get());
    ASSERT_TRUE(db->CompactRange(rocksdb::CompactRangeOptions(), postings, nullptr, nullptr).ok());
    check(store->get());
  }
  auto reopened = Store::Open(so);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto v = (*reopened)->Get("postings", "k");
  ASSERT_TRUE(v.ok() && v->has_value());
  EXPECT_EQ(Decoded(**v).size(), 26u);
}

// Two stores of four column families each, 128 MiB written across them:
// without a budget every memtable keeps growing (64 MiB each before a
// flush), so they hold it all; with a 32 MiB budget the stores flush and
// their memtables stay near it. RocksDB's budget is soft: a write over
// seven eighths of it flushes one column family of the store being
// written, so the store filled first keeps what it held (up to those seven
// eighths) while the second one flushes its own; the memtables being
// flushed count until their flush ends; and every memtable holds a floor
// of arena and bloom filter (about 1.6 MiB each here, ten of them). So the
// check waits for the flushes and allows twice the budget, still far from
// the unbounded 128 MiB.
TEST(MemtableBudgetTest, BoundsTheMemtablesOfEveryStoreOpenedAfterIt) {
  TempDir dir;
  auto memtables = [](Store* s) {
    uint64_t v = 0;
    EXPECT_TRUE(s->db()->GetAggregatedIntProperty("rocksdb.cur-size-all-mem-tables", &v));
    return v;
  };
  auto fill = [](Store* s) {
    const std::string value(1000, 'v');
    rocksdb::WriteOptions no_wal;
    no_wal.disableWAL = true;  // the memtables are under test, not the log
    for (int i = 0; i < 64 * 1024; ++i) {
      const std::string cf = "cf" + std::to_string(i % 4);
      ASSERT_TRUE(s->db()->Put(no_wal, s->cf(cf), "k" + std::to_string(i), value).ok());
    }
  };
  auto open = [&](const std::string& name) {
    auto s = Store::Open({.path = dir.Sub(name), .column_families = {"cf0", "cf1", "cf2", "cf3"}});
    EXPECT_TRUE(s.ok()) << s.status();
    return std::move(*s);
  };
  auto flushing = [](Store* s) {
    uint64_t pending = 0, running = 0;
    EXPECT_TRUE(s->db()->GetAggregatedIntProperty("rocksdb.mem-table-flush-pending", &pending));
    EXPECT_TRUE(s->db()->GetAggregatedIntProperty("rocksdb.num-running-flushes", &running));
    return pending + running > 0;
  };

  SetMemtableBudget(0);
  {
    auto a = open("unbounded-a"), b = open("unbounded-b");
    fill(a.get());
    fill(b.get());
    EXPECT_GT(memtables(a.get()) + memtables(b.get()), uint64_t{120} << 20);
  }

  constexpr uint64_t kBudget = uint64_t{32} << 20;
  SetMemtableBudget(kBudget);
  auto c = open("bounded-c"), d = open("bounded-d");
  SetMemtableBudget(0);  // the other tests' stores are unbounded
  fill(c.get());
  fill(d.get());
  // A loaded machine can take seconds to write the 100 MiB flushed here.
  auto settle = [&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while ((flushing(c.get()) || flushing(d.get())) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_FALSE(flushing(c.get()) || flushing(d.get())) << "flushes still running after 60 s";
  };
  settle();
  // The budget is enforced at writes: each one over it makes its store
  // flush one column family. Under load the fill can end with memtables
  // grown past the budget while earlier flushes ran; the writes that go on
  // on a real node bring them back, as these few (one key per column
  // family per round) do. Without a budget they would change nothing.
  uint64_t total = memtables(c.get()) + memtables(d.get());
  for (int round = 0; round < 16 && total >= 2 * kBudget; ++round) {
    rocksdb::WriteOptions no_wal;
    no_wal.disableWAL = true;
    for (Store* s : {c.get(), d.get()})
      for (int cf = 0; cf < 4; ++cf)
        ASSERT_TRUE(s->db()->Put(no_wal, s->cf("cf" + std::to_string(cf)), "more", "v").ok());
    settle();
    total = memtables(c.get()) + memtables(d.get());
  }
  EXPECT_LT(total, 2 * kBudget);
  std::printf("memtables under a 32 MiB budget: %.1f MiB\n", total / 1048576.0);
}

// Two stores opened after a 4 MiB block-cache budget share one cache:
// reading 40 MiB of their tables fills it to about its size and no more,
// and each store reports that one cache. The tables' index and filter
// blocks are held by the table readers, outside it (about 110 KiB for each
// store's 20 MiB here), unless the budget is to hold them too: then the
// readers keep only the top levels of the partitioned index and filters.
void ReadThroughASharedCache(bool index_and_filters, uint64_t* readers_per_store) {
  TempDir dir;
  constexpr size_t kBudget = size_t{4} << 20;
  SetBlockCacheBudget(kBudget, index_and_filters);
  auto open = [&](const std::string& name) {
    auto s = Store::Open({.path = dir.Sub(name), .column_families = {"cf"}});
    EXPECT_TRUE(s.ok()) << s.status();
    return std::move(*s);
  };
  auto a = open("a"), b = open("b");
  SetBlockCacheBudget(0);  // the other tests' stores have their own
  const std::string value(1000, 'v');
  for (Store* s : {a.get(), b.get()}) {
    for (int i = 0; i < 20 * 1024; ++i)
      ASSERT_TRUE(
          s->db()->Put(rocksdb::WriteOptions(), s->cf("cf"), "k" + std::to_string(i), value).ok());
    ASSERT_TRUE(s->db()->Flush(rocksdb::FlushOptions(), s->cf("cf")).ok());
  }
  for (Store* s : {a.get(), b.get()})
    for (int i = 0; i < 20 * 1024; ++i) {
      auto v = s->Get("cf", "k" + std::to_string(i));
      ASSERT_TRUE(v.ok() && v->has_value());
      ASSERT_EQ(**v, value);
    }
  uint64_t usage_a = 0, usage_b = 0;
  ASSERT_TRUE(a->db()->GetIntProperty("rocksdb.block-cache-usage", &usage_a));
  ASSERT_TRUE(b->db()->GetIntProperty("rocksdb.block-cache-usage", &usage_b));
  EXPECT_EQ(usage_a, usage_b);  // one cache
  EXPECT_GT(usage_a, kBudget / 2);
  EXPECT_LE(usage_a, kBudget + (kBudget / 8));  // pinned metadata may overshoot a little
  *readers_per_store = 0;
  for (Store* s : {a.get(), b.get()}) {
    uint64_t readers = 0;
    ASSERT_TRUE(s->db()->GetAggregatedIntProperty("rocksdb.estimate-table-readers-mem", &readers));
    *readers_per_store = std::max(*readers_per_store, readers);
  }
}

TEST(BlockCacheBudgetTest, OneCacheForTheStoresOpenedAfterIt) {
  uint64_t readers = 0;
  ReadThroughASharedCache(/*index_and_filters=*/false, &readers);
  EXPECT_GT(readers, uint64_t{64} << 10);  // index and filters, whole, outside the cache
}

TEST(BlockCacheBudgetTest, CanHoldTheIndexAndFiltersToo) {
  uint64_t readers = 0;
  ReadThroughASharedCache(/*index_and_filters=*/true, &readers);
  EXPECT_LT(readers, uint64_t{64} << 10);
}

}  // namespace
}  // namespace lens::testing
