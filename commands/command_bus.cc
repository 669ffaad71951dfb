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

absl::StatusOr<CommandResult> CommandBus::Execute(const CommandContext& ctx,
                                                  std::vector<std::string> lock_keys,
                                                  const DecideFn& decide) {
  if (!caught_up()) {
    Count(ctx.name, "failed", "catching_up");
    return ApiError(absl::StatusCode::kUnavailable, "catching_up",
                    "this node is still catching up with the event log; retry shortly");
  }
  const bool idempotent = ctx.cmd_id.rfind(kIdempotentCommandPrefix, 0) == 0;
  if (idempotent) lock_keys.push_back("cmd:" + ctx.cmd_id);

  // Lock the stripes in a global order so that two commands never wait on
  // each other in a cycle.
  std::vector<size_t> stripes;
  for (const auto& k : lock_keys) stripes.push_back(std::hash<std::string>()(k) % kStripes);
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  for (size_t s : stripes) stripes_[s].Lock();
  struct Unlock {
    CommandBus* bus;
    std::vector<size_t>& stripes;
    ~Unlock() {
      for (auto it = stripes.rbegin(); it != stripes.rend(); ++it) bus->stripes_[*it].Unlock();
    }
  } unlock{this, stripes};

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

  // The command is acknowledged once appended; waiting here only keeps the
  // next decision on these keys from reading stale state.
  if (!state_runner_->WaitFor(result.token, absl::Now() + absl::Seconds(10)))
    LogWarn("decision state lags behind an append",
            {{"cmd", ctx.cmd_id}, {"token", result.token.ToString()}});
  Count(ctx.name, "accepted", "");
  return result;
}

}  // namespace lens
