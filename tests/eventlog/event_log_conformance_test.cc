// The semantics both event-log backends promise (eventlog/event_log.h),
// checked against each: the embedded RocksDB log and Kafka (librdkafka's
// mock cluster, a real Kafka-protocol broker, run as a process).
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "tests/eventlog/log_under_test.h"

namespace lens::testing {
namespace {

constexpr uint32_t kPartitions = 4;

// Reads everything in [0, EndOffset) of every partition.
std::vector<StoredRecord> ReadAll(EventLog* log) {
  std::vector<std::pair<uint32_t, uint64_t>> starts;
  uint64_t total = 0;
  for (uint32_t p = 0; p < log->partition_count(); ++p) {
    starts.emplace_back(p, 0);
    total += log->EndOffset(p).value();
  }
  auto reader = log->OpenReader(starts);
  EXPECT_TRUE(reader.ok()) << reader.status();
  std::vector<StoredRecord> out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (out.size() < total && std::chrono::steady_clock::now() < deadline) {
    auto batch = (*reader)->Poll(1000, absl::Milliseconds(200));
    EXPECT_TRUE(batch.ok()) << batch.status();
    if (!batch.ok()) break;
    out.insert(out.end(), batch->begin(), batch->end());
  }
  return out;
}

class EventLogConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    backend_ = GetParam() == "embedded" ? MakeEmbeddedLogUnderTest() : MakeKafkaLogUnderTest();
    log_ = backend_->Open(kPartitions);
    ASSERT_NE(log_, nullptr);
  }
  void TearDown() override {
    if (log_) log_->Close();
  }
  std::unique_ptr<LogUnderTest> backend_;
  std::unique_ptr<EventLog> log_;
};

TEST_P(EventLogConformance, AppendReturnsPositionsAndRecordsReadBack) {
  std::vector<LogRecord> batch;
  for (int i = 0; i < 50; ++i)
    batch.push_back({"user:" + std::to_string(i % 7), "v" + std::to_string(i)});
  auto positions = log_->Append(batch);
  ASSERT_TRUE(positions.ok()) << positions.status();
  ASSERT_EQ(positions->size(), batch.size());
  for (size_t i = 0; i < batch.size(); ++i)
    EXPECT_EQ((*positions)[i].partition, log_->PartitionFor(batch[i].key));

  std::map<std::pair<uint32_t, uint64_t>, StoredRecord> by_pos;
  for (auto& r : ReadAll(log_.get())) by_pos[{r.pos.partition, r.pos.offset}] = r;
  ASSERT_EQ(by_pos.size(), batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    auto it = by_pos.find({(*positions)[i].partition, (*positions)[i].offset});
    ASSERT_NE(it, by_pos.end());
    EXPECT_EQ(it->second.key, batch[i].key);
    EXPECT_EQ(it->second.value, batch[i].value);
  }
}

TEST_P(EventLogConformance, OffsetsAreContiguousFromZeroPerPartition) {
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(log_->Append({{"k" + std::to_string(i), "x"}}).ok());
  std::map<uint32_t, std::vector<uint64_t>> offsets;
  for (auto& r : ReadAll(log_.get())) offsets[r.pos.partition].push_back(r.pos.offset);
  uint64_t total = 0;
  for (uint32_t p = 0; p < kPartitions; ++p) {
    auto end = log_->EndOffset(p);
    ASSERT_TRUE(end.ok());
    ASSERT_EQ(offsets[p].size(), *end) << "partition " << p;
    for (uint64_t i = 0; i < offsets[p].size(); ++i) EXPECT_EQ(offsets[p][i], i);
    total += *end;
  }
  EXPECT_EQ(total, 40u);
  EXPECT_GT(offsets.size(), 1u) << "40 keys should spread over partitions";
}

TEST_P(EventLogConformance, PerKeyOrderHoldsUnderConcurrentAppends) {
  constexpr int kThreads = 4, kPerThread = 150;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Each thread owns two keys; both get its sequence in order.
        std::string key = "post:" + std::to_string(t * 2 + (i % 2));
        if (!log_->Append({{key, std::to_string(i)}}).ok()) failures++;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  std::map<std::string, std::vector<int>> seen;
  for (auto& r : ReadAll(log_.get())) {
    EXPECT_EQ(r.pos.partition, log_->PartitionFor(r.key));
    seen[r.key].push_back(std::stoi(r.value));
  }
  ASSERT_EQ(seen.size(), static_cast<size_t>(kThreads * 2));
  for (auto& [key, values] : seen) {
    ASSERT_EQ(values.size(), static_cast<size_t>(kPerThread / 2)) << key;
    for (size_t i = 1; i < values.size(); ++i) EXPECT_LT(values[i - 1], values[i]) << key;
  }
}

TEST_P(EventLogConformance, ReaderResumesFromCheckpoint) {
  std::vector<LogRecord> batch;
  for (int i = 0; i < 30; ++i) batch.push_back({"user:1", std::to_string(i)});
  auto pos = log_->Append(batch);
  ASSERT_TRUE(pos.ok()) << pos.status();
  const uint32_t p = (*pos)[0].partition;

  // Read the first 10, remember the checkpoint (next offset), stop.
  auto reader = log_->OpenReader({{p, 0}});
  ASSERT_TRUE(reader.ok());
  std::vector<StoredRecord> first;
  while (first.size() < 10) {
    auto b = (*reader)->Poll(10 - first.size(), absl::Seconds(5));
    ASSERT_TRUE(b.ok()) << b.status();
    first.insert(first.end(), b->begin(), b->end());
  }
  ASSERT_EQ(first.size(), 10u);
  uint64_t checkpoint = first.back().pos.offset + 1;
  reader->reset();

  auto resumed = log_->OpenReader({{p, checkpoint}});
  ASSERT_TRUE(resumed.ok());
  std::vector<StoredRecord> rest;
  while (rest.size() < 20) {
    auto b = (*resumed)->Poll(100, absl::Seconds(5));
    ASSERT_TRUE(b.ok()) << b.status();
    if (b->empty()) break;
    rest.insert(rest.end(), b->begin(), b->end());
  }
  ASSERT_EQ(rest.size(), 20u);
  for (size_t i = 0; i < rest.size(); ++i) {
    EXPECT_EQ(rest[i].pos.offset, checkpoint + i);
    EXPECT_EQ(rest[i].value, std::to_string(10 + i));
  }
}

TEST_P(EventLogConformance, PollWaitsThenWakesOnAppend) {
  auto reader = log_->OpenReader({{0, 0}, {1, 0}, {2, 0}, {3, 0}});
  ASSERT_TRUE(reader.ok());
  auto t0 = std::chrono::steady_clock::now();
  auto empty = (*reader)->Poll(10, absl::Milliseconds(300));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(250));

  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(log_->Append({{"user:9", "hello"}}).ok());
  });
  std::vector<StoredRecord> got;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (got.empty() && std::chrono::steady_clock::now() < deadline) {
    auto b = (*reader)->Poll(10, absl::Seconds(5));
    ASSERT_TRUE(b.ok());
    got = *b;
  }
  writer.join();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].value, "hello");
}

TEST_P(EventLogConformance, NothingLostAcrossRestart) {
  std::vector<LogRecord> batch;
  for (int i = 0; i < 25; ++i)
    batch.push_back({"conv:" + std::to_string(i % 5), std::to_string(i)});
  ASSERT_TRUE(log_->Append(batch).ok());
  std::vector<uint64_t> ends;
  for (uint32_t p = 0; p < kPartitions; ++p) ends.push_back(log_->EndOffset(p).value());
  log_->Close();
  log_.reset();

  log_ = backend_->Open(kPartitions);
  ASSERT_NE(log_, nullptr);
  for (uint32_t p = 0; p < kPartitions; ++p) EXPECT_EQ(log_->EndOffset(p).value(), ends[p]);
  auto more = log_->Append({{"conv:0", "after"}});
  ASSERT_TRUE(more.ok());
  EXPECT_EQ((*more)[0].offset, ends[(*more)[0].partition]) << "offsets continue after a restart";
  EXPECT_EQ(ReadAll(log_.get()).size(), 26u);
}

TEST_P(EventLogConformance, NoDuplicateAfterProducerRetry) {
  // Retriable broker errors make the producer retry internally; each record
  // must still land exactly once and in order.
  const bool injected = backend_->InjectAppendErrors(3);
  std::vector<LogRecord> batch;
  for (int i = 0; i < 10; ++i) batch.push_back({"post:42", std::to_string(i)});
  auto pos = log_->Append(batch);
  ASSERT_TRUE(pos.ok()) << pos.status() << (injected ? " (with injected errors)" : "");
  std::vector<std::string> values;
  for (auto& r : ReadAll(log_.get()))
    if (r.key == "post:42") values.push_back(r.value);
  ASSERT_EQ(values.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(values[i], std::to_string(i));
}

TEST_P(EventLogConformance, BrokerErrorSurfacesAsErrorNotHang) {
  if (!backend_->SetUnavailable(true)) GTEST_SKIP() << GetParam() << " has no broker to lose";
  auto t0 = std::chrono::steady_clock::now();
  auto r = log_->Append({{"user:1", "while down"}});
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_FALSE(r.ok());
  EXPECT_LT(elapsed, std::chrono::seconds(20)) << "Append must be bounded";
  ASSERT_TRUE(backend_->SetUnavailable(false));
  // Back up: appends succeed again (the producer may need a moment).
  bool ok = false;
  for (int i = 0; i < 20 && !ok; ++i) ok = log_->Append({{"user:1", "after"}}).ok();
  EXPECT_TRUE(ok);
}

TEST_P(EventLogConformance, ReopenWithOtherPartitionCountFails) {
  log_->Close();
  log_.reset();
  auto other = backend_->Open(kPartitions + 1);
  EXPECT_EQ(other, nullptr) << "a different partition count would break per-key order";
  log_ = backend_->Open(kPartitions);
  ASSERT_NE(log_, nullptr);
}

INSTANTIATE_TEST_SUITE_P(Backends, EventLogConformance, ::testing::Values("embedded", "kafka"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace lens::testing
