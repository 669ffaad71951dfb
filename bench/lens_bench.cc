// lens_bench: the bench/ workload against the real `lens serve` binary over
// HTTP/1.1 keep-alive (a C++ load generator: one blocking connection per
// thread, tests/support/http_client), on the embedded log or on Kafka (a
// lens-mock-kafka broker process).
//
//   lens_bench [--log embedded|kafka] [--scale F] [--seed N] [--connections C]
//              [--duration-seconds D] [--no-fsync] [--keep DIR] [--reads-only]
//              [--node-arg ARG]...
//
// Measures, in this order, and prints one JSON line per figure on stdout:
//   ingest        the workload's set-up (follows, posts, likes, comments) as
//                 commands over HTTP, durable (each acknowledged command is
//                 fsynced in the embedded log / acknowledged by the broker);
//                 also the node's CPU time per command, projections included
//   feed_reads    home-feed pages of 20 hydrated items over C-1 connections,
//                 with the workload's write mix running on one more
//   mixed_writes  the commands/s of that writer
//   feed_curve    feed reads alone at 1..64 connections: pages/s, p50, p99,
//                 and the share of point reads the node's point cache answered
//   freshness     from a post's 201 until a follower's feed shows it
//   rebuild       the node restarted with its read models and decision state
//                 deleted: events/s until every projection has caught up
//   rss_mb        the node's peak resident memory (VmHWM)
// --reads-only serves the directory a previous run kept (--keep, same scale
// and seed): it logs the users in and measures the feed curve alone, to
// measure a change to the read path in a minute rather than a run.
// --node-arg passes ARG on to `lens serve` (e.g. --decision-by-reader, to
// compare a node option on and off). Progress goes to stderr.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/json.h"
#include "bench/latency.h"
#include "bench/workload/workload.h"
#include "tests/support/http_client.h"
#include "tests/support/lens_process.h"
#include "tests/support/mock_kafka.h"
#include "tests/support/temp_dir.h"

using namespace lens;
using namespace lens::bench;
using lens::testing::Bearer;
using lens::testing::HttpClient;
using lens::testing::HttpResult;

namespace {

struct Args {
  std::string log = "embedded";
  double scale = 0.1;
  uint64_t seed = 42;
  int connections = 16;
  int duration_seconds = 20;
  bool fsync = true;
  std::string keep;  // data directory to keep (default: a temporary one)
  bool reads_only = false;
  std::vector<std::string> node_args;  // passed on to `lens serve`
};

using Clock = std::chrono::steady_clock;

void Emit(const Args& a, const std::string& metric, double value, const std::string& unit,
          Json extra = Json::object()) {
  Json j{{"system", "lens-" + a.log}, {"metric", metric}, {"value", value}, {"unit", unit},
         {"scale", a.scale}};
  for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
  std::printf("%s\n", j.dump().c_str());
  std::fflush(stdout);
}

// Runs `work(thread, client)` on `threads` threads, each with its own
// keep-alive connection.
void Parallel(uint16_t port, int threads, const std::function<void(int, HttpClient&)>& work) {
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      HttpClient c(port, 60000);
      work(t, c);
    });
  for (auto& th : pool) th.join();
}

uint64_t PeakRssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  return 0;
}

// CPU time (user + system) the process has used so far, in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; fields >> f; ++i) {  // field 3 is the state
    if (i == 14) utime = std::strtoull(f.c_str(), nullptr, 10);
    if (i == 15) {
      stime = std::strtoull(f.c_str(), nullptr, 10);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The point cache's hits and misses so far, from the node's /metrics
// (lens_point_cache_lookups{result}); zeros without a cache.
std::pair<double, double> PointCacheLookups(uint16_t port) {
  HttpClient c(port);
  HttpResult r = c.Get("/metrics");
  double hits = 0, misses = 0;
  std::istringstream lines(r.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("lens_point_cache_lookups{", 0) != 0) continue;
    const double v = std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
    if (line.find("result=\"hit\"") != std::string::npos) hits = v;
    if (line.find("result=\"miss\"") != std::string::npos) misses = v;
  }
  return {hits, misses};
}

// Waits until /readyz reports every projection with lag 0.
bool WaitCaughtUp(uint16_t port, int timeout_s) {
  HttpClient c(port);
  auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  while (Clock::now() < deadline) {
    HttpResult r = c.Get("/readyz");
    bool done = r.status == 200;
    const Json body = r.json();
    if (done && body.contains("projections"))
      for (const Json& p : body["projections"]) done = done && p.value("lag", 1) == 0;
    if (done) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// The ids lens gave the workload's users and posts, and the users' tokens.
struct Ids {
  std::vector<std::string> user, token, post;
};

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string f = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (f == "--log") a.log = next();
    else if (f == "--scale") a.scale = std::atof(next().c_str());
    else if (f == "--seed") a.seed = std::strtoull(next().c_str(), nullptr, 10);
    else if (f == "--connections") a.connections = std::atoi(next().c_str());
    else if (f == "--duration-seconds") a.duration_seconds = std::atoi(next().c_str());
    else if (f == "--no-fsync") a.fsync = false;
    else if (f == "--keep") a.keep = next();
    else if (f == "--reads-only") a.reads_only = true;
    else if (f == "--node-arg") a.node_args.push_back(next());
    else {
      std::fprintf(stderr, "usage: lens_bench [--log embedded|kafka] [--scale F] [--seed N] "
                           "[--connections C] [--duration-seconds D] [--no-fsync] [--keep DIR] [--reads-only] "
                           "[--node-arg ARG]...\n");
      return 2;
    }
  }
  if ((a.log != "embedded" && a.log != "kafka") || a.scale <= 0 || a.connections < 2 ||
      (a.reads_only && (a.keep.empty() || a.log != "embedded"))) {
    std::fprintf(stderr, "lens_bench: bad arguments\n");
    return 2;
  }

  const Workload w({.seed = a.seed, .scale = a.scale});
  std::fprintf(stderr, "workload: %u users, %zu follows, %zu posts, %zu likes+comments\n", w.users(),
               w.follows().size(), w.posts().size(), w.engagements().size());

  lens::testing::TempDir temp;
  const std::string data = a.keep.empty() ? temp.Sub("node") : a.keep;
  std::unique_ptr<lens::testing::MockKafka> broker;
  std::vector<std::string> node_args = {"--no-access-log", "--partitions", "8",
                                        // The node's default hybrid threshold (1,000), lower
                                        // below scale S so that small runs have celebrities too.
                                        "--celebrity-threshold",
                                        std::to_string(std::clamp<uint32_t>(w.users() / 10, 100, 1000))};
  if (!a.fsync) node_args.push_back("--no-fsync");
  node_args.insert(node_args.end(), a.node_args.begin(), a.node_args.end());
  if (a.log == "kafka") {
    auto b = lens::testing::MockKafka::Start({{"lens.events", 8}});
    if (!b.ok()) return std::fprintf(stderr, "%s\n", b.status().ToString().c_str()), 1;
    broker = std::move(*b);
    node_args.push_back("--log");
    node_args.push_back("kafka://" + broker->bootstrap());
  }
  auto lens = lens::testing::LensProcess::Start({.data_dir = data, .args = node_args});
  if (!lens.ok()) return std::fprintf(stderr, "%s\n", lens.status().ToString().c_str()), 1;
  const uint16_t port = (*lens)->port();
  const int C = a.connections;

  Ids ids;
  ids.user.resize(w.users());
  ids.token.resize(w.users());
  ids.post.resize(w.posts().size());
  std::atomic<uint64_t> errors{0};
  std::mutex mu;

  // Feed latency against load: reads only, at growing concurrency.
  auto FeedCurve = [&](std::initializer_list<int> connections) {
    for (int conns : connections) {
      std::atomic<uint64_t> pages{0};
      Latencies reads;
      const auto t0 = Clock::now();
      const double slice_ms = std::max(1000.0, a.duration_seconds * 1000.0 / 4);
      const auto [hits0, misses0] = PointCacheLookups(port);
      Parallel(port, conns, [&](int t, HttpClient& c) {
        Workload::Mix mix(&w, 500 + t, 1.0);
        Latencies mine;
        while (MillisSince(t0) < slice_ms) {
          Workload::Mix::Op op = mix.Next();
          const auto s = Clock::now();
          HttpResult r = c.Get("/api/v1/feed?limit=20", {Bearer(ids.token[op.user])});
          mine.Add(MillisSince(s));
          if (r.status == 200) ++pages;
          else ++errors;
        }
        std::lock_guard<std::mutex> lock(mu);
        reads.Merge(mine);
      });
      const double secs = MillisSince(t0) / 1000;
      const auto [hits1, misses1] = PointCacheLookups(port);
      const double lookups = (hits1 - hits0) + (misses1 - misses0);
      Emit(a, "feed_curve", pages / secs, "pages/s",
           {{"connections", conns},
            {"p50_ms", reads.Quantile(0.5)},
            {"p99_ms", reads.Quantile(0.99)},
            {"point_cache_hit_ratio", lookups > 0 ? (hits1 - hits0) / lookups : 0.0}});
    }
  };

  if (a.reads_only) {
    // A kept directory: the users exist; log them in (once the command
    // side has caught up with the log) and read.
    if (!WaitCaughtUp(port, 3600)) std::fprintf(stderr, "read models did not catch up\n");
    Parallel(port, C, [&](int t, HttpClient& c) {
      for (uint32_t u = t; u < w.users(); u += C) {
        HttpResult s = c.Post("/api/v1/sessions", Json{{"username", Workload::Username(u)},
                                                        {"password", Workload::Password()}}.dump());
        if (s.status != 201) ++errors;
        ids.token[u] = s.json().value("token", "");
      }
    });
    FeedCurve({1, 2, 4, 8, 16});
    (*lens)->Stop();
    return errors.load() == 0 ? 0 : 3;
  }

  // Users: register and log in (not timed: password hashing is not the
  // social workload, and the peers store no hashes).
  Parallel(port, C, [&](int t, HttpClient& c) {
    for (uint32_t u = t; u < w.users(); u += C) {
      Json body{{"username", Workload::Username(u)}, {"email", Workload::Username(u) + "@bench.example"},
                {"password", Workload::Password()}};
      HttpResult r = c.Post("/api/v1/accounts", body.dump());
      if (r.status != 201) ++errors;
      ids.user[u] = r.json().value("id", "");
      HttpResult s = c.Post("/api/v1/sessions",
                            Json{{"username", Workload::Username(u)}, {"password", Workload::Password()}}.dump());
      if (s.status != 201) ++errors;
      ids.token[u] = s.json().value("token", "");
    }
  });
  std::fprintf(stderr, "registered %u users (%llu errors)\n", w.users(),
               static_cast<unsigned long long>(errors.load()));

  // Ingest: the set-up's commands, phase by phase, timed.
  Latencies ingest;
  uint64_t commands = 0;
  const auto ingest_start = Clock::now();
  const double ingest_cpu_start = CpuSeconds((*lens)->pid());
  auto phase = [&](const char* name, size_t n, const std::function<int(size_t, HttpClient&)>& one) {
    const auto t0 = Clock::now();
    Parallel(port, C, [&](int t, HttpClient& c) {
      Latencies mine;
      for (size_t i = t; i < n; i += C) {
        const auto s = Clock::now();
        int status = one(i, c);
        mine.Add(MillisSince(s));
        if (status < 200 || status > 299) ++errors;
      }
      std::lock_guard<std::mutex> lock(mu);
      ingest.Merge(mine);
    });
    commands += n;
    std::fprintf(stderr, "%s: %zu commands in %.1f s (%llu errors so far)\n", name, n,
                 MillisSince(t0) / 1000, static_cast<unsigned long long>(errors.load()));
  };
  phase("follows", w.follows().size(), [&](size_t i, HttpClient& c) {
    const FollowOp& f = w.follows()[i];
    return c.Post("/api/v1/accounts/" + ids.user[f.followee] + "/follow", "", {Bearer(ids.token[f.follower])})
        .status;
  });
  phase("posts", w.posts().size(), [&](size_t i, HttpClient& c) {
    const PostOp& p = w.posts()[i];
    HttpResult r = c.Post("/api/v1/posts", Json{{"caption", p.caption}}.dump(), {Bearer(ids.token[p.author])});
    ids.post[i] = r.json().value("id", "");
    return r.status;
  });
  phase("likes and comments", w.engagements().size(), [&](size_t i, HttpClient& c) {
    const EngageOp& e = w.engagements()[i];
    if (e.comment)
      return c.Post("/api/v1/posts/" + ids.post[e.post] + "/comments", Json{{"text", e.text}}.dump(),
                    {Bearer(ids.token[e.user])})
          .status;
    return c.Post("/api/v1/posts/" + ids.post[e.post] + "/like", "", {Bearer(ids.token[e.user])}).status;
  });
  const double ingest_s = MillisSince(ingest_start) / 1000;
  if (!WaitCaughtUp(port, 600)) std::fprintf(stderr, "read models did not catch up\n");
  // The node's CPU time per command, the projections' work for it included:
  // steadier than the rate on a shared VM, for comparing two builds.
  const double ingest_cpu_us =
      (CpuSeconds((*lens)->pid()) - ingest_cpu_start) * 1e6 / static_cast<double>(commands);
  Emit(a, "ingest", commands / ingest_s, "commands/s",
       {{"p50_ms", ingest.Quantile(0.5)}, {"p99_ms", ingest.Quantile(0.99)}, {"commands", commands},
        {"errors", errors.load()}, {"connections", C}, {"durable", a.fsync},
        {"node_cpu_us_per_command", ingest_cpu_us}});

  // Feed reads with the write mix beside them.
  {
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> pages{0}, writes{0}, items{0};
    Latencies reads;
    std::thread writer([&] {
      HttpClient c(port, 60000);
      Workload::Mix mix(&w, 1000, 0.0);
      while (!stop.load()) {
        Workload::Mix::Op op = mix.Next();
        const auto& tok = ids.token[op.user];
        int status = 0;
        switch (op.kind) {
          case Workload::Mix::Kind::kLike:
            status = c.Post("/api/v1/posts/" + ids.post[op.target] + "/like", "", {Bearer(tok)}).status;
            if (status == 409) status = 200;  // liked already
            break;
          case Workload::Mix::Kind::kComment:
            status = c.Post("/api/v1/posts/" + ids.post[op.target] + "/comments", Json{{"text", op.text}}.dump(),
                            {Bearer(tok)}).status;
            break;
          case Workload::Mix::Kind::kPost:
            status = c.Post("/api/v1/posts", Json{{"caption", op.text}}.dump(), {Bearer(tok)}).status;
            break;
          case Workload::Mix::Kind::kFollow:
            if (op.target == op.user) continue;
            status = c.Post("/api/v1/accounts/" + ids.user[op.target] + "/follow", "", {Bearer(tok)}).status;
            break;
          case Workload::Mix::Kind::kFeedRead:
            continue;
        }
        if (status >= 200 && status < 300) ++writes;
      }
    });
    const auto t0 = Clock::now();
    Parallel(port, C - 1, [&](int t, HttpClient& c) {
      Workload::Mix mix(&w, t, 1.0);
      Latencies mine;
      while (MillisSince(t0) < a.duration_seconds * 1000.0) {
        Workload::Mix::Op op = mix.Next();
        const auto s = Clock::now();
        HttpResult r = c.Get("/api/v1/feed?limit=20", {Bearer(ids.token[op.user])});
        mine.Add(MillisSince(s));
        if (r.status != 200) {
          ++errors;
          continue;
        }
        ++pages;
        const Json page = r.json();
        if (page.contains("items")) items += page["items"].size();
      }
      std::lock_guard<std::mutex> lock(mu);
      reads.Merge(mine);
    });
    const double secs = MillisSince(t0) / 1000;
    stop.store(true);
    writer.join();
    Emit(a, "feed_reads", pages / secs, "pages/s",
         {{"p50_ms", reads.Quantile(0.5)}, {"p99_ms", reads.Quantile(0.99)},
          {"items_per_page", pages ? static_cast<double>(items) / pages : 0.0}, {"connections", C - 1}});
    Emit(a, "mixed_writes", writes / secs, "commands/s");
  }

  FeedCurve({1, 2, 4, 8, 16, 32, 64});

  // Freshness: a post's 201 until a follower's feed shows it.
  {
    std::vector<uint32_t> followers_of(w.users(), UINT32_MAX);
    for (const FollowOp& f : w.follows()) followers_of[f.followee] = f.follower;
    Latencies fresh;
    HttpClient writer(port), reader(port);
    std::mt19937_64 rng(a.seed + 1);
    for (int n = 0; n < 200;) {
      uint32_t author = w.AnyUser(rng);
      uint32_t follower = followers_of[author];
      if (follower == UINT32_MAX) continue;
      HttpResult p = writer.Post("/api/v1/posts", R"({"caption":"fresh"})", {Bearer(ids.token[author])});
      const auto acked = Clock::now();
      const std::string id = p.json().value("id", "");
      for (;;) {
        HttpResult f = reader.Get("/api/v1/feed?limit=5", {Bearer(ids.token[follower])});
        if (f.body.find("\"" + id + "\"") != std::string::npos) break;
        if (MillisSince(acked) > 10000) break;
        std::this_thread::sleep_for(std::chrono::microseconds(500));
      }
      fresh.Add(MillisSince(acked));
      ++n;
    }
    Emit(a, "freshness", fresh.Quantile(0.5), "ms", {{"p50_ms", fresh.Quantile(0.5)}, {"p99_ms", fresh.Quantile(0.99)}});
  }
  const uint64_t serving_rss = PeakRssKb((*lens)->pid());

  // Rebuild: delete every projection's store and time the catch-up.
  long events = 0;
  {
    HttpClient c(port);
    HttpResult m = c.Get("/metrics");
    std::istringstream in(m.body);
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("lens_eventlog_end_offset{", 0) == 0) events += std::stol(line.substr(line.rfind(' ') + 1));
  }
  (*lens)->Stop();
  std::filesystem::remove_all(data + "/readmodels");
  std::filesystem::remove_all(data + "/decision");
  const auto r0 = Clock::now();
  auto again = lens::testing::LensProcess::Start(
      {.data_dir = data, .args = node_args, .startup_timeout_seconds = 3600});
  if (!again.ok()) return std::fprintf(stderr, "%s\n", again.status().ToString().c_str()), 1;
  // The command side waits for its decision state before it listens, so
  // part of the replay happens before the port is known.
  if (!WaitCaughtUp((*again)->port(), 3600)) std::fprintf(stderr, "rebuild did not finish\n");
  const double rebuild_s = MillisSince(r0) / 1000;
  Emit(a, "rebuild", events / rebuild_s, "events/s",
       {{"events", events}, {"seconds", rebuild_s}, {"projections", 3},
        {"peak_rss_mb", PeakRssKb((*again)->pid()) / 1024.0}});
  Emit(a, "rss_mb", serving_rss / 1024.0, "MiB", {{"during", "ingest and feed reads"}});
  (*again)->Stop();
  return errors.load() == 0 ? 0 : 3;
}
