// ProjectorOptions::batch_window: a caught-up runner gathers the commits of
// a short window into one batch, without losing or repeating an event, and
// a batch writes the checkpoints of only the partitions it advanced.
#include <map>
#include <thread>

#include "base/metrics.h"
#include "eventlog/embedded_event_log.h"
#include "events/event_codec.h"
#include "gtest/gtest.h"
#include "projector/projector_runner.h"
#include "store/store.h"
#include "tests/projector/tally_projection.h"
#include "tests/support/temp_dir.h"

namespace lens::testing {
namespace {

constexpr uint32_t kPartitions = 4;

LogRecord TallyRecord(uint64_t i, const std::string& key) {
  Event e;
  e.id = EventId(1000 + i);
  e.type = "TestTallied";
  e.key = key;
  e.ts_ms = 1700000000000 + static_cast<int64_t>(i);
  e.data = Json{{"i", i}};
  return {e.key, EncodeEvent(e)};
}

bool WaitUntil(const std::function<bool()>& done) {
  for (int i = 0; i < 3000 && !done(); ++i) absl::SleepFor(absl::Milliseconds(10));
  return done();
}

uint64_t Applied(ProjectorRunner& runner) {
  uint64_t n = 0;
  for (uint64_t a : runner.applied()) n += a;
  return n;
}

class BatchWindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = OpenEmbeddedEventLog({.dir = dir_.Sub("log"), .partitions = kPartitions});
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
    auto store =
        Store::Open({.path = dir_.Sub("model"), .column_families = tally_.column_families()});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  std::unique_ptr<ProjectorRunner> Start(absl::Duration window) {
    ProjectorOptions po;
    po.batch_window = window;
    auto runner = std::make_unique<ProjectorRunner>(log_.get(), store_.get(), &tally_, &metrics_, po);
    EXPECT_TRUE(runner->Start().ok());
    return runner;
  }
  uint64_t Batches() {
    return metrics_
        .GetHistogram("lens_projector_apply_batch_seconds", "", {{"projection", "tally"}})
        ->count();
  }

  TempDir dir_;
  TallyProjection tally_;
  MetricsRegistry metrics_;
  std::unique_ptr<EventLog> log_;
  std::unique_ptr<Store> store_;
};

TEST_F(BatchWindowTest, CommitsOfAWindowAreAppliedTogetherAndOnce) {
  auto runner = Start(absl::Milliseconds(40));
  // Four writers append one record at a time, each append fsynced: many
  // small commits, which without the window would be as many batches.
  constexpr int kWriters = 4, kEach = 100;
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const uint64_t n = t * kEach + i;
        std::vector<LogRecord> one;
        one.push_back(TallyRecord(n, "key:" + std::to_string(n % 7)));
        ASSERT_TRUE(log_->Append(std::move(one)).ok());
        absl::SleepFor(absl::Milliseconds(1));
      }
    });
  for (auto& w : writers) w.join();
  ASSERT_TRUE(WaitUntil([&] { return Applied(*runner) == kWriters * kEach; }))
      << Applied(*runner);
  EXPECT_TRUE(runner->health().ok()) << runner->health();
  // The appends took at least 100 ms (one writer's sleeps), so a window of
  // 40 ms gives a handful of batches, far fewer than the 400 commits.
  EXPECT_LE(Batches(), kWriters * kEach / 8u);
  for (int k = 0; k < 7; ++k) {
    int want = 0;
    for (int n = 0; n < kWriters * kEach; ++n) want += n % 7 == k;
    auto count = store_->Get("counts", "key:" + std::to_string(k));
    ASSERT_TRUE(count.ok() && count->has_value()) << k;
    EXPECT_EQ(std::stoi(**count), want) << k;  // none lost, none twice
  }
}

TEST_F(BatchWindowTest, AReadWaitsAtMostAboutTheWindow) {
  auto runner = Start(absl::Milliseconds(20));
  std::vector<LogRecord> one;
  one.push_back(TallyRecord(1, "key:a"));
  auto pos = log_->Append(std::move(one));
  ASSERT_TRUE(pos.ok());
  ConsistencyToken token;
  token.Add((*pos)[0]);
  const absl::Time asked = absl::Now();
  ASSERT_TRUE(runner->WaitFor(token, asked + absl::Seconds(5)));
  EXPECT_LT(absl::Now() - asked, absl::Milliseconds(500));  // about the window
}

TEST_F(BatchWindowTest, ABatchCheckpointsOnlyThePartitionsItAdvanced) {
  auto runner = Start(absl::ZeroDuration());
  const std::string key = "key:only";
  const uint32_t partition = log_->PartitionFor(key);
  for (uint64_t i = 0; i < 5; ++i) {
    std::vector<LogRecord> one;
    one.push_back(TallyRecord(i, key));
    ASSERT_TRUE(log_->Append(std::move(one)).ok());
  }
  ASSERT_TRUE(WaitUntil([&] { return Applied(*runner) == 5; }));
  runner->Stop();
  // What a restart reads back: five applied in that partition, none elsewhere.
  auto checkpoint = ProjectorRunner::ReadCheckpoint(store_.get(), kPartitions);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  for (uint32_t p = 0; p < kPartitions; ++p) EXPECT_EQ((*checkpoint)[p], p == partition ? 5u : 0u);
  uint64_t written = 0;
  std::unique_ptr<rocksdb::Iterator> it(
      store_->db()->NewIterator(rocksdb::ReadOptions(), store_->cf("default")));
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++written;
  EXPECT_EQ(written, 1u) << "a checkpoint key per partition the batches did not touch";
}

}  // namespace
}  // namespace lens::testing
