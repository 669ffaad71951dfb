// A ProjectorRunner fed by the embedded log's commits (the command side's
// decision state): it catches up by reading, hands over to the log's
// writer, and from then on an acknowledged append is already applied —
// exactly once, also across the hand-over and a restart.
#include <atomic>
#include <map>
#include <thread>

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
constexpr int kKeys = 23;

LogRecord TallyRecord(uint64_t i) {
  Event e;
  e.id = EventId(1000 + i);
  e.type = "TestTallied";
  e.key = "key:" + std::to_string(i % kKeys);
  e.ts_ms = 1700000000000 + static_cast<int64_t>(i);
  e.data = Json{{"i", i}};
  return {e.key, EncodeEvent(e)};
}

// Appends events [first, first + n) one record per append.
void AppendOneByOne(EventLog* log, uint64_t first, uint64_t n) {
  for (uint64_t i = first; i < first + n; ++i) {
    std::vector<LogRecord> one;
    one.push_back(TallyRecord(i));
    ASSERT_TRUE(log->Append(std::move(one)).ok());
  }
}

bool WaitUntil(const std::function<bool()>& done) {
  for (int i = 0; i < 3000 && !done(); ++i) absl::SleepFor(absl::Milliseconds(10));
  return done();
}

// Every key's read-modify-write count and merge count is the number of
// events appended for it: none lost, none applied twice.
void ExpectTallied(Store* store, uint64_t events) {
  std::map<std::string, uint64_t> want;
  for (uint64_t i = 1; i <= events; ++i) ++want["key:" + std::to_string(i % kKeys)];
  for (const auto& [key, n] : want) {
    auto count = store->Get("counts", key);
    ASSERT_TRUE(count.ok()) << count.status();
    ASSERT_TRUE(count->has_value()) << key;
    EXPECT_EQ(std::stoull(**count), n) << key;
    auto merged = store->Get("merged", key);
    ASSERT_TRUE(merged.ok() && merged->has_value()) << key;
    EXPECT_EQ(DecodeCounter(merged->value()), static_cast<int64_t>(n)) << key;
  }
}

class FedRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = OpenEmbeddedEventLog({.dir = dir_.Sub("log"), .partitions = kPartitions});
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
    OpenModel();
  }
  void OpenModel() {
    auto store =
        Store::Open({.path = dir_.Sub("model"), .column_families = tally_.column_families()});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  std::unique_ptr<ProjectorRunner> StartFed() {
    ProjectorOptions po;
    po.fed_by_commits = true;
    po.max_batch_events = 64;  // a catch-up of many batches
    auto runner = std::make_unique<ProjectorRunner>(log_.get(), store_.get(), &tally_, nullptr, po);
    EXPECT_TRUE(log_->SetCommitObserver(runner.get()).ok());
    EXPECT_TRUE(runner->Start().ok());
    return runner;
  }
  void StopFed(std::unique_ptr<ProjectorRunner> runner) {
    ASSERT_TRUE(log_->SetCommitObserver(nullptr).ok());
    runner->Stop();
  }

  TempDir dir_;
  TallyProjection tally_;
  std::unique_ptr<EventLog> log_;
  std::unique_ptr<Store> store_;
};

TEST_F(FedRunnerTest, AnAcknowledgedAppendIsAppliedOnceHandedOver) {
  AppendOneByOne(log_.get(), 1, 2000);  // history the runner must read
  auto runner = StartFed();
  // Appends race the catch-up and the hand-over.
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t)
    writers.emplace_back([&, t] { AppendOneByOne(log_.get(), 2001 + t * 500, 500); });
  for (auto& w : writers) w.join();
  ASSERT_TRUE(WaitUntil([&] { return runner->fed(); })) << "never handed over";

  std::atomic<int> not_applied{0};
  writers.clear();
  for (int t = 0; t < 4; ++t)
    writers.emplace_back([&, t] {
      for (uint64_t i = 4001 + t * 250u; i < 4001 + (t + 1) * 250u; ++i) {
        std::vector<LogRecord> one;
        one.push_back(TallyRecord(i));
        auto pos = log_->Append(std::move(one));
        ASSERT_TRUE(pos.ok());
        ConsistencyToken token;
        token.Add((*pos)[0]);
        if (!runner->IsApplied(token)) ++not_applied;  // asked before any wait
      }
    });
  for (auto& w : writers) w.join();
  EXPECT_EQ(not_applied.load(), 0);
  EXPECT_TRUE(runner->health().ok()) << runner->health();
  uint64_t applied = 0;
  for (uint64_t a : runner->applied()) applied += a;
  EXPECT_EQ(applied, 5000u);
  ExpectTallied(store_.get(), 5000);
}

TEST_F(FedRunnerTest, RestartCatchesUpWhatWasWrittenWhileStopped) {
  auto runner = StartFed();
  ASSERT_TRUE(WaitUntil([&] { return runner->fed(); }));  // an empty log: at once
  AppendOneByOne(log_.get(), 1, 300);
  StopFed(std::move(runner));
  AppendOneByOne(log_.get(), 301, 700);  // nobody applies these now
  store_.reset();
  OpenModel();
  runner = StartFed();
  ASSERT_TRUE(WaitUntil([&] { return runner->fed(); }));
  AppendOneByOne(log_.get(), 1001, 100);
  uint64_t applied = 0;
  for (uint64_t a : runner->applied()) applied += a;
  EXPECT_EQ(applied, 1100u);
  ExpectTallied(store_.get(), 1100);
  StopFed(std::move(runner));
}

TEST_F(FedRunnerTest, ACommitThatDoesNotFollowStopsTheRunner) {
  auto runner = StartFed();
  ASSERT_TRUE(WaitUntil([&] { return runner->fed(); }));
  AppendOneByOne(log_.get(), 1, 10);
  ASSERT_TRUE(runner->health().ok());
  // A commit the log never made (offset far past the end): after the
  // hand-over nothing else would apply what lies between, so the runner
  // must stop with an error rather than skip silently.
  auto rec = TallyRecord(11);
  std::vector<StoredRecord> stray = {{{log_->PartitionFor(rec.key), 1000}, rec.key, rec.value}};
  StopFed(std::move(runner));
  runner = std::make_unique<ProjectorRunner>(log_.get(), store_.get(), &tally_, nullptr,
                                             ProjectorOptions{.fed_by_commits = true});
  ASSERT_TRUE(runner->Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return runner->fed(); }));
  runner->OnDurable(stray);
  EXPECT_FALSE(runner->health().ok());
  ExpectTallied(store_.get(), 10);  // and it applied nothing of it
}

TEST_F(FedRunnerTest, AStoppedRunnerIgnoresCommits) {
  auto runner = StartFed();
  ASSERT_TRUE(WaitUntil([&] { return runner->fed(); }));
  AppendOneByOne(log_.get(), 1, 5);
  runner->Stop();  // still registered: the log keeps calling it
  AppendOneByOne(log_.get(), 6, 5);
  uint64_t applied = 0;
  for (uint64_t a : runner->applied()) applied += a;
  EXPECT_EQ(applied, 5u);
  ASSERT_TRUE(log_->SetCommitObserver(nullptr).ok());
}

}  // namespace
}  // namespace lens::testing
