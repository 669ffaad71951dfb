// A backend under the event-log conformance suite: it owns whatever the
// backend needs (a temporary directory, a mock Kafka broker process) and
// opens EventLog instances on it.
#ifndef LENS_TESTS_EVENTLOG_LOG_UNDER_TEST_H_
#define LENS_TESTS_EVENTLOG_LOG_UNDER_TEST_H_

#include <memory>
#include <string>

#include "eventlog/event_log.h"

namespace lens::testing {

class LogUnderTest {
 public:
  virtual ~LogUnderTest() = default;
  virtual std::string name() const = 0;
  // Opens a log with `partitions` partitions on this backend's storage. A
  // second call opens the same log again (a restart of the node).
  virtual std::unique_ptr<EventLog> Open(uint32_t partitions) = 0;
  // Makes the backend refuse appends for a while (broker errors); returns
  // false when the backend has no way to inject errors.
  virtual bool InjectAppendErrors(int count) = 0;
  // Makes the backend unreachable (broker down); false when unsupported.
  virtual bool SetUnavailable(bool down) = 0;
};

std::unique_ptr<LogUnderTest> MakeEmbeddedLogUnderTest();
std::unique_ptr<LogUnderTest> MakeKafkaLogUnderTest();

}  // namespace lens::testing

#endif  // LENS_TESTS_EVENTLOG_LOG_UNDER_TEST_H_
