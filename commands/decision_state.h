// DecisionState: what the command side knows when it decides, kept as a
// projection of the event log in its own RocksDB store (rebuilt from
// offset 0 on a fresh node). Column families:
//   users     BE64(user id) -> UserRecord JSON
//   usernames username      -> BE64(user id)
//   emails    email         -> BE64(user id)
//   sessions  BE64(session) -> SessionRecord JSON
//   commands  command id    -> the events an idempotent command appended
//
// Reads see what the ProjectorRunner has applied; the CommandBus waits for
// its own appends to be applied before it lets the next command on the
// same key decide. Thread-safety: reads from any thread; Apply from the
// runner's thread only.
#ifndef LENS_COMMANDS_DECISION_STATE_H_
#define LENS_COMMANDS_DECISION_STATE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/authenticator.h"
#include "commands/account_decider.h"
#include "eventlog/log_position.h"
#include "projector/projection.h"
#include "store/store.h"

namespace lens {

// What an idempotent command (one sent with an Idempotency-Key) appended.
struct CommandRecord {
  int64_t ts_ms = 0;
  std::vector<Event> events;
  ConsistencyToken token;
};

// Command ids of commands sent with an Idempotency-Key start with this.
inline constexpr std::string_view kIdempotentCommandPrefix = "k:";

class DecisionState : public Projection, public SessionRevocations {
 public:
  static std::vector<std::string> ColumnFamilies();

  explicit DecisionState(Store* store) : store_(store) {}

  std::string_view name() const override { return "decision"; }
  std::vector<std::string> column_families() const override { return ColumnFamilies(); }
  absl::Status Apply(const Event& event, const LogPosition& pos, ApplyContext& ctx) override;

  absl::StatusOr<std::optional<UserRecord>> GetUser(UserId id) const;
  absl::StatusOr<std::optional<UserId>> FindByUsername(std::string_view username) const;
  absl::StatusOr<std::optional<UserId>> FindByEmail(std::string_view email) const;
  absl::StatusOr<std::optional<SessionRecord>> GetSession(SessionId id) const;
  absl::StatusOr<std::optional<CommandRecord>> GetCommand(std::string_view cmd_id) const;

  absl::StatusOr<bool> IsRevoked(const TokenClaims& claims) override;

 private:
  absl::StatusOr<std::optional<std::string>> Read(std::string_view cf, std::string_view key) const;
  Store* store_;
};

}  // namespace lens

#endif  // LENS_COMMANDS_DECISION_STATE_H_
