// Accounts end to end: the real `lens serve` binary over HTTP, on the
// embedded log and on Kafka (mock broker process).
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/e2e/lens_fixture.h"

namespace lens::testing {
namespace {

class AccountsE2E : public LensFixture {};

TEST_P(AccountsE2E, RegisterLoginUpdateProfileReadProfile) {
  HttpResult reg = http().Post(
      "/api/v1/accounts",
      R"({"username":"Alice","email":"Alice@Example.com","password":"correct horse","display_name":"Alice A."})");
  ASSERT_EQ(reg.status, 201) << reg.body;
  Json account = reg.json();
  const std::string id = account["id"];
  EXPECT_EQ(account["username"], "alice") << "usernames are case-insensitive, stored lower-case";
  EXPECT_EQ(account["email"], "alice@example.com");
  EXPECT_EQ(account["display_name"], "Alice A.");
  EXPECT_EQ(account["followers_count"], 0);
  EXPECT_FALSE(account.contains("password_hash"));
  EXPECT_FALSE(reg.header("consistency-token").empty());
  EXPECT_EQ(reg.header("location"), "/api/v1/accounts/" + id);

  HttpResult login = http().Post("/api/v1/sessions",
                                 R"({"email":"ALICE@example.com","password":"correct horse"})");
  ASSERT_EQ(login.status, 201) << login.body;
  const std::string token = login.json()["token"];
  EXPECT_EQ(login.json()["account"]["id"], id);
  EXPECT_FALSE(login.json()["expires_at"].get<std::string>().empty());

  HttpResult patch = http().Request("PATCH", "/api/v1/accounts/me",
                                    R"({"bio":"photos of cats","private":true})", {Bearer(token)});
  ASSERT_EQ(patch.status, 200) << patch.body;
  EXPECT_EQ(patch.json()["bio"], "photos of cats");
  const std::string ct = patch.header("consistency-token");
  ASSERT_FALSE(ct.empty());

  // Read-your-writes: with the token, the query sees the update.
  HttpResult get = http().Get("/api/v1/accounts/" + id, {Bearer(token), {"Consistency-Token", ct}});
  ASSERT_EQ(get.status, 200) << get.body;
  EXPECT_EQ(get.json()["bio"], "photos of cats");
  EXPECT_EQ(get.json()["private"], true);
  EXPECT_EQ(get.json()["display_name"], "Alice A.");
  EXPECT_EQ(get.json()["email"], "alice@example.com") << "the owner sees the email";
  EXPECT_EQ(get.json()["posts_count"], 0);

  HttpResult lookup = http().Get("/api/v1/accounts/lookup?username=ALICE", {Bearer(token)});
  ASSERT_EQ(lookup.status, 200) << lookup.body;
  EXPECT_EQ(lookup.json()["id"], id);

  HttpResult me = http().Get("/api/v1/accounts/me", {Bearer(token)});
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.json()["id"], id);

  // Somebody else sees the profile, not the email.
  TestUser bob = CreateUser("bob");
  HttpResult seen = http().Get("/api/v1/accounts/" + id, ReadHeaders(bob));
  ASSERT_EQ(seen.status, 200);
  EXPECT_FALSE(seen.json().contains("email"));
  EXPECT_EQ(seen.json()["username"], "alice");
}

TEST_P(AccountsE2E, UnknownAccountsAreNotFound) {
  TestUser u = CreateUser("carol");
  EXPECT_EQ(http().Get("/api/v1/accounts/12345", {Bearer(u.token)}).status, 404);
  EXPECT_EQ(http().Get("/api/v1/accounts/not-an-id", {Bearer(u.token)}).error_code(),
            "account_not_found");
  EXPECT_EQ(http().Get("/api/v1/accounts/lookup?username=nobody", {Bearer(u.token)}).status, 404);
  EXPECT_EQ(http().Get("/api/v1/accounts/lookup", {Bearer(u.token)}).status, 400);
}

TEST_P(AccountsE2E, QueriesAndCommandsNeedAValidToken) {
  TestUser u = CreateUser("dave");
  EXPECT_EQ(http().Get("/api/v1/accounts/" + u.id).status, 401);
  EXPECT_EQ(http().Get("/api/v1/accounts/me", {{"Authorization", "Basic abc"}}).status, 401);
  std::string forged = u.token;
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(http().Get("/api/v1/accounts/me", {Bearer(forged)}).status, 401);
  EXPECT_EQ(
      http().Request("PATCH", "/api/v1/accounts/me", R"({"bio":"x"})", {Bearer(forged)}).status,
      401);
  EXPECT_EQ(http().Get("/api/v1/accounts/me", ReadHeaders(u)).status, 200);
}

TEST_P(AccountsE2E, LogoutRevokesTheSession) {
  TestUser u = CreateUser("erin");
  HttpResult other =
      http().Post("/api/v1/sessions", Json{{"username", "erin"}, {"password", u.password}}.dump());
  ASSERT_EQ(other.status, 201);
  const std::string second_token = other.json()["token"];

  HttpResult out = http().Request("DELETE", "/api/v1/sessions/current", "", {Bearer(u.token)});
  ASSERT_EQ(out.status, 204) << out.body;
  const std::string ct = out.header("consistency-token");
  EXPECT_EQ(
      http().Request("PATCH", "/api/v1/accounts/me", R"({"bio":"x"})", {Bearer(u.token)}).status,
      401);
  EXPECT_EQ(http().Get("/api/v1/accounts/me", {Bearer(u.token), {"Consistency-Token", ct}}).status,
            401);
  // Only that session ended.
  EXPECT_EQ(
      http().Get("/api/v1/accounts/me", {Bearer(second_token), {"Consistency-Token", ct}}).status,
      200);
}

TEST_P(AccountsE2E, TokensExpire) {
  StartLens({"--session-ttl", "1"});
  TestUser u = CreateUser("frank");
  // With the registration's Consistency-Token: the accounts read model
  // reads the log on its own and may not hold the account yet.
  EXPECT_EQ(http().Get("/api/v1/accounts/me", ReadHeaders(u)).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  HttpResult r = http().Get("/api/v1/accounts/me", {Bearer(u.token)});
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("expired"), std::string::npos) << r.body;
}

TEST_P(AccountsE2E, PasswordChangeEndsOlderSessions) {
  TestUser u = CreateUser("gina");
  HttpResult wrong = http().Post(
      "/api/v1/accounts/me/password",
      R"({"current_password":"nope nope","new_password":"brand new pass"})", {Bearer(u.token)});
  EXPECT_EQ(wrong.status, 403);
  HttpResult ch =
      http().Post("/api/v1/accounts/me/password",
                  Json{{"current_password", u.password}, {"new_password", "brand new pass"}}.dump(),
                  {Bearer(u.token)});
  ASSERT_EQ(ch.status, 200) << ch.body;
  const std::string fresh = ch.json()["token"];
  const std::string ct = ch.header("consistency-token");
  EXPECT_EQ(http().Get("/api/v1/accounts/me", {Bearer(u.token), {"Consistency-Token", ct}}).status,
            401);
  EXPECT_EQ(http().Get("/api/v1/accounts/me", {Bearer(fresh), {"Consistency-Token", ct}}).status,
            200);
  EXPECT_EQ(
      http()
          .Post("/api/v1/sessions", Json{{"username", "gina"}, {"password", u.password}}.dump())
          .status,
      401);
  EXPECT_EQ(
      http().Post("/api/v1/sessions", R"({"username":"gina","password":"brand new pass"})").status,
      201);
}

TEST_P(AccountsE2E, DuplicateUsernameAndEmailAreRefused) {
  CreateUser("henry");
  long before = EventCount();
  HttpResult same_name =
      http().Post("/api/v1/accounts",
                  R"({"username":"HENRY","email":"other@example.com","password":"long enough"})");
  EXPECT_EQ(same_name.status, 409);
  EXPECT_EQ(same_name.error_code(), "username_taken");
  HttpResult same_email =
      http().Post("/api/v1/accounts",
                  R"({"username":"henry2","email":"Henry@Example.com","password":"long enough"})");
  EXPECT_EQ(same_email.status, 409);
  EXPECT_EQ(same_email.error_code(), "email_taken");
  EXPECT_EQ(EventCount(), before) << "a rejected command appends nothing";
}

TEST_P(AccountsE2E, UsernamesStayUniqueUnderConcurrentRegistrations) {
  constexpr int kThreads = 8, kNames = 12;
  std::mutex mu;
  std::map<std::string, std::vector<std::string>> winners;  // name -> ids
  std::map<int, int> statuses;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client(lens_->port());
      for (int n = 0; n < kNames; ++n) {
        std::string name = "racer" + std::to_string(n);
        // Same username from every thread; the email also collides for
        // half of the threads.
        std::string email = name + (t % 2 ? "@x.org" : "+" + std::to_string(t) + "@x.org");
        HttpResult r = client.Post(
            "/api/v1/accounts",
            Json{{"username", name}, {"email", email}, {"password", "long enough"}}.dump());
        std::lock_guard<std::mutex> lock(mu);
        statuses[r.status]++;
        if (r.status == 201) winners[name].push_back(r.json()["id"]);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(statuses[201], kNames) << "exactly one registration per username";
  EXPECT_EQ(statuses[409], kThreads * kNames - kNames);
  TestUser viewer = CreateUser("observer");
  for (auto& [name, ids] : winners) {
    ASSERT_EQ(ids.size(), 1u) << name;
    HttpResult l = http().Get("/api/v1/accounts/lookup?username=" + name, {Bearer(viewer.token)});
    // The lookup may lag; the login below is the command side's truth.
    (void)l;
  }
  HttpResult ok =
      http().Post("/api/v1/sessions", R"({"username":"racer0","password":"long enough"})");
  EXPECT_EQ(ok.status, 201);
}

TEST_P(AccountsE2E, IdempotencyKeyReturnsTheFirstResultAndAppendsNothing) {
  const std::string body =
      R"({"username":"ivy","email":"ivy@example.com","password":"long enough"})";
  HttpResult first = http().Post("/api/v1/accounts", body, {{"Idempotency-Key", "reg-ivy-1"}});
  ASSERT_EQ(first.status, 201) << first.body;
  long after_first = EventCount();
  HttpResult again = http().Post("/api/v1/accounts", body, {{"Idempotency-Key", "reg-ivy-1"}});
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.json()["id"], first.json()["id"]);
  EXPECT_EQ(again.header("consistency-token"), first.header("consistency-token"));
  EXPECT_EQ(again.header("idempotent-replayed"), "true");
  EXPECT_EQ(EventCount(), after_first) << "a retried command appends nothing";
  // Without the key, the same body is a new command: the name is taken.
  EXPECT_EQ(http().Post("/api/v1/accounts", body).status, 409);

  // A retried login returns the same token.
  const std::string login = R"({"username":"ivy","password":"long enough"})";
  HttpResult l1 = http().Post("/api/v1/sessions", login, {{"Idempotency-Key", "login-1"}});
  HttpResult l2 = http().Post("/api/v1/sessions", login, {{"Idempotency-Key", "login-1"}});
  ASSERT_EQ(l1.status, 201);
  ASSERT_EQ(l2.status, 201);
  EXPECT_EQ(l1.json()["token"], l2.json()["token"]);
  HttpResult l3 = http().Post("/api/v1/sessions", login, {{"Idempotency-Key", "login-2"}});
  EXPECT_NE(l3.json()["token"], l1.json()["token"]);

  EXPECT_EQ(
      http().Post("/api/v1/sessions", login, {{"Idempotency-Key", std::string(300, 'k')}}).status,
      400);
}

TEST_P(AccountsE2E, AcknowledgedWritesSurviveSigkill) {
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    HttpResult r =
        http().Post("/api/v1/accounts", Json{{"username", "durable" + std::to_string(i)},
                                             {"email", "d" + std::to_string(i) + "@example.com"},
                                             {"password", "long enough"}}
                                            .dump());
    ASSERT_EQ(r.status, 201);
    ids.push_back(r.json()["id"]);
  }
  long events = EventCount();
  lens_->Kill();  // SIGKILL right after the last acknowledgement
  StartLens();
  EXPECT_EQ(EventCount(), events);
  HttpResult login =
      http().Post("/api/v1/sessions", R"({"username":"durable19","password":"long enough"})");
  ASSERT_EQ(login.status, 201) << login.body;
  const std::string token = login.json()["token"];
  const std::string ct = login.header("consistency-token");
  for (int i = 0; i < 20; ++i) {
    HttpResult g =
        http().Get("/api/v1/accounts/" + ids[i], {Bearer(token), {"Consistency-Token", ct}});
    ASSERT_EQ(g.status, 200) << "account " << i << " lost: " << g.body;
    EXPECT_EQ(g.json()["username"], "durable" + std::to_string(i));
  }
  // The names are still taken after the restart (decision state rebuilt).
  EXPECT_EQ(
      http()
          .Post("/api/v1/accounts",
                R"({"username":"durable3","email":"new@example.com","password":"long enough"})")
          .status,
      409);
}

TEST_P(AccountsE2E, SigtermStopsCleanly) {
  TestUser u = CreateUser("jack");
  long events = EventCount();
  EXPECT_EQ(lens_->Stop(), 0) << "exit code after SIGTERM";
  StartLens();
  EXPECT_EQ(EventCount(), events);
  EXPECT_EQ(
      http()
          .Post("/api/v1/sessions", Json{{"username", "jack"}, {"password", u.password}}.dump())
          .status,
      201);
}

TEST_P(AccountsE2E, MetricsAndHealth) {
  CreateUser("kate");
  EXPECT_EQ(http().Get("/healthz").status, 200);
  HttpResult ready = http().Get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.json()["status"], "ready");
  HttpResult m = http().Get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.header("content-type").find("text/plain"), std::string::npos);
  for (const char* needle :
       {"lens_http_requests_total{route=\"/api/v1/accounts\",method=\"POST\",status=\"201\"} 1",
        "lens_http_request_duration_seconds_bucket{route=\"/api/v1/sessions\"",
        "lens_commands_total{command=\"register\",outcome=\"accepted\"",
        "lens_projector_lag_events{projection=\"accounts\"}",
        "lens_projector_events_applied_total{projection=\"decision\"}",
        "lens_eventlog_end_offset{partition=\"0\"}"})
    EXPECT_NE(m.body.find(needle), std::string::npos) << needle;
  // RocksDB's memory, per store and kind: each store holds a memtable; the
  // block cache is one for all stores.
  for (const char* store :
       {"decision", "accounts", "social", "notifications", "messages", "search"}) {
    const std::string gauge =
        std::string("lens_store_memory_bytes{store=\"") + store + "\",kind=\"memtables\"} ";
    const size_t at = m.body.find(gauge);
    ASSERT_NE(at, std::string::npos) << gauge;
    EXPECT_GT(std::stod(m.body.substr(at + gauge.size())), 0) << gauge;
    EXPECT_NE(m.body.find(std::string("lens_store_memory_bytes{store=\"") + store +
                          "\",kind=\"table_readers\"}"),
              std::string::npos)
        << store;
  }
  EXPECT_NE(m.body.find("lens_store_memory_bytes{store=\"all\",kind=\"block_cache\"}"),
            std::string::npos);
}

TEST_P(AccountsE2E, LoginIsThrottledAfterRepeatedFailures) {
  CreateUser("liam");
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(http()
                  .Post("/api/v1/sessions", R"({"username":"liam","password":"wrong password"})")
                  .status,
              401);
  HttpResult r =
      http().Post("/api/v1/sessions", R"({"username":"liam","password":"wrong password"})");
  EXPECT_EQ(r.status, 429);
  EXPECT_FALSE(r.header("retry-after").empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, AccountsE2E, ::testing::Values("embedded", "kafka"),
                         BackendName);

// The Kafka log is readable by standard tools: kcat sees the account events
// as JSON envelopes, and no password in clear.
class KafkaInteropE2E : public LensFixture {};

TEST_P(KafkaInteropE2E, KcatReadsTheAccountEventsAsJson) {
  if (std::system("command -v kcat >/dev/null 2>&1") != 0) GTEST_SKIP() << "kcat is not installed";
  TestUser u = CreateUser("mona");
  ASSERT_EQ(http()
                .Request("PATCH", "/api/v1/accounts/me", R"({"bio":"kcat me"})", {Bearer(u.token)})
                .status,
            200);
  std::string cmd = "kcat -b " + broker_->bootstrap() +
                    " -C -t lens.events -e -o beginning -q -f '%k\t%s\n' 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  ASSERT_EQ(pclose(pipe), 0) << out;

  EXPECT_EQ(out.find(u.password), std::string::npos) << "a password in clear reached the log";
  std::set<std::string> types;
  bool found_registration = false;
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    std::string line = out.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    std::string key = line.substr(0, tab);
    Json e = Json::parse(line.substr(tab + 1), nullptr, false);
    ASSERT_FALSE(e.is_discarded()) << "not JSON: " << line;
    EXPECT_EQ(e["key"], key) << "the record key is the aggregate";
    types.insert(e["type"].get<std::string>());
    if (e["type"] == "AccountRegistered") {
      found_registration = true;
      EXPECT_EQ(e["v"], 2);
      EXPECT_EQ(e["key"], "user:" + u.id);
      EXPECT_EQ(e["actor"], u.id);
      EXPECT_TRUE(e["id"].is_string());
      EXPECT_EQ(e["ts"].get<std::string>().size(), 24u) << e["ts"];
      EXPECT_FALSE(e["cmd"].get<std::string>().empty());
      EXPECT_EQ(e["data"]["username"], "mona");
      EXPECT_EQ(e["data"]["password_hash"].get<std::string>().rfind("$argon2id$", 0), 0u);
    }
  }
  EXPECT_TRUE(found_registration) << out;
  EXPECT_TRUE(types.count("SessionStarted")) << out;
  EXPECT_TRUE(types.count("ProfileUpdated")) << out;
}

// A node started with an empty data directory on an existing Kafka log
// rebuilds its decision state from offset 0 and refuses to decide until it
// has caught up: a taken username is never handed out twice.
TEST_P(KafkaInteropE2E, FreshNodeCatchesUpBeforeDeciding) {
  for (int i = 0; i < 150; ++i) {
    HttpResult r =
        http().Post("/api/v1/accounts", Json{{"username", "early" + std::to_string(i)},
                                             {"email", "e" + std::to_string(i) + "@example.com"},
                                             {"password", "long enough"}}
                                            .dump());
    ASSERT_EQ(r.status, 201);
  }
  lens_->Stop();
  auto fresh =
      LensProcess::Start({.data_dir = dir_.Sub("fresh-node"),
                          .args = {"--partitions", std::to_string(kPartitions), "--no-access-log",
                                   "--log", "kafka://" + broker_->bootstrap()}});
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  HttpClient c((*fresh)->port());
  // Straight away: either "catching up" or "taken", never a second account.
  HttpResult first =
      c.Post("/api/v1/accounts",
             R"({"username":"early149","email":"again@example.com","password":"long enough"})");
  EXPECT_TRUE(first.status == 503 || first.status == 409) << first.status << " " << first.body;
  if (first.status == 503) {
    EXPECT_EQ(first.error_code(), "catching_up");
  }
  bool ready = false;
  for (int i = 0; i < 200 && !ready; ++i) {
    ready = c.Get("/readyz").status == 200;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(ready);
  HttpResult again =
      c.Post("/api/v1/accounts",
             R"({"username":"early0","email":"again@example.com","password":"long enough"})");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(c.Post("/api/v1/sessions", R"({"username":"early77","password":"long enough"})").status,
            201);
}

// Scale-out: `lens commands` and `lens reads` as separate processes on one
// Kafka log, sharing the token key. Writes go to one, reads to the other.
TEST_P(KafkaInteropE2E, CommandsAndReadsRolesRunAsSeparateProcesses) {
  lens_->Stop();
  std::vector<std::string> common = {"--partitions",
                                     std::to_string(kPartitions),
                                     "--no-access-log",
                                     "--log",
                                     "kafka://" + broker_->bootstrap(),
                                     "--token-secret-file",
                                     dir_.Sub("shared.key")};
  auto commands =
      LensProcess::Start({.role = "commands", .data_dir = dir_.Sub("commands"), .args = common});
  ASSERT_TRUE(commands.ok()) << commands.status();
  auto reads = LensProcess::Start({.role = "reads", .data_dir = dir_.Sub("reads"), .args = common});
  ASSERT_TRUE(reads.ok()) << reads.status();
  HttpClient w((*commands)->port()), r((*reads)->port());

  ASSERT_EQ(w.Post("/api/v1/accounts",
                   R"({"username":"split","email":"s@example.com","password":"long enough"})")
                .status,
            201);
  HttpResult login = w.Post("/api/v1/sessions", R"({"username":"split","password":"long enough"})");
  ASSERT_EQ(login.status, 201);
  const std::string token = login.json()["token"];
  HttpResult post =
      w.Post("/api/v1/posts", R"({"caption":"written here, read there"})", {Bearer(token)});
  ASSERT_EQ(post.status, 201) << post.body;

  HttpResult feed = r.Get("/api/v1/feed",
                          {Bearer(token), {"Consistency-Token", post.header("consistency-token")}});
  ASSERT_EQ(feed.status, 200) << feed.body;
  const Json page = feed.json();
  ASSERT_EQ(page["items"].size(), 1u);
  EXPECT_EQ(page["items"][0]["id"], post.json()["id"]);
  // Each role serves only its side.
  EXPECT_EQ(w.Get("/api/v1/feed", {Bearer(token)}).status, 404);
  EXPECT_EQ(r.Post("/api/v1/posts", R"({"caption":"x"})", {Bearer(token)}).status, 404);
  EXPECT_EQ(r.Get("/readyz").status, 200);
  EXPECT_EQ(w.Get("/readyz").status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, KafkaInteropE2E, ::testing::Values("kafka"), BackendName);

}  // namespace
}  // namespace lens::testing
