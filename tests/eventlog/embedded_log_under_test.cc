#include "eventlog/embedded_event_log.h"
#include "tests/eventlog/log_under_test.h"
#include "tests/support/temp_dir.h"

namespace lens::testing {
namespace {

class EmbeddedLogUnderTest : public LogUnderTest {
 public:
  std::string name() const override { return "embedded"; }
  std::unique_ptr<EventLog> Open(uint32_t partitions) override {
    EmbeddedLogOptions o;
    o.dir = dir_.Sub("log");
    o.partitions = partitions;
    auto log = OpenEmbeddedEventLog(o);
    return log.ok() ? std::move(*log) : nullptr;
  }
  // The embedded log has no broker to fail; its failure mode (a crash) is
  // covered by the SIGKILL tests.
  bool InjectAppendErrors(int) override { return false; }
  bool SetUnavailable(bool) override { return false; }

 private:
  TempDir dir_;
};

}  // namespace

std::unique_ptr<LogUnderTest> MakeEmbeddedLogUnderTest() {
  return std::make_unique<EmbeddedLogUnderTest>();
}

}  // namespace lens::testing
