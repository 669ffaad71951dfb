// PeerApp: what the application server of each peer design does for one
// request, written as its handlers would be, over one PostgreSQL connection
// and (for fan-out on write) one Redis connection. The load generator calls
// it directly, so no HTTP layer sits between load and databases.
//
//   kPostgres       writes go to PostgreSQL; the home feed is pulled with a
//                   join over the follow graph at read time.
//   kPostgresRedis  the same writes, and a new post's id is pushed onto the
//                   Redis timeline of the author and of every follower
//                   before the handler answers (fan-out on write, done
//                   synchronously); the home feed is the timeline's first
//                   page hydrated from PostgreSQL in one query.
//
// Follows, likes and comments are plain PostgreSQL transactions in both
// (db()). A new follow does not backfill the follower's Redis timeline with
// the followee's older posts: many deployments skip that, and it only makes
// the peer's writes cheaper.
//
// Not thread-safe: one per load thread.
#ifndef LENS_BENCH_PEERS_PEER_APP_H_
#define LENS_BENCH_PEERS_PEER_APP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/peers/pg_social.h"
#include "bench/peers/redis_timelines.h"

namespace lens::bench::peers {

enum class PeerSystem { kPostgres, kPostgresRedis };

class PeerApp {
 public:
  // Items per feed page, as lens's default.
  static constexpr int kPageSize = 20;

  // `redis` ("host:port") is used with kPostgresRedis only.
  static absl::StatusOr<std::unique_ptr<PeerApp>> Connect(PeerSystem system, const std::string& pg,
                                                          const std::string& redis);

  PgSocial& db() { return *db_; }
  RedisTimelines* timelines() { return timelines_.get(); }

  // Creates a post and returns its id once every feed that should show it
  // would (for kPostgresRedis: after the fan-out).
  absl::StatusOr<int64_t> Post(int64_t author, const std::string& caption);
  // The viewer's first home-feed page, newest first, hydrated.
  absl::StatusOr<std::vector<FeedItem>> Feed(int64_t viewer);

 private:
  PeerApp(std::unique_ptr<PgSocial> db, std::unique_ptr<RedisTimelines> timelines)
      : db_(std::move(db)), timelines_(std::move(timelines)) {}

  std::unique_ptr<PgSocial> db_;
  std::unique_ptr<RedisTimelines> timelines_;  // null for kPostgres
};

}  // namespace lens::bench::peers

#endif  // LENS_BENCH_PEERS_PEER_APP_H_
