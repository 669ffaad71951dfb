// Shared set-up for end-to-end tests: a real `lens serve` process on the
// embedded log or on Kafka (a lens-mock-kafka broker process), and helpers
// that drive it over HTTP.
#ifndef LENS_TESTS_E2E_LENS_FIXTURE_H_
#define LENS_TESTS_E2E_LENS_FIXTURE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/http_client.h"
#include "tests/support/lens_process.h"
#include "tests/support/mock_kafka.h"
#include "tests/support/temp_dir.h"

namespace lens::testing {

struct TestUser {
  std::string id;
  std::string username;
  std::string password;
  std::string token;
};

class LensFixture : public ::testing::TestWithParam<std::string> {
 protected:
  static constexpr uint32_t kPartitions = 4;

  void SetUp() override;
  void TearDown() override;

  bool kafka() const { return GetParam() == "kafka"; }
  // (Re)starts lens on the same data directory (and broker).
  void StartLens(std::vector<std::string> extra_args = {});
  HttpClient& http() { return *http_; }

  // Registers and logs in; fails the test on error. Queries then wait for
  // the account to be in the read models.
  TestUser CreateUser(const std::string& username);
  // Sum of lens_eventlog_end_offset over partitions, from /metrics.
  long EventCount();

  // A command as `u`. A successful one's Consistency-Token is merged into
  // the one Query sends, so queries read this test's own writes.
  HttpResult Cmd(const std::string& method, const std::string& target, const TestUser& u,
                 const std::string& body = "", Headers extra = {});
  // GET as `u`, with the merged Consistency-Token.
  HttpResult Query(const std::string& target, const TestUser& u);
  Headers ReadHeaders(const TestUser& u) const;
  // Merges a successful answer's Consistency-Token into the one Query sends.
  void Remember(const HttpResult& r);
  std::string ConsistencyToken() const;

  std::map<uint32_t, uint64_t> ct_;  // partition -> highest offset any command appended
  std::string last_request_;         // for failure messages

  TempDir dir_;
  std::unique_ptr<MockKafka> broker_;
  std::unique_ptr<LensProcess> lens_;
  std::unique_ptr<HttpClient> http_;
  std::vector<std::string> args_;
};

std::string BackendName(const ::testing::TestParamInfo<std::string>& info);

// Reading answers without throwing on an unexpected one.
// The body as a JSON object, or an empty object.
Json Obj(const HttpResult& r);
// j[key] when it is a string, else "".
std::string Str(const Json& j, const std::string& key);
// The items of a list answer (empty when it is not one).
std::vector<Json> Items(const HttpResult& r);

}  // namespace lens::testing

#endif  // LENS_TESTS_E2E_LENS_FIXTURE_H_
