// Fan-out: how long the social projection takes to write one post into the
// home feeds of an author's N followers (fan-out on write), measured by
// applying a real log: N UserFollowed events, then one PostCreated, into a
// fresh store (a steady-state fan-out, into feeds that miss the CPU's and
// the block cache, is slower: see bench/README.md).
//
//   build/bench/fanout_bench [followers=100000]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "eventlog/embedded_event_log.h"
#include "events/event_codec.h"
#include "events/social_events.h"
#include "projections/social_projection.h"
#include "projector/projector_runner.h"
#include "readmodels/social_model.h"

using namespace lens;

int main(int argc, char** argv) {
  const uint64_t followers = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
  std::string dir =
      std::filesystem::temp_directory_path() / ("lens-fanout-" + std::to_string(getpid()));
  auto log = OpenEmbeddedEventLog({.dir = dir + "/log", .partitions = 8, .sync = false});
  if (!log.ok()) return 1;
  const uint64_t author = 1;
  uint64_t next_id = 1000;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  auto make = [&](std::string_view type, std::string key, Json data) {
    Event e;
    e.id = EventId(next_id++);
    e.type = std::string(type);
    e.key = std::move(key);
    // Now, not a fixed past date: a post older than the live streams'
    // retention writes no stream entries, and every live post does.
    e.ts_ms = now_ms;
    e.data = std::move(data);
    return LogRecord{e.key, EncodeEvent(e)};
  };
  std::vector<LogRecord> batch;
  for (uint64_t f = 0; f < followers; ++f) {
    batch.push_back(make(kUserFollowed, UserKey(UserId(author)),
                         FollowEdge{UserId(100 + f), UserId(author)}.ToJson()));
    if (batch.size() == 10000) {
      if (!(*log)->Append(std::move(batch)).ok()) return 2;
      batch.clear();
    }
  }
  if (!batch.empty() && !(*log)->Append(std::move(batch)).ok()) return 2;

  SocialProjection projection({.feed_cap = 800, .celebrity_threshold = 1LL << 40});
  auto store =
      Store::Open({.path = dir + "/social", .column_families = projection.column_families()});
  if (!store.ok()) return 3;
  ProjectorRunner runner(log->get(), store->get(), &projection, nullptr);
  if (!runner.Start().ok()) return 4;
  auto wait_applied = [&](uint64_t total) {
    for (;;) {
      uint64_t sum = 0;
      for (uint64_t a : runner.applied()) sum += a;
      if (sum >= total) return;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  };
  auto t0 = std::chrono::steady_clock::now();
  wait_applied(followers);
  double follow_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  PostContent post;
  post.post_id = PostId(1ull << 40);
  post.author_id = UserId(author);
  post.caption = "hello";
  auto t1 = std::chrono::steady_clock::now();
  if (!(*log)->Append({make(kPostCreated, PostKey(post.post_id), post.ToJson())}).ok()) return 5;
  wait_applied(followers + 1);
  double fanout_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  runner.Stop();

  // Check: the last follower's feed holds the post.
  StoreSlot slot(std::shared_ptr<Store>(store->get(), [](Store*) {}));  // not owned
  SocialReader reader(&slot);
  auto page = reader.FeedPage(100 + followers - 1, ~uint64_t{0}, 1);
  bool ok = page.ok() && page->posts.size() == 1 && page->posts[0].id == post.post_id.value();
  std::fprintf(stderr, "followers=%llu follow_events_per_s=%.0f fanout_seconds=%.3f feeds_hold_post=%s\n",
               static_cast<unsigned long long>(followers), followers / follow_s, fanout_s,
               ok ? "yes" : "NO");
  // The line bench/run collects (the shape lens_bench and peer_bench print).
  std::printf("{\"system\":\"lens-embedded\",\"metric\":\"fanout_100k\",\"value\":%.4f,"
              "\"unit\":\"s\",\"followers\":%llu,\"follow_events_per_s\":%.0f}\n",
              fanout_s, static_cast<unsigned long long>(followers), followers / follow_s);
  store->reset();
  log->reset();
  std::filesystem::remove_all(dir);
  return ok ? 0 : 6;
}
