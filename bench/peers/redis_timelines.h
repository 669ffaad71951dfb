// RedisTimelines: the home timelines of the fan-out-on-write design, one
// Redis list of post ids per user ("tl:<user id>"), newest first, capped at
// kCapacity entries, over one hiredis connection.
//
// Redis only holds ids: a page is hydrated from PostgreSQL (PgSocial::
// Hydrate), and the lists are a cache that PostgreSQL could rebuild, which is
// why the server runs without persistence. Not thread-safe: one per load
// thread. Failures come back as absl::Status with hiredis's message.
#ifndef LENS_BENCH_PEERS_REDIS_TIMELINES_H_
#define LENS_BENCH_PEERS_REDIS_TIMELINES_H_

#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lens::bench::peers {

class RedisTimelines {
 public:
  // Entries kept per timeline (older ones are trimmed on each push).
  static constexpr int kCapacity = 800;

  // `address` is "host:port".
  static absl::StatusOr<std::unique_ptr<RedisTimelines>> Connect(const std::string& address);
  RedisTimelines(const RedisTimelines&) = delete;
  RedisTimelines& operator=(const RedisTimelines&) = delete;

  // Drops every timeline (the whole Redis database).
  absl::Status Clear();
  // Pushes `post` onto the timeline of each of `users` (LPUSH, then LTRIM to
  // kCapacity), pipelined: one round trip per few hundred users, not two
  // per user.
  absl::Status FanOut(int64_t post, const std::vector<int64_t>& users);
  // The newest `n` post ids of `user`'s timeline.
  absl::StatusOr<std::vector<int64_t>> Page(int64_t user, int n);
  // The Redis server's process id (INFO server).
  absl::StatusOr<int> ServerPid();

 private:
  struct ContextDeleter {
    void operator()(redisContext* c) const { redisFree(c); }
  };
  explicit RedisTimelines(redisContext* c) : c_(c) {}

  std::unique_ptr<redisContext, ContextDeleter> c_;
};

}  // namespace lens::bench::peers

#endif  // LENS_BENCH_PEERS_REDIS_TIMELINES_H_
