// MockKafka: a lens-mock-kafka process (librdkafka's mock cluster, a real
// Kafka-protocol broker on 127.0.0.1) for the duration of a test.
//
//   auto kafka = MockKafka::Start({{"lens.events", 4}});
//   ASSERT_TRUE(kafka.ok()) << kafka.status();
//   options.brokers = (*kafka)->bootstrap();
//   ASSERT_TRUE((*kafka)->Command("broker-down 1"));
//
// The destructor stops and reaps the process. The binary's path is compiled
// in (LENS_MOCK_KAFKA_PATH). Starting one ignores SIGPIPE in the calling
// process, so that writing to a broker that died fails instead of killing
// the test. Not thread-safe: one thread drives a MockKafka.
#ifndef LENS_TESTS_SUPPORT_MOCK_KAFKA_H_
#define LENS_TESTS_SUPPORT_MOCK_KAFKA_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace lens::testing {

class MockKafka {
 public:
  struct Topic {
    std::string name;
    int partitions;
  };

  // Spawns the broker with `topics` and `brokers` brokers (ids 1..N) and
  // waits for its bootstrap line; an error if it does not start.
  static absl::StatusOr<std::unique_ptr<MockKafka>> Start(const std::vector<Topic>& topics,
                                                          int brokers = 1);

  ~MockKafka();
  MockKafka(const MockKafka&) = delete;
  MockKafka& operator=(const MockKafka&) = delete;

  // bootstrap.servers for clients, "127.0.0.1:PORT[,...]".
  const std::string& bootstrap() const { return bootstrap_; }

  // Sends one command line (see lens-mock-kafka --help), e.g.
  // "produce-errors 3 NOT_LEADER_FOR_PARTITION", "broker-down 1",
  // "create-topic other 2". True when the broker answered "ok"; otherwise
  // last_reply() holds its answer or what went wrong.
  bool Command(const std::string& line);
  const std::string& last_reply() const { return last_reply_; }

 private:
  MockKafka(pid_t pid, int stdin_fd, int stdout_fd)
      : pid_(pid), stdin_fd_(stdin_fd), stdout_fd_(stdout_fd) {}

  // Reads one line from the broker's stdout within `timeout_ms`.
  absl::StatusOr<std::string> ReadLine(int timeout_ms);

  pid_t pid_;
  int stdin_fd_;          // the broker's stdin (write end)
  int stdout_fd_;         // the broker's stdout (read end)
  std::string buffered_;  // read from stdout_fd_, not yet returned as a line
  std::string bootstrap_;
  std::string last_reply_;
};

}  // namespace lens::testing

#endif  // LENS_TESTS_SUPPORT_MOCK_KAFKA_H_
