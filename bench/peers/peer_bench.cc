// peer_bench: the bench/ workload against the designs a user would pick
// instead of lens, on the same machine and the same workload as lens_bench:
//
//   postgres        PostgreSQL 15, the classic relational schema
//                   (pg_schema.h), the home feed pulled with a join
//   postgres-redis  the same, plus fan-out on write of post ids into
//                   per-user Redis timelines (redis_timelines.h)
//
//   peer_bench --system postgres|postgres-redis --pg CONNINFO [--redis HOST:PORT]
//              [--scale F] [--seed N] [--connections C] [--duration-seconds D]
//
// The load generator drives the databases directly: each load thread plays
// one app-server worker (PeerApp) with its own PostgreSQL and Redis
// connections, and there is no HTTP layer in between. That favours the
// peers: lens_bench pays for HTTP, JSON and bearer-token checks on every
// request, peer_bench for none of them. Start the servers with
// start_peers.sh (PostgreSQL durable: fsync and synchronous_commit on).
//
// Measures, in this order, and prints one JSON line per figure on stdout:
//   ingest        the set-up's follows, posts, likes and comments, each
//                 command its own transaction, over C connections, phase by
//                 phase (registrations are loaded first and not counted, as
//                 in lens_bench)
//   feed_reads    home-feed pages of 20 hydrated items over C-1 connections,
//                 with the workload's write mix running on one more
//   mixed_writes  the commands/s of that writer
//   fanout_100k   postgres-redis: one post pushed to 100,000 (synthetic)
//                 followers' timelines, as lens's fanout_bench
//   feed_curve    feed reads alone at 1..64 connections: pages/s, p50, p99
//   fanout_top    a post by the most-followed user until every follower's
//                 feed would show it: the commit for the pull design, the
//                 commit plus the fan-out to every follower's Redis timeline
//                 for the other
//   freshness     a post's acknowledgement until a follower's feed shows it
//                 (the acknowledgement of postgres-redis comes after the
//                 fan-out, which the app does synchronously)
//   rss_mb        the servers' memory (Pss, see process_memory.h)
// Progress goes to stderr. Exits 3 if any command failed.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "bench/latency.h"
#include "bench/peers/peer_app.h"
#include "bench/peers/process_memory.h"
#include "bench/workload/workload.h"
#include "nlohmann/json.hpp"

using namespace lens::bench;
using namespace lens::bench::peers;
using Json = nlohmann::ordered_json;  // keys in the order written
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  std::string system;
  std::string pg;     // libpq connection string
  std::string redis;  // host:port, postgres-redis only
  double scale = 0.1;
  uint64_t seed = 42;
  int connections = 16;
  int duration_seconds = 20;
};

constexpr const char* kUsage =
    "usage: peer_bench --system postgres|postgres-redis --pg CONNINFO [--redis HOST:PORT]\n"
    "                  [--scale F] [--seed N] [--connections C] [--duration-seconds D]\n";

void Emit(const Args& a, const std::string& metric, double value, const std::string& unit,
          const Json& extra = Json::object()) {
  Json j{{"system", a.system}, {"metric", metric}, {"value", value}, {"unit", unit}};
  for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  j["scale"] = a.scale;
  std::printf("%s\n", j.dump().c_str());
  std::fflush(stdout);
}

// Counts failed commands and shows the first few.
class Errors {
 public:
  void Note(const absl::Status& s) {
    if (s.ok()) return;
    if (count_.fetch_add(1) < 10) std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
  }
  uint64_t count() const { return count_.load(); }

 private:
  std::atomic<uint64_t> count_{0};
};

// Runs work(0) .. work(n-1), each on a thread of its own.
void RunThreads(int n, const std::function<void(int)>& work) {
  std::vector<std::thread> pool;
  for (int t = 0; t < n; ++t) pool.emplace_back(work, t);
  for (std::thread& th : pool) th.join();
}

// The ids the peer's database gave the workload's users and posts.
struct Ids {
  std::vector<int64_t> user, post;
};

// Checks a few home feeds against the workload right after the set-up:
// a full page whenever the viewer and their followees have posted 20 times,
// every author one the viewer follows (or the viewer), and the like and
// comment counters equal to the set-up's. Returns the mismatches.
uint64_t CheckFeeds(const Workload& w, const Ids& ids, PeerApp& app, uint64_t seed) {
  std::vector<std::vector<uint32_t>> followees(w.users());
  for (const FollowOp& f : w.follows()) followees[f.follower].push_back(f.followee);
  std::vector<uint32_t> posts_by(w.users(), 0), likes(w.posts().size(), 0),
      comments(w.posts().size(), 0);
  for (const PostOp& p : w.posts()) ++posts_by[p.author];
  for (const EngageOp& e : w.engagements()) ++(e.comment ? comments : likes)[e.post];
  std::unordered_map<int64_t, uint32_t> post_index;
  for (uint32_t i = 0; i < ids.post.size(); ++i) post_index[ids.post[i]] = i;

  std::mt19937_64 rng(seed + 2);
  uint64_t bad = 0, items = 0;
  const int kViewers = 20;
  for (int n = 0; n < kViewers; ++n) {
    const uint32_t viewer = w.AnyUser(rng);
    uint64_t available = posts_by[viewer];
    std::vector<bool> readable(w.users(), false);
    readable[viewer] = true;
    for (uint32_t f : followees[viewer]) available += posts_by[f], readable[f] = true;
    absl::StatusOr<std::vector<FeedItem>> page = app.Feed(ids.user[viewer]);
    if (!page.ok()) {
      std::fprintf(stderr, "check: feed of user%u: %s\n", viewer, page.status().ToString().c_str());
      ++bad;
      continue;
    }
    items += page->size();
    if (page->size() != std::min<uint64_t>(PeerApp::kPageSize, available)) {
      std::fprintf(
          stderr, "check: user%u's feed has %zu items, expected %llu\n", viewer, page->size(),
          static_cast<unsigned long long>(std::min<uint64_t>(PeerApp::kPageSize, available)));
      ++bad;
    }
    for (const FeedItem& it : *page) {
      auto found = post_index.find(it.id);
      if (found == post_index.end()) {
        std::fprintf(stderr, "check: user%u's feed names post %lld, which the set-up did not create\n",
                     viewer, static_cast<long long>(it.id));
        ++bad;
        continue;
      }
      const uint32_t i = found->second;
      const uint32_t author = w.posts()[i].author;
      if (!readable[author] || it.author != Workload::Username(author) ||
          it.caption != w.posts()[i].caption || it.like_count != likes[i] ||
          it.comment_count != comments[i]) {
        std::fprintf(stderr, "check: user%u's feed item %lld (post %u) does not match the workload\n",
                     viewer, static_cast<long long>(it.id), i);
        ++bad;
      }
    }
  }
  std::fprintf(stderr, "check: %d feeds, %.1f items per page, %llu mismatches\n", kViewers,
               static_cast<double>(items) / kViewers, static_cast<unsigned long long>(bad));
  return bad;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string f = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (f == "--system")
      a.system = next();
    else if (f == "--pg")
      a.pg = next();
    else if (f == "--redis")
      a.redis = next();
    else if (f == "--scale")
      a.scale = std::atof(next().c_str());
    else if (f == "--seed")
      a.seed = std::strtoull(next().c_str(), nullptr, 10);
    else if (f == "--connections")
      a.connections = std::atoi(next().c_str());
    else if (f == "--duration-seconds")
      a.duration_seconds = std::atoi(next().c_str());
    else
      return std::fprintf(stderr, "%s", kUsage), 2;
  }
  const bool with_redis = a.system == "postgres-redis";
  if ((a.system != "postgres" && !with_redis) || a.pg.empty() || (with_redis && a.redis.empty()) ||
      a.scale <= 0 || a.connections < 2 || a.duration_seconds < 1)
    return std::fprintf(stderr, "%s", kUsage), 2;
  const PeerSystem system = with_redis ? PeerSystem::kPostgresRedis : PeerSystem::kPostgres;
  const int C = a.connections;

  const Workload w({.seed = a.seed, .scale = a.scale});
  std::fprintf(stderr, "workload: %u users, %zu follows, %zu posts, %zu likes+comments\n",
               w.users(), w.follows().size(), w.posts().size(), w.engagements().size());

  // A fresh schema and empty timelines, then one app worker per connection.
  if (absl::Status s = PgSocial::CreateSchema(a.pg); !s.ok())
    return std::fprintf(stderr, "schema: %s\n", s.ToString().c_str()), 1;
  std::vector<std::unique_ptr<PeerApp>> apps;
  for (int t = 0; t < C; ++t) {
    absl::StatusOr<std::unique_ptr<PeerApp>> app = PeerApp::Connect(system, a.pg, a.redis);
    if (!app.ok()) return std::fprintf(stderr, "connect: %s\n", app.status().ToString().c_str()), 1;
    apps.push_back(std::move(*app));
  }
  if (with_redis)
    if (absl::Status s = apps[0]->timelines()->Clear(); !s.ok())
      return std::fprintf(stderr, "redis: %s\n", s.ToString().c_str()), 1;

  Errors errors;
  Ids ids;
  ids.user.resize(w.users());
  ids.post.resize(w.posts().size());

  // The set-up, phase by phase; within a phase item i goes to connection
  // i mod C, as lens_bench spreads it.
  std::mutex mu;
  auto phase = [&](const char* name, size_t n, Latencies& into,
                   const std::function<absl::Status(size_t, PeerApp&)>& one) {
    const auto t0 = Clock::now();
    RunThreads(C, [&](int t) {
      Latencies mine;
      for (size_t i = t; i < n; i += C) {
        const auto s = Clock::now();
        errors.Note(one(i, *apps[t]));
        mine.Add(MillisSince(s));
      }
      std::lock_guard<std::mutex> lock(mu);
      into.Merge(mine);
    });
    std::fprintf(stderr, "%s: %zu commands in %.1f s (%llu errors so far)\n", name, n,
                 MillisSince(t0) / 1000, static_cast<unsigned long long>(errors.count()));
  };

  Latencies registrations;
  phase("users", w.users(), registrations, [&](size_t i, PeerApp& app) {
    absl::StatusOr<int64_t> id = app.db().Register(Workload::Username(static_cast<uint32_t>(i)));
    if (id.ok()) ids.user[i] = *id;
    return id.status();
  });

  Latencies ingest;
  const auto ingest_start = Clock::now();
  phase("follows", w.follows().size(), ingest, [&](size_t i, PeerApp& app) {
    const FollowOp& f = w.follows()[i];
    return app.db().Follow(ids.user[f.follower], ids.user[f.followee]);
  });
  phase("posts", w.posts().size(), ingest, [&](size_t i, PeerApp& app) {
    const PostOp& p = w.posts()[i];
    absl::StatusOr<int64_t> id = app.Post(ids.user[p.author], p.caption);
    if (id.ok()) ids.post[i] = *id;
    return id.status();
  });
  phase("likes and comments", w.engagements().size(), ingest, [&](size_t i, PeerApp& app) {
    const EngageOp& e = w.engagements()[i];
    if (e.comment) return app.db().Comment(ids.user[e.user], ids.post[e.post], e.text);
    return app.db().Like(ids.user[e.user], ids.post[e.post]).status();
  });
  const double ingest_s = MillisSince(ingest_start) / 1000;
  const uint64_t commands = w.follows().size() + w.posts().size() + w.engagements().size();
  Emit(a, "ingest", commands / ingest_s, "commands/s",
       {{"p50_ms", ingest.Quantile(0.5)},
        {"p99_ms", ingest.Quantile(0.99)},
        {"commands", commands},
        {"errors", errors.count()},
        {"connections", C},
        {"durable", true}});

  // What autovacuum would have done on a live system by now: planner
  // statistics for the feed query, and a visibility map so its per-author
  // scans are index-only. Not timed.
  {
    const auto t0 = Clock::now();
    errors.Note(apps[0]->db().Execute("VACUUM (ANALYZE)"));
    std::fprintf(stderr, "vacuum analyze: %.1f s\n", MillisSince(t0) / 1000);
  }
  const uint64_t mismatches = CheckFeeds(w, ids, *apps[0], a.seed);

  // Feed reads on C-1 connections, the write mix on the other.
  {
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> pages{0}, items{0};
    uint64_t writes = 0;
    Latencies reads, write_latency;
    std::thread writer([&] {
      PeerApp& app = *apps[0];
      Workload::Mix mix(&w, 1000, 0.0);
      while (!stop.load()) {
        const Workload::Mix::Op op = mix.Next();
        const int64_t user = ids.user[op.user];
        const auto s = Clock::now();
        absl::Status status;
        switch (op.kind) {
          case Workload::Mix::Kind::kLike:
            status =
                app.db().Like(user, ids.post[op.target]).status();  // liked already: still a 200
            break;
          case Workload::Mix::Kind::kComment:
            status = app.db().Comment(user, ids.post[op.target], op.text);
            break;
          case Workload::Mix::Kind::kPost:
            status = app.Post(user, op.text).status();
            break;
          case Workload::Mix::Kind::kFollow:
            if (op.target == op.user) continue;
            status = app.db().Follow(user, ids.user[op.target]);
            break;
          case Workload::Mix::Kind::kFeedRead:
            continue;
        }
        write_latency.Add(MillisSince(s));
        errors.Note(status);
        if (status.ok()) ++writes;
      }
    });
    const auto t0 = Clock::now();
    RunThreads(C - 1, [&](int t) {
      PeerApp& app = *apps[t + 1];
      Workload::Mix mix(&w, t, 1.0);
      Latencies mine;
      while (MillisSince(t0) < a.duration_seconds * 1000.0) {
        const Workload::Mix::Op op = mix.Next();
        const auto s = Clock::now();
        absl::StatusOr<std::vector<FeedItem>> page = app.Feed(ids.user[op.user]);
        mine.Add(MillisSince(s));
        errors.Note(page.status());
        if (!page.ok()) continue;
        ++pages;
        items += page->size();
      }
      std::lock_guard<std::mutex> lock(mu);
      reads.Merge(mine);
    });
    const double secs = MillisSince(t0) / 1000;
    stop.store(true);
    writer.join();
    Emit(a, "feed_reads", pages / secs, "pages/s",
         {{"p50_ms", reads.Quantile(0.5)},
          {"p99_ms", reads.Quantile(0.99)},
          {"items_per_page", pages ? static_cast<double>(items) / pages : 0.0},
          {"connections", C - 1}});
    Emit(a, "mixed_writes", writes / secs, "commands/s",
         {{"p50_ms", write_latency.Quantile(0.5)}, {"p99_ms", write_latency.Quantile(0.99)}});
  }

  // Fan-out of the most-followed user's post; the median of three, each
  // checked against the feed of the last follower.
  {
    const uint32_t celebrity = w.by_popularity()[0];
    absl::StatusOr<std::vector<int64_t>> followers = apps[0]->db().Followers(ids.user[celebrity]);
    errors.Note(followers.status());
    Latencies fanout;
    for (int run = 0; followers.ok() && !followers->empty() && run < 3; ++run) {
      const auto s = Clock::now();
      absl::StatusOr<int64_t> id =
          apps[0]->Post(ids.user[celebrity], "fan-out " + std::to_string(run));
      const double ms = MillisSince(s);
      errors.Note(id.status());
      if (!id.ok()) break;
      fanout.Add(ms);
      absl::StatusOr<std::vector<FeedItem>> page = apps[1]->Feed(followers->back());
      const bool shown = page.ok() && !page->empty() && page->front().id == *id;
      std::fprintf(stderr, "fan-out to %zu followers: %.1f ms (last follower's feed %s it)\n",
                   followers->size(), ms, shown ? "shows" : "does NOT show");
      if (!shown)
        errors.Note(absl::InternalError("fan-out: the last follower's feed misses the post"));
    }
    if (fanout.count() > 0)
      Emit(a, "fanout_top", fanout.Quantile(0.5) / 1000, "s",
           {{"followers", followers->size()},
            {"what", with_redis ? "commit + fan-out to every follower's Redis timeline"
                                : "commit (pull feed)"},
            {"runs", fanout.count()}});
  }

  // The fan-out lens_bench's fanout_bench measures: one post to 100,000
  // followers' timelines (synthetic users, as there), Redis design only —
  // the pull design has nothing to fan out and pays at read time instead.
  if (with_redis) {
    std::vector<int64_t> followers(100000);
    for (size_t i = 0; i < followers.size(); ++i) followers[i] = int64_t{1} << 40 | static_cast<int64_t>(i);
    Latencies fanout;
    for (int run = 0; run < 3; ++run) {
      const auto s = Clock::now();
      absl::Status st = apps[0]->timelines()->FanOut((int64_t{1} << 41) + run, followers);
      fanout.Add(MillisSince(s));
      errors.Note(st);
    }
    absl::StatusOr<std::vector<int64_t>> last = apps[0]->timelines()->Page(followers.back(), 1);
    if (!last.ok() || last->empty() || last->front() != (int64_t{1} << 41) + 2)
      errors.Note(absl::InternalError("fan-out: the last synthetic follower's timeline misses the post"));
    Emit(a, "fanout_100k", fanout.Quantile(0.5) / 1000, "s",
         {{"followers", followers.size()},
          {"what", "pipelined LPUSH + LTRIM into 100,000 Redis timelines"},
          {"runs", fanout.count()}});
  }

  // Feed latency against load: reads only, at growing concurrency (as
  // lens_bench's feed_curve).
  for (int conns : {1, 2, 4, 8, 16, 32, 64}) {
    while (static_cast<int>(apps.size()) < conns) {
      absl::StatusOr<std::unique_ptr<PeerApp>> app = PeerApp::Connect(system, a.pg, a.redis);
      errors.Note(app.status());
      if (!app.ok()) break;
      apps.push_back(std::move(*app));
    }
    if (static_cast<int>(apps.size()) < conns) break;
    std::atomic<uint64_t> pages{0};
    Latencies reads;
    const auto t0 = Clock::now();
    const double slice_ms = std::max(1000.0, a.duration_seconds * 1000.0 / 4);
    RunThreads(conns, [&](int t) {
      PeerApp& app = *apps[t];
      Workload::Mix mix(&w, 500 + t, 1.0);
      Latencies mine;
      while (MillisSince(t0) < slice_ms) {
        const Workload::Mix::Op op = mix.Next();
        const auto s = Clock::now();
        absl::StatusOr<std::vector<FeedItem>> page = app.Feed(ids.user[op.user]);
        mine.Add(MillisSince(s));
        errors.Note(page.status());
        if (page.ok()) ++pages;
      }
      std::lock_guard<std::mutex> lock(mu);
      reads.Merge(mine);
    });
    Emit(a, "feed_curve", pages / (MillisSince(t0) / 1000), "pages/s",
         {{"connections", conns}, {"p50_ms", reads.Quantile(0.5)}, {"p99_ms", reads.Quantile(0.99)}});
  }

  // Freshness: the same authors and followers as lens_bench (each author's
  // last follower in the set-up), one post at a time.
  {
    std::vector<uint32_t> follower_of(w.users(), UINT32_MAX);
    for (const FollowOp& f : w.follows()) follower_of[f.followee] = f.follower;
    Latencies fresh;
    std::mt19937_64 rng(a.seed + 1);
    for (int n = 0; n < 200;) {
      const uint32_t author = w.AnyUser(rng);
      const uint32_t follower = follower_of[author];
      if (follower == UINT32_MAX) continue;
      absl::StatusOr<int64_t> id = apps[0]->Post(ids.user[author], "fresh");
      const auto acked = Clock::now();
      errors.Note(id.status());
      if (!id.ok()) break;
      for (;;) {
        absl::StatusOr<std::vector<FeedItem>> page = apps[1]->Feed(ids.user[follower]);
        errors.Note(page.status());
        bool shown = false;
        if (page.ok())
          for (const FeedItem& it : *page) shown = shown || it.id == *id;
        if (shown || !page.ok() || MillisSince(acked) > 10000) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      fresh.Add(MillisSince(acked));
      ++n;
    }
    Emit(a, "freshness", fresh.Quantile(0.5), "ms",
         {{"p50_ms", fresh.Quantile(0.5)},
          {"p99_ms", fresh.Quantile(0.99)},
          {"posts", fresh.count()}});
  }

  // Memory, while every connection is still open.
  {
    const pid_t postmaster = ParentPid(apps[0]->db().backend_pid());
    const double pg_mb = postmaster > 0 ? ProcessTreePssKb(postmaster) / 1024.0 : 0;
    double redis_mb = 0;
    if (with_redis)
      if (absl::StatusOr<int> pid = apps[0]->timelines()->ServerPid(); pid.ok())
        redis_mb = PssKb(*pid) / 1024.0;
    if (pg_mb > 0)
      Emit(a, "rss_mb", pg_mb + redis_mb, "MiB",
           {{"postgres_mb", pg_mb},
            {"redis_mb", redis_mb},
            {"measure", "Pss summed over the server processes"},
            {"connections_open", C}});
    else
      std::fprintf(stderr,
                   "rss_mb: cannot read the servers' /proc entries (not on this machine?)\n");
  }

  std::fprintf(stderr, "done: %llu errors, %llu feed-check mismatches\n",
               static_cast<unsigned long long>(errors.count()),
               static_cast<unsigned long long>(mismatches));
  return errors.count() == 0 && mismatches == 0 ? 0 : 3;
}
