// lensctl against real nodes: status and tail beside a running node, and
// events export / import moving a whole history from the embedded log to a
// fresh node, and to Kafka, where lens serves the same answers.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>
#include <fstream>
#include <sstream>

#include "projections/social_projection.h"
#include "readmodels/social_model.h"
#include "store/store.h"
#include "tests/e2e/lens_fixture.h"
#include "tests/e2e/lensctl_run.h"

namespace lens::testing {
namespace {

class LensctlE2E : public LensFixture {
 protected:
  // Three accounts, a follow and a post: a small history to move around.
  void MakeHistory() {
    ann_ = CreateUser("ann");
    ben_ = CreateUser("ben");
    CreateUser("cal");
    HttpResult f = http().Post("/api/v1/accounts/" + ann_.id + "/follow", "", {Bearer(ben_.token)});
    ASSERT_EQ(f.status, 200) << f.body;
    HttpResult p = http().Post("/api/v1/posts", R"({"caption":"moved #history"})", {Bearer(ann_.token)});
    ASSERT_EQ(p.status, 201) << p.body;
    post_id_ = p.json()["id"];
    last_token_ = p.header("consistency-token");
  }

  // Ben's feed on the node at `port`, after logging in there.
  std::vector<std::string> BenFeed(uint16_t port) {
    HttpClient c(port);
    HttpResult login = c.Post("/api/v1/sessions", Json{{"username", "ben"}, {"password", ben_.password}}.dump());
    EXPECT_EQ(login.status, 201) << login.body;
    // Wait for the read models to apply the imported history.
    for (int i = 0; i < 100; ++i) {
      HttpResult ready = c.Get("/readyz");
      bool caught_up = ready.status == 200;
      const Json body = ready.json();
      if (caught_up && body.contains("projections"))
        for (const Json& p : body["projections"]) caught_up = caught_up && p.value("lag", 1) == 0;
      if (caught_up) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    HttpResult feed = c.Get("/api/v1/feed", {Bearer(login.json().value("token", ""))});
    EXPECT_EQ(feed.status, 200) << feed.body;
    std::vector<std::string> ids;
    const Json page = feed.json();  // keep it alive while iterating
    for (const Json& item : page["items"]) ids.push_back(item["id"]);
    return ids;
  }

  TestUser ann_, ben_;
  std::string post_id_, last_token_;
};

TEST_P(LensctlE2E, StatusShowsEveryProjectionBesideARunningNode) {
  MakeHistory();
  // Let the read models catch up, then ask lensctl (the node keeps running).
  ASSERT_EQ(http().Get("/api/v1/posts/" + post_id_, {Bearer(ann_.token), {"Consistency-Token", last_token_}}).status,
            200);
  CtlRun r = Lensctl("status --json --data-dir " + dir_.Sub("node"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  Json status = Json::parse(r.out, nullptr, false);
  ASSERT_FALSE(status.is_discarded()) << r.out;
  EXPECT_EQ(status["partitions"], kPartitions);
  std::set<std::string> names;
  for (const Json& p : status["projections"]) {
    names.insert(p["name"].get<std::string>());
    ASSERT_EQ(p["partitions"].size(), kPartitions);
    uint64_t ends = 0;
    for (const Json& q : p["partitions"]) ends += q["end"].get<uint64_t>();
    EXPECT_EQ(static_cast<long>(ends), EventCount());
  }
  EXPECT_EQ(names, (std::set<std::string>{"accounts", "decision", "messages", "notifications",
                                          "search", "social"}));
  CtlRun human = Lensctl("status --data-dir " + dir_.Sub("node"));
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_NE(human.out.find("social"), std::string::npos) << human.out;
}

TEST_P(LensctlE2E, TailPrintsDecodedEventsWithFilters) {
  MakeHistory();
  CtlRun all = Lensctl("tail --from-beginning --data-dir " + dir_.Sub("node"));
  ASSERT_EQ(all.exit_code, 0);
  std::vector<Json> events = JsonLines(all.out);
  EXPECT_EQ(static_cast<long>(events.size()), EventCount());
  for (const Json& e : events) {
    ASSERT_FALSE(e.is_discarded()) << all.out;
    EXPECT_TRUE(e.contains("type") && e.contains("position") && e.contains("data"));
  }
  EXPECT_EQ(all.out.find(ann_.password), std::string::npos) << "a password in clear";

  CtlRun registered = Lensctl("tail --from-beginning --type AccountRegistered --data-dir " + dir_.Sub("node"));
  EXPECT_EQ(JsonLines(registered.out).size(), 3u);
  CtlRun by_actor = Lensctl("tail --from-beginning --actor " + ann_.id + " --type PostCreated --data-dir " +
                         dir_.Sub("node"));
  std::vector<Json> posts = JsonLines(by_actor.out);
  ASSERT_EQ(posts.size(), 1u) << by_actor.out;
  EXPECT_EQ(posts[0]["data"]["post_id"], post_id_);
  CtlRun limited = Lensctl("tail --from-beginning --limit 2 --data-dir " + dir_.Sub("node"));
  EXPECT_EQ(JsonLines(limited.out).size(), 2u);
  // From the end without --follow: nothing yet to print.
  CtlRun from_end = Lensctl("tail --data-dir " + dir_.Sub("node"));
  EXPECT_EQ(from_end.exit_code, 0);
  EXPECT_TRUE(from_end.out.empty()) << from_end.out;
}

TEST_P(LensctlE2E, ExportThenImportMovesTheHistoryToAFreshNode) {
  MakeHistory();
  const std::string file = dir_.Sub("events.jsonl");
  CtlRun exported = Lensctl("events export --data-dir " + dir_.Sub("node") + " --output " + file);
  ASSERT_EQ(exported.exit_code, 0);
  std::vector<std::string> before = BenFeed(lens_->port());
  ASSERT_EQ(before, std::vector<std::string>{post_id_});
  lens_->Stop();

  // Into a fresh embedded log.
  CtlRun imported = Lensctl("events import --partitions 4 --data-dir " + dir_.Sub("copy") + " --input " + file);
  ASSERT_EQ(imported.exit_code, 0);
  auto copy = LensProcess::Start({.data_dir = dir_.Sub("copy"), .args = {"--partitions", "4", "--no-access-log"}});
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(BenFeed((*copy)->port()), before);
  // A second import into the now non-empty log is refused.
  (*copy)->Stop();
  EXPECT_EQ(Lensctl("events import --data-dir " + dir_.Sub("copy") + " --input " + file).exit_code, 1);

  // And into Kafka: the same history served from a broker.
  auto broker = MockKafka::Start({{"lens.events", 4}});
  ASSERT_TRUE(broker.ok()) << broker.status();
  const std::string spec = "kafka://" + (*broker)->bootstrap();
  ASSERT_EQ(Lensctl("events import --log " + spec + " --partitions 4 --input " + file).exit_code, 0);
  auto on_kafka = LensProcess::Start(
      {.data_dir = dir_.Sub("kafka-node"), .args = {"--partitions", "4", "--no-access-log", "--log", spec}});
  ASSERT_TRUE(on_kafka.ok()) << on_kafka.status();
  EXPECT_EQ(BenFeed((*on_kafka)->port()), before);
}

TEST_P(LensctlE2E, VerifyFindsADifferencePlantedInAStore) {
  MakeHistory();
  ASSERT_EQ(http().Get("/api/v1/posts/" + post_id_, {Bearer(ann_.token), {"Consistency-Token", last_token_}}).status,
            200);
  // Beside the running node: rebuilt and serving models agree.
  CtlRun clean = Lensctl("verify --data-dir " + dir_.Sub("node"));
  EXPECT_EQ(clean.exit_code, 0) << clean.out;
  EXPECT_TRUE(clean.out.empty()) << clean.out;

  // Plant a wrong like count into the serving store (node stopped).
  lens_->Stop();
  {
    auto store = Store::Open({.path = dir_.Sub("node") + "/readmodels/social",
                              .column_families = SocialProjection().column_families()});
    ASSERT_TRUE(store.ok()) << store.status();
    uint64_t post = std::stoull(post_id_);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    ASSERT_TRUE((*store)
                    ->db()
                    ->Merge(wo, (*store)->cf(social_model::kPostCounters),
                            social_model::Counter(post, "l"), EncodeCounter(1))
                    .ok());
  }
  CtlRun planted = Lensctl("verify --data-dir " + dir_.Sub("node"));
  EXPECT_EQ(planted.exit_code, 1);
  EXPECT_NE(planted.out.find("social post_counters " + post_id_ + "/l"), std::string::npos) << planted.out;
  EXPECT_NE(planted.out.find("1 (as counter)"), std::string::npos) << planted.out;
  EXPECT_EQ(Lensctl("verify --projection accounts --data-dir " + dir_.Sub("node")).exit_code, 0);
  EXPECT_EQ(Lensctl("verify --projection nope --data-dir " + dir_.Sub("node")).exit_code, 2);
}

TEST_P(LensctlE2E, BackupWipeRestoreGivesTheSameAnswers) {
  MakeHistory();
  std::vector<std::string> before = BenFeed(lens_->port());
  ASSERT_EQ(before, std::vector<std::string>{post_id_});
  HttpResult profile = http().Get("/api/v1/accounts/" + ann_.id, {Bearer(ann_.token)});
  ASSERT_EQ(profile.status, 200);

  // A running node takes the backup itself, while it serves; and the
  // offline path copies a stopped one. Both restore to the same answers.
  CtlRun live = Lensctl("backup --data-dir " + dir_.Sub("node") + " --output " + dir_.Sub("backup"), true);
  ASSERT_EQ(live.exit_code, 0) << live.out;
  EXPECT_NE(live.out.find("of the running node"), std::string::npos) << live.out;
  EXPECT_EQ(Lensctl("backup --data-dir " + dir_.Sub("node") + " --output " + dir_.Sub("backup")).exit_code, 1)
      << "a backup never overwrites another";
  // Written after the backup: lost with the wipe, so the restored node must
  // not show it.
  HttpResult later = http().Post("/api/v1/posts", R"({"caption":"after the backup"})", {Bearer(ann_.token)});
  ASSERT_EQ(later.status, 201);
  lens_->Stop();
  ASSERT_EQ(Lensctl("backup --data-dir " + dir_.Sub("node") + " --output " + dir_.Sub("offline")).exit_code, 0);

  std::filesystem::remove_all(dir_.Sub("node"));
  // Restoring over existing data is refused.
  std::filesystem::create_directories(dir_.Sub("busy"));
  std::ofstream(dir_.Sub("busy") + "/something") << "x";
  EXPECT_EQ(Lensctl("restore --input " + dir_.Sub("backup") + " --data-dir " + dir_.Sub("busy")).exit_code, 1);
  ASSERT_EQ(Lensctl("restore --input " + dir_.Sub("backup") + " --data-dir " + dir_.Sub("node")).exit_code, 0);

  StartLens();
  // The old token still works: the key came back with the backup.
  HttpResult again = http().Get("/api/v1/accounts/" + ann_.id, {Bearer(ann_.token)});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json(), profile.json());
  EXPECT_EQ(BenFeed(lens_->port()), before);
  EXPECT_EQ(Lensctl("verify --data-dir " + dir_.Sub("node")).exit_code, 0);

  // The offline backup holds the later post too.
  lens_->Stop();
  std::filesystem::remove_all(dir_.Sub("node"));
  ASSERT_EQ(Lensctl("restore --input " + dir_.Sub("offline") + " --data-dir " + dir_.Sub("node")).exit_code, 0);
  StartLens();
  std::vector<std::string> with_later = BenFeed(lens_->port());
  ASSERT_EQ(with_later.size(), 2u);
  EXPECT_EQ(with_later[0], later.json().value("id", ""));
}

TEST_P(LensctlE2E, BadInputIsRefusedWithAReasonAndAnExitCode) {
  const std::string bad = dir_.Sub("bad.jsonl");
  std::ofstream(bad) << R"({"id":"1","type":"X","v":1,"key":"k","ts":"2026-11-20T10:15:30.123Z","data":{}})"
                     << "\nnot json\n";
  EXPECT_EQ(Lensctl("events import --partitions 4 --data-dir " + dir_.Sub("bad") + " --input " + bad).exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("bad") + "/log/CURRENT")) << "nothing written on a bad line";
  EXPECT_EQ(Lensctl("bogus").exit_code, 2);
  EXPECT_EQ(Lensctl("tail --nope").exit_code, 2);
  EXPECT_EQ(Lensctl("").exit_code, 2);
  EXPECT_EQ(Lensctl("status --data-dir " + dir_.Sub("nothing-here")).exit_code, 1);
  EXPECT_EQ(Lensctl("restore --input " + dir_.Sub("not-a-backup") + " --data-dir " + dir_.Sub("x")).exit_code, 1);
  EXPECT_EQ(Lensctl("backup --data-dir " + dir_.Sub("node")).exit_code, 2) << "--output is required";
  for (const char* cmd : {"status", "tail", "events export", "events import", "verify", "backup", "restore"}) {
    CtlRun help = Lensctl(std::string(cmd) + " --help");
    EXPECT_EQ(help.exit_code, 0) << cmd;
    EXPECT_NE(help.out.find("usage: lensctl"), std::string::npos) << cmd;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, LensctlE2E, ::testing::Values("embedded"), BackendName);

}  // namespace
}  // namespace lens::testing
