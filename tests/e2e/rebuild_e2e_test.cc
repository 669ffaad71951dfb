// lensctl rebuild against a real node: read models rebuilt from offset 0
// while the node serves, swapped in atomically; a rebuild paused by Ctrl-C
// or cut by a SIGKILL of the node resumes; an idle data directory rebuilds
// offline; the admin API refuses what it must.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "tests/e2e/lens_fixture.h"
#include "tests/e2e/lensctl_run.h"

namespace lens::testing {
namespace {

class RebuildE2E : public LensFixture {
 protected:
  std::string DataDir() { return dir_.Sub("node"); }
  // Where lensctl finds the log when it works without the node.
  std::string LogFlags() {
    return kafka() ? " --log kafka://" + broker_->bootstrap() + " --partitions " + std::to_string(kPartitions)
                   : "";
  }

  // 30 users who follow each other at random, post, like and comment:
  // about 1,300 events.
  void MakeHistory() {
    std::mt19937 rng(7);
    for (int i = 0; i < 30; ++i) users_.push_back(CreateUser("user" + std::to_string(i)));
    for (const TestUser& u : users_)
      for (int k = 0; k < 8; ++k) {
        const TestUser& v = users_[rng() % users_.size()];
        if (v.id == u.id) continue;
        http().Post("/api/v1/accounts/" + v.id + "/follow", "", {Bearer(u.token)});
      }
    std::vector<std::string> posts;
    for (int round = 0; round < 10; ++round)
      for (const TestUser& u : users_) {
        // Captions and tags for the search read model to index.
        HttpResult p = http().Post(
            "/api/v1/posts",
            Json{{"caption", "round " + std::to_string(round) + " #tag" + std::to_string(round % 3)}}
                .dump(),
            {Bearer(u.token)});
        ASSERT_EQ(p.status, 201) << p.body;
        posts.push_back(p.json()["id"]);
      }
    for (int i = 0; i < 500; ++i) {
      const TestUser& u = users_[rng() % users_.size()];
      const std::string& post = posts[rng() % posts.size()];
      if (i % 3 == 0)
        http().Post("/api/v1/posts/" + post + "/comments", Json{{"text", "nice"}}.dump(), {Bearer(u.token)});
      else
        http().Post("/api/v1/posts/" + post + "/like", "", {Bearer(u.token)});
    }
    events_ = EventCount();
    WaitCaughtUp();
  }

  void WaitCaughtUp() {
    for (int i = 0; i < 200; ++i) {
      HttpResult ready = http().Get("/readyz");
      bool caught_up = ready.status == 200;
      const Json body = ready.json();
      if (caught_up && body.contains("projections"))
        for (const Json& p : body["projections"]) caught_up = caught_up && p.value("lag", 1) == 0;
      if (caught_up) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "the read models did not catch up";
  }

  // What each user sees: their profile, feed, followers and first posts,
  // and a few searches.
  std::map<std::string, std::string> Answers(HttpClient& c) {
    std::map<std::string, std::string> out;
    for (const TestUser& u : users_) {
      for (const std::string& target :
           {"/api/v1/accounts/" + u.id, std::string("/api/v1/feed?limit=20"),
            "/api/v1/accounts/" + u.id + "/followers", "/api/v1/accounts/" + u.id + "/posts",
            // Newest first: relevance scores move with every post the writer adds.
            std::string("/api/v1/search/posts?q=round%207%20tag1&sort=recent"),
            std::string("/api/v1/search/accounts?q=user1"),
            std::string("/api/v1/hashtags/tag2/posts"),
            std::string("/api/v1/search/hashtags?q=ta")}) {
        HttpResult r = c.Get(target, {Bearer(u.token)});
        out[u.username + " " + target] = std::to_string(r.status) + " " + r.body;
      }
    }
    return out;
  }

  Json Status() {
    CtlRun r = Lensctl("status --json --data-dir " + DataDir() + LogFlags());
    EXPECT_EQ(r.exit_code, 0) << r.out;
    Json j = Json::parse(r.out, nullptr, false);
    Json out = Json::object();
    if (j.is_object())
      for (const Json& p : j["projections"]) out[p["name"].get<std::string>()] = p;
    return out;
  }

  std::vector<TestUser> users_;
  long events_ = 0;
};

TEST_P(RebuildE2E, RebuildWhileServingNeverFailsAQueryAndSwapsAtomically) {
  MakeHistory();
  ASSERT_GT(events_, 1000);
  const std::map<std::string, std::string> before = Answers(http());
  for (const auto& [what, answer] : before) ASSERT_EQ(answer.substr(0, 4), "200 ") << what << answer;

  // About three seconds of rebuild, both read models at once.
  const long rate = events_ / 3;
  std::atomic<bool> done{false};
  CtlRun ctl;
  std::thread rebuild([&] {
    ctl = Lensctl("rebuild all --max-rate " + std::to_string(rate) + " --data-dir " + DataDir(), true);
    done.store(true);
  });

  // Readers compare every answer with the one before the rebuild; a writer
  // (whom nobody follows, so the others' answers stay put) posts and reads
  // its own post back with the Consistency-Token, across the swap.
  std::atomic<long> queries{0}, wrong{0}, writes{0};
  std::mutex mu;
  std::string first_wrong;
  TestUser writer = CreateUser("writer");
  auto reader = [&] {
    HttpClient c(lens_->port());
    while (!done.load()) {
      for (const auto& [what, answer] : Answers(c)) {
        ++queries;
        if (answer != before.at(what)) {
          ++wrong;
          std::lock_guard<std::mutex> lock(mu);
          if (first_wrong.empty()) first_wrong = what + " -> " + answer;
        }
      }
    }
  };
  std::thread r1(reader), r2(reader);
  std::thread w([&] {
    HttpClient c(lens_->port());
    while (!done.load()) {
      HttpResult p = c.Post("/api/v1/posts", R"({"caption":"during the rebuild"})", {Bearer(writer.token)});
      if (p.status != 201) {
        ++wrong;
        continue;
      }
      HttpResult g = c.Get("/api/v1/posts/" + p.json().value("id", ""),
                           {Bearer(writer.token), {"Consistency-Token", p.header("consistency-token")}});
      if (g.status != 200) {
        ++wrong;
        std::lock_guard<std::mutex> lock(mu);
        if (first_wrong.empty()) first_wrong = "own post after write: " + g.body;
      }
      ++writes;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // well below the rebuild's cap
    }
  });
  rebuild.join();
  r1.join();
  r2.join();
  w.join();

  ASSERT_EQ(ctl.exit_code, 0) << ctl.out;
  EXPECT_NE(ctl.out.find("accounts: rebuilt as generation 1"), std::string::npos) << ctl.out;
  EXPECT_NE(ctl.out.find("social: rebuilt as generation 1"), std::string::npos) << ctl.out;
  // Not a terminal: plain progress lines with events/s.
  EXPECT_NE(ctl.out.find("events/s"), std::string::npos) << ctl.out;
  EXPECT_EQ(wrong.load(), 0) << first_wrong;
  EXPECT_GT(queries.load(), 200);
  EXPECT_GT(writes.load(), 5);

  // The new generations serve; the old ones are gone.
  Json status = Status();
  EXPECT_EQ(status["social"]["generation"], 1);
  EXPECT_EQ(status["accounts"]["generation"], 1);
  EXPECT_EQ(status["social"]["rebuild"]["state"], "done");
  EXPECT_FALSE(std::filesystem::exists(DataDir() + "/readmodels/social"));
  EXPECT_TRUE(std::filesystem::exists(DataDir() + "/readmodels/social.g1/CURRENT"));
  // They are exact: same answers, and verify agrees with a rebuild.
  WaitCaughtUp();
  EXPECT_EQ(Answers(http()), before);
  CtlRun verify = Lensctl("verify --data-dir " + DataDir() + LogFlags(), true);
  EXPECT_EQ(verify.exit_code, 0) << verify.out;

  // Metrics: events/s per projection; the swapped-in runner kept counting.
  HttpResult metrics = http().Get("/metrics");
  EXPECT_NE(metrics.body.find("lens_projector_events_per_second{projection=\"social\"}"), std::string::npos);
  EXPECT_NE(metrics.body.find("lens_projector_events_applied_total{projection=\"social\"}"), std::string::npos);

  // A restart serves the rebuilt generation.
  StartLens();
  EXPECT_EQ(Answers(http()), before);
}

TEST_P(RebuildE2E, APausedOrKilledRebuildResumesAndTheOldModelServesMeanwhile) {
  MakeHistory();
  const std::map<std::string, std::string> before = Answers(http());
  const long slow = std::max<long>(events_ / 10, 1);  // ~10 s for the whole log

  // Start on the node and come back at once.
  CtlRun started = Lensctl("rebuild social --detach --max-rate " + std::to_string(slow) +
                           " --data-dir " + DataDir(), true);
  ASSERT_EQ(started.exit_code, 0) << started.out;
  EXPECT_EQ(Lensctl("rebuild social --detach --data-dir " + DataDir(), true).exit_code, 0)
      << "a second start follows the running one";
  uint64_t applied = 0;
  for (int i = 0; i < 100 && applied < 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Json s = Status();
    EXPECT_EQ(s["social"]["rebuild"]["state"], "running");
    applied = s["social"]["rebuild"].value("applied", uint64_t{0});
  }
  ASSERT_GE(applied, 200u);

  // SIGKILL mid-rebuild: the old generation serves at the restart, the
  // rebuild is reported paused where it stood.
  lens_->Kill();
  StartLens();
  EXPECT_EQ(Answers(http()), before);
  Json s = Status();
  EXPECT_EQ(s["social"]["generation"], 0);
  EXPECT_EQ(s["social"]["rebuild"]["state"], "paused");
  EXPECT_GE(s["social"]["rebuild"].value("applied", uint64_t{0}), 200u);
  EXPECT_NE(http().Get("/metrics").body.find(
                "lens_rebuild_progress_ratio{projection=\"social\",state=\"paused\"}"),
            std::string::npos);

  // Ctrl-C pauses a foreground rebuild; it stays on disk.
  CtlRun interrupted = Lensctl("rebuild social --max-rate " + std::to_string(slow) + " --data-dir " +
                               DataDir() + " 2>&1 & sleep 1; kill -INT $!; wait $!");
  EXPECT_EQ(interrupted.exit_code, 130) << interrupted.out;
  EXPECT_NE(interrupted.out.find("paused; run `lensctl rebuild social"), std::string::npos) << interrupted.out;
  EXPECT_EQ(Status()["social"]["rebuild"]["state"], "paused");
  EXPECT_EQ(Answers(http()), before);

  // Resumed from its checkpoint, not from offset 0.
  CtlRun resumed = Lensctl("rebuild social --data-dir " + DataDir(), true);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out;
  EXPECT_NE(resumed.out.find("social: rebuilt as generation 1"), std::string::npos) << resumed.out;
  {
    std::ifstream log(lens_->stderr_path());
    std::string line, last_start;
    while (std::getline(log, line))
      if (line.find("rebuild started") != std::string::npos) last_start = line;
    Json entry = Json::parse(last_start, nullptr, false);
    ASSERT_TRUE(entry.is_object()) << last_start;
    EXPECT_GE(std::stoul(entry.value("resumed_at", "0")), 200u) << last_start;
  }
  WaitCaughtUp();
  EXPECT_EQ(Answers(http()), before);
  EXPECT_EQ(Lensctl("verify --data-dir " + DataDir() + LogFlags()).exit_code, 0);

  // With the node stopped, lensctl rebuilds the idle directory itself, and
  // the node serves the result.
  lens_->Stop();
  CtlRun offline = Lensctl("rebuild all --data-dir " + DataDir() + LogFlags(), true);
  ASSERT_EQ(offline.exit_code, 0) << offline.out;
  EXPECT_NE(offline.out.find("no node running"), std::string::npos) << offline.out;
  EXPECT_NE(offline.out.find("social: rebuilt as generation 2"), std::string::npos) << offline.out;
  EXPECT_NE(offline.out.find("accounts: rebuilt as generation 1"), std::string::npos) << offline.out;
  StartLens();
  EXPECT_EQ(Answers(http()), before);
  EXPECT_EQ(Lensctl("verify --data-dir " + DataDir() + LogFlags()).exit_code, 0);

  // --restart discards a paused rebuild and starts again from offset 0;
  // --discard deletes one.
  ASSERT_EQ(Lensctl("rebuild social --detach --max-rate 50 --data-dir " + DataDir()).exit_code, 0);
  ASSERT_EQ(Lensctl("rebuild social --pause --data-dir " + DataDir()).exit_code, 0);
  EXPECT_EQ(Status()["social"]["rebuild"]["state"], "paused");
  EXPECT_TRUE(std::filesystem::exists(DataDir() + "/readmodels/social.g3"));
  CtlRun discard = Lensctl("rebuild social --discard --data-dir " + DataDir(), true);
  EXPECT_EQ(discard.exit_code, 0) << discard.out;
  EXPECT_FALSE(std::filesystem::exists(DataDir() + "/readmodels/social.g3"));
  EXPECT_EQ(Status()["social"]["rebuild"]["state"], "none");
  EXPECT_EQ(Answers(http()), before);
}

TEST_P(RebuildE2E, BadRequestsAreRefusedAndChangeNothing) {
  CtlRun unknown = Lensctl("rebuild feeds --data-dir " + DataDir(), true);
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.out.find("valid: accounts, social, notifications, messages, search, all"), std::string::npos) << unknown.out;
  EXPECT_EQ(Lensctl("rebuild decision --data-dir " + DataDir()).exit_code, 2);
  EXPECT_EQ(Lensctl("rebuild --data-dir " + DataDir()).exit_code, 2);
  EXPECT_EQ(Lensctl("rebuild social --pause --discard --data-dir " + DataDir()).exit_code, 2);
  EXPECT_EQ(Lensctl("rebuild social --node http://127.0.0.1:1 --data-dir " + DataDir()).exit_code, 1);
  EXPECT_EQ(Lensctl("rebuild social --discard --data-dir " + DataDir()).exit_code, 1) << "nothing to discard";
  for (const char* cmd : {"rebuild", "replay"}) {
    CtlRun help = Lensctl(std::string(cmd) + " --help");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("usage: lensctl rebuild"), std::string::npos);
  }

  // The admin API wants the node's key.
  std::ifstream key_file(DataDir() + "/secrets/admin.key", std::ios::binary);
  std::stringstream raw;
  raw << key_file.rdbuf();
  std::string key;
  for (unsigned char c : raw.str()) {
    static constexpr char kHex[] = "0123456789abcdef";
    key += kHex[c >> 4];
    key += kHex[c & 15];
  }
  ASSERT_EQ(key.size(), 64u);
  const std::string start = R"({"projection":"social"})";
  EXPECT_EQ(http().Post("/admin/v1/rebuilds", start).status, 401);
  EXPECT_EQ(http().Post("/admin/v1/rebuilds", start, {{"Authorization", "Bearer " + std::string(64, '0')}}).status, 401);
  EXPECT_EQ(http().Get("/admin/v1/status", {{"Authorization", "Bearer " + key.substr(1)}}).status, 401);
  const Headers admin = {{"Authorization", "Bearer " + key}};
  EXPECT_EQ(http().Post("/admin/v1/rebuilds", "{not json", admin).status, 400);
  EXPECT_EQ(http().Post("/admin/v1/rebuilds", R"({"projection":5})", admin).status, 422);
  EXPECT_EQ(http().Post("/admin/v1/rebuilds", R"({"projection":"social","extra":1})", admin).status, 422);
  EXPECT_EQ(http().Post("/admin/v1/rebuilds", R"({"projection":"social","max_events_per_second":-1})", admin).status,
            422);
  HttpResult nope = http().Post("/admin/v1/rebuilds", R"({"projection":"nope"})", admin);
  EXPECT_EQ(nope.status, 404);
  EXPECT_NE(nope.body.find("valid: accounts, social, notifications, messages, search, all"), std::string::npos) << nope.body;
  EXPECT_EQ(http().Request("DELETE", "/admin/v1/rebuilds/social", "", admin).status, 404);
  // Nothing was started by any of it.
  HttpResult status = http().Get("/admin/v1/status", admin);
  ASSERT_EQ(status.status, 200) << status.body;
  const Json body = status.json();
  for (const Json& p : body["projections"])
    if (p.contains("rebuild")) {
      EXPECT_EQ(p["rebuild"]["state"], "none") << p.dump();
    }
  EXPECT_FALSE(std::filesystem::exists(DataDir() + "/readmodels/social.g1"));
  EXPECT_EQ(http().Get("/healthz").status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, RebuildE2E, ::testing::Values("embedded", "kafka"), BackendName);

}  // namespace
}  // namespace lens::testing
