// The command side's decision state on a real store: the records of
// idempotent commands answer retries within their window and are dropped
// by compaction once it has passed, so they do not pile up forever.
#include <chrono>
#include <memory>
#include <string>

#include "base/big_endian.h"
#include "commands/decision_state.h"
#include "events/social_events.h"
#include "gtest/gtest.h"
#include "projector/apply_context.h"
#include "store/store.h"
#include "tests/support/temp_dir.h"

namespace lens::testing {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string TokenAt(uint32_t partition, uint64_t offset) {
  ConsistencyToken t;
  t.Add({partition, offset});
  return t.ToString();
}

Event Followed(uint64_t id, uint64_t follower, int64_t ts_ms, std::string cmd) {
  Event e;
  e.id = EventId(id);
  e.type = std::string(kUserFollowed);
  e.key = UserKey(UserId(follower));
  e.ts_ms = ts_ms;
  e.actor = std::to_string(follower);
  e.cmd = std::move(cmd);
  e.data = FollowEdge{UserId(follower), UserId(1)}.ToJson();
  return e;
}

TEST(DecisionStateTest, IdempotencyRecordsAreDroppedByCompactionOnceTheirWindowHasPassed) {
  TempDir dir;
  auto store = Store::Open({.path = dir.Sub("decision"),
                            .column_families = DecisionState::ColumnFamilies(),
                            .expiring_families_ms = DecisionState::ExpiringFamiliesMs()});
  ASSERT_TRUE(store.ok()) << store.status();
  DecisionState state(store->get());

  const int64_t now = NowMs();
  const int64_t expired = now - kCommandRecordRetentionMs - 60 * 1000;
  const int64_t in_window = now - kIdempotencyWindowMs + 3600 * 1000;  // 23 h ago
  {
    ApplyContext ctx(store->get());
    ASSERT_TRUE(state.Apply(Followed(10, 2, expired, "k:old"), {0, 0}, ctx).ok());
    ASSERT_TRUE(state.Apply(Followed(11, 3, in_window, "k:recent"), {0, 1}, ctx).ok());
    // A command of two events: one record, timed by its first.
    ASSERT_TRUE(state.Apply(Followed(12, 4, now, "k:two"), {1, 0}, ctx).ok());
    ASSERT_TRUE(state.Apply(Followed(13, 5, now + 1, "k:two"), {1, 1}, ctx).ok());
    // Not idempotent: no record at all.
    ASSERT_TRUE(state.Apply(Followed(14, 6, now, "req-1"), {1, 2}, ctx).ok());
    ASSERT_TRUE((*store)->db()->Write(rocksdb::WriteOptions(), ctx.Finish()).ok());
  }
  // A record as nodes wrote them before the time prefix: still read, and
  // kept (its first bytes are no time the filter would drop).
  ASSERT_TRUE((*store)
                  ->db()
                  ->Put(rocksdb::WriteOptions(), (*store)->cf("commands"), "k:legacy",
                        R"({"ts":)" + std::to_string(now) + R"(,"events":[],"positions":[[0,7]]})")
                  .ok());

  auto old = state.GetCommand("k:old");
  ASSERT_TRUE(old.ok() && old->has_value()) << "dropped only by a compaction";
  EXPECT_EQ((*old)->ts_ms, expired);

  rocksdb::DB* db = (*store)->db();
  ASSERT_TRUE(db->Flush(rocksdb::FlushOptions(), (*store)->cf("commands")).ok());
  ASSERT_TRUE(
      db->CompactRange(rocksdb::CompactRangeOptions(), (*store)->cf("commands"), nullptr, nullptr)
          .ok());

  old = state.GetCommand("k:old");
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->has_value());

  auto recent = state.GetCommand("k:recent");
  ASSERT_TRUE(recent.ok() && recent->has_value());
  EXPECT_EQ((*recent)->ts_ms, in_window);
  ASSERT_EQ((*recent)->events.size(), 1u);
  EXPECT_EQ((*recent)->events[0].id.value(), 11u);

  auto two = state.GetCommand("k:two");
  ASSERT_TRUE(two.ok() && two->has_value());
  EXPECT_EQ((*two)->ts_ms, now);
  ASSERT_EQ((*two)->events.size(), 2u);
  EXPECT_EQ((*two)->events[1].id.value(), 13u);
  EXPECT_EQ((*two)->token.ToString(), TokenAt(1, 1));

  auto plain = state.GetCommand("req-1");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->has_value());

  auto legacy = state.GetCommand("k:legacy");
  ASSERT_TRUE(legacy.ok() && legacy->has_value()) << legacy.status();
  EXPECT_EQ((*legacy)->ts_ms, now);
  EXPECT_EQ((*legacy)->token.ToString(), TokenAt(0, 7));
}

}  // namespace
}  // namespace lens::testing
