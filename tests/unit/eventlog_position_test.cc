// Unit tests of eventlog/ pure parts: log positions, the consistency token,
// Kafka's murmur2 hash and EventLog::PartitionFor.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eventlog/event_log.h"
#include "eventlog/log_position.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lens {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// ------------------------------------------------------- ConsistencyToken

TEST(ConsistencyTokenTest, EmptyTokenPrintsEmpty) {
  ConsistencyToken t;
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.ToString(), "");
}

TEST(ConsistencyTokenTest, ToStringListsPartitionsInAscendingOrder) {
  ConsistencyToken t;
  t.Add({3, 7});
  t.Add({0, 12});
  t.Add({1023, 0});
  EXPECT_FALSE(t.empty());
  EXPECT_EQ(t.ToString(), "0:12,3:7,1023:0");
}

TEST(ConsistencyTokenTest, ParseInvertsToString) {
  for (const char* s : {"0:0", "0:12,3:7", "1:5,2:6,1023:18446744073709551615"}) {
    auto t = ConsistencyToken::Parse(s);
    ASSERT_TRUE(t.has_value()) << s;
    EXPECT_EQ(t->ToString(), s);
  }
  ConsistencyToken t;
  t.Add({5, 100});
  t.Add({2, 1});
  auto back = ConsistencyToken::Parse(t.ToString());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->last_offsets(), t.last_offsets());
}

TEST(ConsistencyTokenTest, AddKeepsTheMaximumOffsetPerPartition) {
  ConsistencyToken t;
  t.Add({1, 10});
  t.Add({1, 4});
  t.Add({1, 10});
  t.Add({2, 0});
  t.Add({1, 11});
  EXPECT_THAT(t.last_offsets(), ElementsAre(Pair(1u, 11u), Pair(2u, 0u)));
}

TEST(ConsistencyTokenTest, ParseKeepsTheMaximumOfRepeatedPartitions) {
  auto t = ConsistencyToken::Parse("1:9,1:3,0:1");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->ToString(), "0:1,1:9");
}

TEST(ConsistencyTokenTest, MergeTakesThePerPartitionMaximum) {
  ConsistencyToken a, b;
  a.Add({0, 5});
  a.Add({1, 9});
  b.Add({1, 3});
  b.Add({2, 8});
  b.Add({0, 6});
  a.Merge(b);
  EXPECT_EQ(a.ToString(), "0:6,1:9,2:8");
  EXPECT_EQ(b.ToString(), "0:6,1:3,2:8");  // the argument is untouched
  ConsistencyToken empty;
  a.Merge(empty);
  EXPECT_EQ(a.ToString(), "0:6,1:9,2:8");
  empty.Merge(a);
  EXPECT_EQ(empty.ToString(), a.ToString());
}

TEST(ConsistencyTokenTest, ParseRejectsMalformedText) {
  // clang-format off
  const std::vector<std::string> malformed = {
      "", "1", "1:", ":1", "1:2,", ",1:2", "a:1", "1:a", "1:2;3:4", "1:2,,3:4", "1024:1",
      "4294967296:1", "99999999999999999999:1", "1:18446744073709551616", "1:99999999999999999999",
      "-1:2", "1:-2", "+1:2", "1:+2", " 1:2", "1:2 ", "1 :2", "1: 2", "1::2", "1:2:3", "0x1:2"};
  // clang-format on
  for (const std::string& s : malformed) {
    EXPECT_EQ(ConsistencyToken::Parse(s), std::nullopt) << '"' << s << '"';
  }
}

TEST(ConsistencyTokenTest, ParseAcceptsTheLargestPartitionAndOffset) {
  auto t = ConsistencyToken::Parse("1023:18446744073709551615");
  ASSERT_TRUE(t.has_value());
  EXPECT_THAT(t->last_offsets(), ElementsAre(Pair(1023u, std::numeric_limits<uint64_t>::max())));
}

TEST(ConsistencyTokenTest, ParseRejectsOverlongText) {
  std::string s;
  for (int i = 0; s.size() <= 32 * 1024; ++i) s += std::to_string(i % 1024) + ":1,";
  s += "0:1";
  EXPECT_EQ(ConsistencyToken::Parse(s), std::nullopt);
}

TEST(LogPositionTest, ComparesPartitionAndOffset) {
  EXPECT_EQ((LogPosition{1, 2}), (LogPosition{1, 2}));
  EXPECT_NE((LogPosition{1, 2}), (LogPosition{2, 1}));
  EXPECT_NE((LogPosition{1, 2}), (LogPosition{1, 3}));
}

// ------------------------------------------------------------ KafkaMurmur2

int32_t Signed(uint32_t h) { return static_cast<int32_t>(h); }

// Values of org.apache.kafka.common.utils.Utils.murmur2 (signed Java ints),
// checked against an independent port of the Java code that reproduces all
// of librdkafka's java_murmur2_results vectors (src/rdmurmur2.c).
TEST(KafkaMurmur2Test, MatchesJavaUtilsMurmur2) {
  EXPECT_EQ(Signed(KafkaMurmur2("21")), -973932308);
  EXPECT_EQ(Signed(KafkaMurmur2("foobar")), -790332482);
  EXPECT_EQ(Signed(KafkaMurmur2("a-little-bit-long-string")), -985981536);
  EXPECT_EQ(Signed(KafkaMurmur2("a-little-bit-longer-string")), -1486304829);
  EXPECT_EQ(Signed(KafkaMurmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")), -58897971);
  EXPECT_EQ(Signed(KafkaMurmur2("abc")), 479470107);
  // Not -1753982219 (a value sometimes quoted for "a"): the Java algorithm
  // gives -1563381124 (0xa2d0a87c).
  EXPECT_EQ(Signed(KafkaMurmur2("a")), -1563381124);
}

// librdkafka's unit-test vectors, the ones its murmur2_random partitioner is
// checked against: every tail length (0..3) and aligned/unaligned input.
TEST(KafkaMurmur2Test, MatchesLibrdkafkaJavaVectors) {
  const std::vector<std::pair<std::string_view, uint32_t>> vectors = {
      {"kafka", 0xd067cf64},
      {"giberish123456789", 0x8f552b0c},
      {"1234", 0x9fc97b14},
      {"234", 0xe7c009ca},
      {"34", 0x873930da},
      {"4", 0x5a4b5ca1},
      {"PreAmbleWillBeRemoved,ThePrePartThatIs", 0x78424f1c},
      {"reAmbleWillBeRemoved,ThePrePartThatIs", 0x4a62b377},
      {"eAmbleWillBeRemoved,ThePrePartThatIs", 0xe0e4e09e},
      {"AmbleWillBeRemoved,ThePrePartThatIs", 0x62b8b43f},
      {"", 0x106e08d9},
  };
  for (const auto& [key, want] : vectors) EXPECT_EQ(KafkaMurmur2(key), want) << '"' << key << '"';
}

TEST(KafkaMurmur2Test, TreatsBytesAsUnsigned) {
  // Bytes >= 0x80 must be masked (Java's `& 0xff`), not sign-extended.
  EXPECT_EQ(KafkaMurmur2(std::string_view("\xff\x80", 2)), 3852178576u);
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(KafkaMurmur2(all), 2346620022u);
}

TEST(KafkaMurmur2Test, HashesTheWholeKeyIncludingNul) {
  EXPECT_NE(KafkaMurmur2(std::string_view("a\0b", 3)), KafkaMurmur2("a"));
}

// ------------------------------------------------------------ PartitionFor

// The smallest EventLog: only partition_count matters to PartitionFor.
class FixedPartitionsLog : public EventLog {
 public:
  explicit FixedPartitionsLog(uint32_t partitions) : partitions_(partitions) {}
  std::string_view backend() const override { return "test"; }
  uint32_t partition_count() const override { return partitions_; }
  absl::StatusOr<std::vector<LogPosition>> Append(std::vector<LogRecord>) override {
    return absl::UnimplementedError("test");
  }
  absl::StatusOr<uint64_t> EndOffset(uint32_t) override { return absl::UnimplementedError("test"); }
  absl::StatusOr<std::unique_ptr<LogReader>> OpenReader(
      const std::vector<std::pair<uint32_t, uint64_t>>&) override {
    return absl::UnimplementedError("test");
  }
  absl::Status Health() override { return absl::OkStatus(); }
  void Close() override {}

 private:
  uint32_t partitions_;
};

TEST(PartitionForTest, IsPositiveMurmur2ModuloPartitions) {
  for (uint32_t n : {1u, 3u, 8u, 12u, 16u, 1024u}) {
    FixedPartitionsLog log(n);
    for (std::string_view key : {"", "a", "user:1", "user:2", "user:42", "post:7291840000000",
                                 "kafka", "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"}) {
      uint32_t p = log.PartitionFor(key);
      EXPECT_LT(p, n);
      EXPECT_EQ(p, (KafkaMurmur2(key) & 0x7fffffff) % n) << key << " / " << n;
    }
  }
}

TEST(PartitionForTest, KnownPartitionsAgreeWithJavaClients) {
  // (murmur2 & 0x7fffffff) % n, computed with the Java algorithm.
  FixedPartitionsLog eight(8), twelve(12), many(1024);
  EXPECT_EQ(eight.PartitionFor("user:1"), 6u);
  EXPECT_EQ(eight.PartitionFor("user:2"), 1u);
  EXPECT_EQ(eight.PartitionFor("user:42"), 5u);
  EXPECT_EQ(eight.PartitionFor("post:7291840000000"), 6u);
  EXPECT_EQ(eight.PartitionFor("a"), 4u);
  EXPECT_EQ(twelve.PartitionFor("kafka"), 4u);
  EXPECT_EQ(twelve.PartitionFor("user:7291800000000"), 8u);
  EXPECT_EQ(many.PartitionFor("user:42"), 685u);
  // Negative hashes: the sign bit is cleared (Java's toPositive), which is
  // neither abs() (3, 7) nor the unsigned value modulo n (1, 9).
  EXPECT_EQ(twelve.PartitionFor("user:2"), 5u);
  EXPECT_EQ(twelve.PartitionFor("user:3"), 1u);
}

TEST(PartitionForTest, OnePartitionTakesEverything) {
  FixedPartitionsLog log(1);
  for (std::string_view key : {"", "x", "user:1"}) EXPECT_EQ(log.PartitionFor(key), 0u);
}

}  // namespace
}  // namespace lens
