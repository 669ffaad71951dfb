// The store's merge operator on a real RocksDB database: posting blocks
// (store/posting_block.h) folded across memtable, flushes, compactions and
// a reopen, next to int64 counters that share the operator.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/posting_block.h"
#include "store/store.h"
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
  std::vector<std::string> ops = {PostingAdd(10, 1), PostingAdd(30, 3), PostingAdd(20, 2),
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
  EXPECT_FALSE(DecodePostingBlock("P\x05\x01", &out));             // fewer entries than counted
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

}  // namespace
}  // namespace lens::testing
