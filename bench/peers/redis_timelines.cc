#include "bench/peers/redis_timelines.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace lens::bench::peers {
namespace {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// Users per pipelined batch: bounds the client's and server's buffers while
// keeping round trips few.
constexpr size_t kBatch = 512;

absl::Status ContextError(const char* what, const redisContext* c) {
  return absl::UnavailableError(absl::StrCat("redis ", what, ": ", c->errstr));
}

// A reply that is an error (or missing: the connection broke) as a Status.
absl::Status Check(const char* what, const redisReply* r, const redisContext* c) {
  if (r == nullptr) return ContextError(what, c);
  if (r->type == REDIS_REPLY_ERROR)
    return absl::InternalError(absl::StrCat("redis ", what, ": ", r->str));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisTimelines>> RedisTimelines::Connect(
    const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos)
    return absl::InvalidArgumentError("redis address is not host:port: " + address);
  const std::string host = address.substr(0, colon);
  const int port = std::atoi(address.c_str() + colon + 1);
  redisContext* c = redisConnectWithTimeout(host.c_str(), port, timeval{5, 0});
  if (c == nullptr) return absl::ResourceExhaustedError("redis: cannot allocate a context");
  std::unique_ptr<RedisTimelines> t(new RedisTimelines(c));
  if (c->err) return ContextError("connect", c);
  return t;
}

absl::Status RedisTimelines::Clear() {
  Reply r(static_cast<redisReply*>(redisCommand(c_.get(), "FLUSHDB")));
  return Check("FLUSHDB", r.get(), c_.get());
}

absl::Status RedisTimelines::FanOut(int64_t post, const std::vector<int64_t>& users) {
  const std::string id = std::to_string(post);
  for (size_t start = 0; start < users.size(); start += kBatch) {
    const size_t end = std::min(users.size(), start + kBatch);
    for (size_t i = start; i < end; ++i) {
      const std::string key = absl::StrCat("tl:", users[i]);
      redisAppendCommand(c_.get(), "LPUSH %b %b", key.data(), key.size(), id.data(), id.size());
      redisAppendCommand(c_.get(), "LTRIM %b 0 %d", key.data(), key.size(), kCapacity - 1);
    }
    // Read every reply of the batch even after an error, so the connection
    // stays in step with the pipeline.
    absl::Status status;
    for (size_t i = 0; i < 2 * (end - start); ++i) {
      void* raw = nullptr;
      if (redisGetReply(c_.get(), &raw) != REDIS_OK) return ContextError("fan-out", c_.get());
      Reply r(static_cast<redisReply*>(raw));
      status.Update(Check("fan-out", r.get(), c_.get()));
    }
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> RedisTimelines::Page(int64_t user, int n) {
  const std::string key = absl::StrCat("tl:", user);
  Reply r(static_cast<redisReply*>(
      redisCommand(c_.get(), "LRANGE %b 0 %d", key.data(), key.size(), n - 1)));
  if (absl::Status s = Check("LRANGE", r.get(), c_.get()); !s.ok()) return s;
  std::vector<int64_t> ids;
  ids.reserve(r->elements);
  for (size_t i = 0; i < r->elements; ++i)
    ids.push_back(std::strtoll(r->element[i]->str, nullptr, 10));
  return ids;
}

absl::StatusOr<int> RedisTimelines::ServerPid() {
  Reply r(static_cast<redisReply*>(redisCommand(c_.get(), "INFO server")));
  if (absl::Status s = Check("INFO", r.get(), c_.get()); !s.ok()) return s;
  const std::string info(r->str, r->len);
  const size_t at = info.find("process_id:");
  if (at == std::string::npos) return absl::NotFoundError("redis INFO has no process_id");
  return std::atoi(info.c_str() + at + 11);
}

}  // namespace lens::bench::peers
