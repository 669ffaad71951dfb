// ApplyContext commits its batch sorted by column family and key. These
// tests check that the sorted batch means exactly what the writes meant in
// the order they were made: the same final values, merges folded in order,
// a delete after a put winning, unindexed writes after the indexed ones.
#include "projector/apply_context.h"

#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/store.h"
#include "tests/support/temp_dir.h"

namespace lens {
namespace {

class ApplyContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::Open({.path = dir_.Sub("db"), .column_families = {"a", "b"}});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }

  std::optional<std::string> Read(const std::string& cf, const std::string& key) {
    auto v = store_->Get(cf, key);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : std::nullopt;
  }

  void Commit(ApplyContext& ctx) {
    ASSERT_TRUE(store_->db()->Write(rocksdb::WriteOptions(), ctx.Finish()).ok());
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(ApplyContextTest, WritesToOneKeyKeepTheirOrder) {
  ApplyContext ctx(store_.get());
  ctx.Put("a", "k2", "first");
  ctx.Put("b", "k1", "other family");
  ctx.Put("a", "k1", "x");
  ctx.Delete("a", "k2");            // the delete comes last for k2
  ctx.Put("default", "k0", "v0");
  ctx.PutUnindexed("a", "k3", "u");
  ctx.Put("a", "k3", "indexed");    // unindexed writes land after indexed ones
  ctx.AddToCounter("b", "c", 5);
  ctx.AddToCounterUnindexed("b", "c", -2);
  ctx.AddToCounter("b", "c", 10);
  Commit(ctx);

  EXPECT_EQ(Read("a", "k1"), "x");
  EXPECT_EQ(Read("a", "k2"), std::nullopt);
  EXPECT_EQ(Read("a", "k3"), "u");
  EXPECT_EQ(Read("b", "k1"), "other family");
  EXPECT_EQ(Read("default", "k0"), "v0");
  auto c = Read("b", "c");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(DecodeCounter(*c), 13);
}

TEST_F(ApplyContextTest, TheSortedBatchIsSortedAndComplete) {
  ApplyContext ctx(store_.get());
  ctx.Put("b", "z", "1");
  ctx.PutUnindexed("a", "m", "2");
  ctx.Put("a", "y", "3");
  ctx.DeleteUnindexed("default", "q");
  ctx.Put("default", "p", "4");
  rocksdb::WriteBatch* batch = ctx.Finish();
  EXPECT_EQ(batch->Count(), 5u);

  struct Lister : rocksdb::WriteBatch::Handler {
    std::vector<std::pair<uint32_t, std::string>> seen;
    rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& k, const rocksdb::Slice&) override {
      seen.emplace_back(cf, k.ToString());
      return rocksdb::Status::OK();
    }
    rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& k) override {
      seen.emplace_back(cf, k.ToString());
      return rocksdb::Status::OK();
    }
  } lister;
  ASSERT_TRUE(batch->Iterate(&lister).ok());
  const uint32_t a = store_->cf("a")->GetID(), b = store_->cf("b")->GetID();
  ASSERT_LT(a, b);
  EXPECT_THAT(lister.seen, ::testing::ElementsAre(std::make_pair(0u, std::string("p")),
                                                  std::make_pair(0u, std::string("q")),
                                                  std::make_pair(a, std::string("m")),
                                                  std::make_pair(a, std::string("y")),
                                                  std::make_pair(b, std::string("z"))));
}

// Thousands of random writes over a few keys, in batches, against a model
// that applies them in the order they were made.
TEST_F(ApplyContextTest, RandomBatchesMatchInOrderApplication) {
  std::mt19937 rng(11);
  const std::vector<std::string> families = {"default", "a", "b"};
  std::map<std::pair<std::string, std::string>, std::optional<int64_t>> model;
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) keys.push_back("key" + std::to_string(i * 7919 % 97));
  for (int round = 0; round < 30; ++round) {
    ApplyContext ctx(store_.get());
    auto apply = [&](const std::pair<std::string, std::string>& at, int op, int64_t v) {
      auto& slot = model[at];
      if (op == 0) slot = v;
      if (op == 1) slot.reset();
      if (op == 2) slot = slot.value_or(0) + v;
    };
    // The unindexed writes take effect after all the indexed ones.
    std::vector<std::tuple<std::pair<std::string, std::string>, int, int64_t>> deferred;
    for (int i = 0; i < 500; ++i) {
      const std::string& cf = families[rng() % families.size()];
      const std::string& key = keys[rng() % keys.size()];
      const int op = static_cast<int>(rng() % 3);
      const int64_t v = static_cast<int64_t>(rng() % 1000) - 500;
      const bool unindexed = rng() % 3 == 0;
      if (unindexed) {
        if (op == 0) ctx.PutUnindexed(cf, key, EncodeCounter(v));
        if (op == 1) ctx.DeleteUnindexed(cf, key);
        if (op == 2) ctx.AddToCounterUnindexed(cf, key, v);
        deferred.emplace_back(std::make_pair(cf, key), op, v);
      } else {
        if (op == 0) ctx.Put(cf, key, EncodeCounter(v));
        if (op == 1) ctx.Delete(cf, key);
        if (op == 2) ctx.AddToCounter(cf, key, v);
        apply({cf, key}, op, v);
      }
    }
    for (const auto& [at, op, v] : deferred) apply(at, op, v);
    Commit(ctx);
    for (const auto& [at, expected] : model) {
      auto got = Read(at.first, at.second);
      ASSERT_EQ(got.has_value(), expected.has_value()) << at.first << "/" << at.second;
      if (got) {
        ASSERT_EQ(DecodeCounter(*got), *expected) << at.first << "/" << at.second;
      }
    }
  }
}

}  // namespace
}  // namespace lens
