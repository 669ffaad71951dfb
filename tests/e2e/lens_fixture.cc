#include "tests/e2e/lens_fixture.h"

#include <algorithm>
#include <sstream>

namespace lens::testing {

std::string BackendName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

Json Obj(const HttpResult& r) {
  Json j = r.json();
  return j.is_object() ? j : Json::object();
}

std::string Str(const Json& j, const std::string& key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return "";
  return j[key].get<std::string>();
}

std::vector<Json> Items(const HttpResult& r) {
  Json j = Obj(r);
  if (!j.contains("items") || !j["items"].is_array()) return {};
  return j["items"].get<std::vector<Json>>();
}

void LensFixture::SetUp() {
  if (kafka()) {
    auto broker = MockKafka::Start({{"lens.events", static_cast<int>(kPartitions)}});
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
  }
  StartLens();
}

void LensFixture::TearDown() {
  http_.reset();
  lens_.reset();
  broker_.reset();
}

void LensFixture::StartLens(std::vector<std::string> extra_args) {
  http_.reset();
  lens_.reset();
  std::vector<std::string> args = {"--partitions", std::to_string(kPartitions), "--no-access-log"};
  if (kafka()) {
    args.push_back("--log");
    args.push_back("kafka://" + broker_->bootstrap());
  }
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  auto lens = LensProcess::Start({.data_dir = dir_.Sub("node"), .args = args});
  ASSERT_TRUE(lens.ok()) << lens.status();
  lens_ = std::move(*lens);
  http_ = std::make_unique<HttpClient>(lens_->port());
}

TestUser LensFixture::CreateUser(const std::string& username) {
  TestUser u{"", username, "pw-" + username + "-secret", ""};
  Json body{{"username", username}, {"email", username + "@example.com"}, {"password", u.password}};
  HttpResult r = http().Post("/api/v1/accounts", body.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  Remember(r);
  u.id = r.json().value("id", "");
  HttpResult s = http().Post("/api/v1/sessions",
                             Json{{"username", username}, {"password", u.password}}.dump());
  EXPECT_EQ(s.status, 201) << s.body;
  Remember(s);
  u.token = s.json().value("token", "");
  return u;
}

HttpResult LensFixture::Cmd(const std::string& method, const std::string& target,
                            const TestUser& u, const std::string& body, Headers extra) {
  extra.push_back(Bearer(u.token));
  last_request_ = method + " " + target + " as " + u.username;
  HttpResult r = http().Request(method, target, body, extra);
  Remember(r);
  return r;
}

void LensFixture::Remember(const HttpResult& r) {
  std::string ct = r.header("consistency-token");
  if (r.status < 200 || r.status >= 300) return;
  for (size_t start = 0; start < ct.size();) {
    size_t end = ct.find(',', start);
    if (end == std::string::npos) end = ct.size();
    std::string pos = ct.substr(start, end - start);
    size_t colon = pos.find(':');
    if (colon != std::string::npos) {
      uint32_t p = static_cast<uint32_t>(std::stoul(pos.substr(0, colon)));
      uint64_t o = std::stoull(pos.substr(colon + 1));
      ct_[p] = std::max(ct_[p], o);
    }
    start = end + 1;
  }
}

std::string LensFixture::ConsistencyToken() const {
  std::string out;
  for (const auto& [p, o] : ct_) {
    if (!out.empty()) out += ",";
    out += std::to_string(p) + ":" + std::to_string(o);
  }
  return out;
}

Headers LensFixture::ReadHeaders(const TestUser& u) const {
  Headers h = {Bearer(u.token)};
  if (!ct_.empty()) h.push_back({"Consistency-Token", ConsistencyToken()});
  return h;
}

HttpResult LensFixture::Query(const std::string& target, const TestUser& u) {
  last_request_ = "GET " + target + " as " + u.username;
  return http().Get(target, ReadHeaders(u));
}

long LensFixture::EventCount() {
  HttpResult m = http().Get("/metrics");
  EXPECT_EQ(m.status, 200);
  std::istringstream in(m.body);
  std::string line;
  long sum = 0;
  while (std::getline(in, line))
    if (line.rfind("lens_eventlog_end_offset{", 0) == 0)
      sum += std::stol(line.substr(line.rfind(' ') + 1));
  return sum;
}

}  // namespace lens::testing
