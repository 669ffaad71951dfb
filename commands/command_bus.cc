#include "commands/command_bus.h"

#include <openssl/sha.h>

#include <algorithm>

#include "base/log.h"
#include "base/time.h"
#include "events/event_codec.h"
#include "http/http_message.h"

namespace lens {

CommandBus::CommandBus(EventLog* log, IdGenerator* ids, DecisionState* state,
                       ProjectorRunner* state_runner, MetricsRegistry* metrics)
    : log_(log), ids_(ids), state_(state), state_runner_(state_runner), metrics_(metrics) {}

absl::StatusOr<std::string> CommandBus::CommandIdFor(std::string_view actor,
                                                     std::string_view method, std::string_view path,
                                                     std::optional<std::string_view> key,
                                                     std::string_view request_id) {
  if (!key) return std::string(request_id);
  if (key->empty() || key->size() > 255)
    return BadRequest("invalid_idempotency_key", "Idempotency-Key must have 1 to 255 characters");
  for (char c : *key)
    if (c < 0x21 || c > 0x7e)
      return BadRequest("invalid_idempotency_key", "Idempotency-Key must be printable ASCII");
  std::string material = std::string(actor) + "\n" + std::string(method) + " " + std::string(path) +
                         "\n" + std::string(*key);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(material.data()), material.size(), digest);
  static const char* kHex = "0123456789abcdef";
  std::string id(kIdempotentCommandPrefix);
  for (int i = 0; i < 16; ++i) {
    id.push_back(kHex[digest[i] >> 4]);
    id.push_back(kHex[digest[i] & 0xf]);
  }
  return id;
}

absl::Status CommandBus::RequireCatchUpToLogEnd() {
  ConsistencyToken token;
  for (uint32_t p = 0; p < log_->partition_count(); ++p) {
    auto end = log_->EndOffset(p);
    if (!end.ok()) return end.status();
    if (*end > 0) token.Add({p, *end - 1});
  }
  catch_up_ = token;
  caught_up_.store(token.empty());
  return absl::OkStatus();
}

bool CommandBus::caught_up() {
  if (caught_up_.load(std::memory_order_acquire)) return true;
  if (!state_runner_->IsApplied(catch_up_)) return false;
  caught_up_.store(true, std::memory_order_release);
  return true;
}

void CommandBus::Count(const std::string& command, const std::string& outcome,
                       const std::string& reason) {
  if (metrics_ == nullptr) return;
  metrics_
      ->GetCounter("lens_commands_total", "Commands by outcome (accepted, rejected, deduplicated)",
                   {{"command", command}, {"outcome", outcome}, {"reason", reason}})
      ->Inc();
}

absl::Status CommandBus::AwaitApplied(const ConsistencyToken& token, const CommandContext& ctx) {
  if (token.empty() || state_runner_->WaitFor(token, absl::Now() + absl::Seconds(10)))
    return absl::OkStatus();
  Count(ctx.name, "failed", "decision_state_behind");
  LogWarn("decision state lags behind earlier appends",
          {{"cmd", ctx.cmd_id}, {"token", token.ToString()}});
  return ApiError(absl::StatusCode::kUnavailable, "decision_state_behind",
                  "this node has not yet read back earlier writes from the event log; retry "
                  "shortly");
}

absl::Status CommandBus::AwaitActorWrites(const CommandContext& ctx) {
  Stripe& s = stripes_[std::hash<std::string>()("user:" + ctx.actor) % kStripes];
  ConsistencyToken token;
  {
    absl::MutexLock l(&s.tokens_mu);
    token = s.after_any;
  }
  return AwaitApplied(token, ctx);
}

absl::StatusOr<CommandResult> CommandBus::Execute(const CommandContext& ctx, CommandLocks locks,
                                                  const DecideFn& decide, Ack ack) {
  if (!caught_up()) {
    Count(ctx.name, "failed", "catching_up");
    return ApiError(absl::StatusCode::kUnavailable, "catching_up",
                    "this node is still catching up with the event log; retry shortly");
  }
  const bool idempotent = ctx.cmd_id.rfind(kIdempotentCommandPrefix, 0) == 0;
  if (idempotent) locks.exclusive.push_back("cmd:" + ctx.cmd_id);
  if (!ctx.actor.empty())
    (locks.actor_shared ? locks.shared : locks.exclusive).push_back("user:" + ctx.actor);

  // The stripes, each once (exclusively when any of its keys is), locked in
  // a global order so that two commands never wait on each other in a cycle.
  struct Held {
    size_t stripe;
    bool exclusive;
  };
  std::vector<Held> held;
  for (const auto& k : locks.exclusive)
    held.push_back({std::hash<std::string>()(k) % kStripes, true});
  for (const auto& k : locks.shared)
    held.push_back({std::hash<std::string>()(k) % kStripes, false});
  std::sort(held.begin(), held.end(), [](const Held& a, const Held& b) {
    return a.stripe != b.stripe ? a.stripe < b.stripe : a.exclusive > b.exclusive;
  });
  held.erase(std::unique(held.begin(), held.end(),
                         [](const Held& a, const Held& b) { return a.stripe == b.stripe; }),
             held.end());
  for (const Held& h : held) {
    if (h.exclusive)
      stripes_[h.stripe].mu.Lock();
    else
      stripes_[h.stripe].mu.ReaderLock();
  }
  struct Unlock {
    CommandBus* bus;
    const std::vector<Held>& held;
    bool locked = true;
    void Release() {
      if (!locked) return;
      locked = false;
      for (auto it = held.rbegin(); it != held.rend(); ++it) {
        if (it->exclusive)
          bus->stripes_[it->stripe].mu.Unlock();
        else
          bus->stripes_[it->stripe].mu.ReaderUnlock();
      }
    }
    ~Unlock() { Release(); }
  } unlock{this, held};

  // Decide on everything the earlier commands under these keys appended:
  // their answers may have gone out before the decision state applied them.
  ConsistencyToken before;
  for (const Held& h : held) {
    Stripe& s = stripes_[h.stripe];
    absl::MutexLock l(&s.tokens_mu);
    before.Merge(h.exclusive ? s.after_any : s.after_exclusive);
  }
  if (absl::Status s = AwaitApplied(before, ctx); !s.ok()) return s;

  if (idempotent) {
    auto rec = state_->GetCommand(ctx.cmd_id);
    if (!rec.ok()) return rec.status();
    if (rec->has_value() &&
        NowMillis() - (*rec)->ts_ms < absl::ToInt64Milliseconds(kIdempotencyWindow)) {
      Count(ctx.name, "deduplicated", "");
      return CommandResult{std::move((*rec)->events), (*rec)->token, true};
    }
  }

  auto decided = decide();
  if (!decided.ok()) {
    Count(ctx.name, "rejected", std::string(absl::StatusCodeToString(decided.status().code())));
    return decided.status();
  }
  CommandResult result;
  if (decided->empty()) {  // nothing changes: a no-op is still a success
    Count(ctx.name, "accepted", "noop");
    return result;
  }

  const int64_t now = NowMillis();
  std::vector<LogRecord> records;
  for (Event& e : *decided) {
    e.id = EventId(ids_->Next());
    e.ts_ms = now;
    e.actor = ctx.actor;
    e.cmd = ctx.cmd_id;
    records.push_back({e.key, EncodeEvent(e)});
  }
  auto positions = log_->Append(std::move(records));
  if (!positions.ok()) {
    Count(ctx.name, "failed", std::string(absl::StatusCodeToString(positions.status().code())));
    LogError("append failed", {{"cmd", ctx.cmd_id}, {"error", positions.status().ToString()}});
    return ApiError(absl::StatusCode::kUnavailable, "event_log_unavailable",
                    "the event log did not accept the write; retry with the same Idempotency-Key");
  }
  for (const auto& p : *positions) result.token.Add(p);
  if (metrics_ != nullptr)
    for (const Event& e : *decided)
      metrics_
          ->GetCounter("lens_events_appended_total", "Events appended to the log, by type",
                       {{"type", e.type}})
          ->Inc();
  result.events = std::move(*decided);

  // Later commands under these keys wait for these positions instead of
  // for the keys: they are free as soon as the log holds the events.
  for (const Held& h : held) {
    Stripe& s = stripes_[h.stripe];
    absl::MutexLock l(&s.tokens_mu);
    s.after_any.Merge(result.token);
    if (h.exclusive) s.after_exclusive.Merge(result.token);
  }
  unlock.Release();

  if (ack == Ack::kWhenApplied &&
      !state_runner_->WaitFor(result.token, absl::Now() + absl::Seconds(10)))
    LogWarn("decision state lags behind an append",
            {{"cmd", ctx.cmd_id}, {"token", result.token.ToString()}});
  Count(ctx.name, "accepted", "");
  return result;
}

}  // namespace lens
