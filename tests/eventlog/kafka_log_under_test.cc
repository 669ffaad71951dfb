// The Kafka backend under the event-log conformance suite: a lens-mock-kafka
// broker process (librdkafka's mock cluster, over TCP) with the topic
// "lens.events", and KafkaEventLog instances connected to it.

#include <iostream>
#include <memory>
#include <string>

#include "eventlog/kafka_event_log.h"
#include "gtest/gtest.h"
#include "tests/eventlog/log_under_test.h"
#include "tests/support/mock_kafka.h"

namespace lens::testing {
namespace {

constexpr char kTopic[] = "lens.events";

// Short, so that tests of failing appends finish quickly; ample for a
// broker on the loopback interface.
constexpr int kDeliveryTimeoutMs = 3000;

// The error InjectAppendErrors makes the broker answer Produce requests
// with: a leader change, the everyday transient broker error. It is
// retriable, so librdkafka refreshes its metadata and resends the same
// batch (same producer id and sequence numbers) about 100 ms later: the
// Append succeeds, late, which is what the conformance suite checks (each
// record exactly once, in order). A non-retriable error would fail the
// Append instead; kafka_event_log_test covers that case.
constexpr char kInjectedError[] = "NOT_LEADER_FOR_PARTITION";

class KafkaLogUnderTest final : public LogUnderTest {
 public:
  std::string name() const override { return "kafka"; }

  // The first call starts the broker with a topic of `partitions`
  // partitions; later calls connect to the same broker, as a restarted node
  // would (a different count then fails the open, and Open returns null).
  std::unique_ptr<EventLog> Open(uint32_t partitions) override {
    if (kafka_ == nullptr) {
      auto kafka = MockKafka::Start({{kTopic, static_cast<int>(partitions)}});
      if (!kafka.ok()) {
        ADD_FAILURE() << "starting lens-mock-kafka: " << kafka.status();
        return nullptr;
      }
      kafka_ = std::move(*kafka);
    }
    KafkaLogOptions options;
    options.brokers = kafka_->bootstrap();
    options.topic = kTopic;
    options.partitions = partitions;
    options.delivery_timeout_ms = kDeliveryTimeoutMs;
    absl::StatusOr<std::unique_ptr<EventLog>> log = OpenKafkaEventLog(options);
    if (!log.ok()) {
      std::cerr << "OpenKafkaEventLog: " << log.status() << "\n";
      return nullptr;
    }
    return std::move(*log);
  }

  // The next `count` Produce requests fail with kInjectedError, and are
  // retried by librdkafka. It sends one request per partition with records
  // to send, so an Append whose records span k partitions uses up to k of
  // them.
  bool InjectAppendErrors(int count) override {
    return kafka_ != nullptr &&
           Command("produce-errors " + std::to_string(count) + " " + kInjectedError);
  }

  // Broker 1 is the only broker, so down means unreachable.
  bool SetUnavailable(bool down) override {
    return kafka_ != nullptr && Command(down ? "broker-down 1" : "broker-up 1");
  }

 private:
  bool Command(const std::string& line) {
    if (kafka_->Command(line)) return true;
    ADD_FAILURE() << "lens-mock-kafka: " << line << ": " << kafka_->last_reply();
    return false;
  }

  std::unique_ptr<MockKafka> kafka_;
};

}  // namespace

std::unique_ptr<LogUnderTest> MakeKafkaLogUnderTest() {
  return std::make_unique<KafkaLogUnderTest>();
}

}  // namespace lens::testing
