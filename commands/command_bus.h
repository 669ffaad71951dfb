// CommandBus: runs a command's decide step and appends what it decided.
//
//   1. the command's keys are locked (lock striping, see CommandLocks), so
//      commands that change what another decides on — and registrations of
//      the same username or email — decide one at a time;
//   2. the bus waits until the decision state holds what earlier commands
//      under those keys appended (their answers may not have waited);
//   3. an idempotent command (Idempotency-Key) already executed is not run
//      again: its recorded events are returned (`replayed`);
//   4. decide() runs against the decision state;
//   5. the events get their envelope (id, ts, actor, cmd) and are appended,
//      their positions are noted under the keys, and the keys are released;
//   6. with Ack::kWhenApplied the bus waits until the decision state has
//      applied them, so that the handler can read its answer back.
//
// On the embedded log the decision state is applied before an append
// returns, so steps 2 and 6 never wait. On Kafka it is applied when the
// records come back from the broker: a command whose answer needs nothing
// from the decision state (Ack::kWhenAppended) is acknowledged as soon as
// the broker holds it, and only a later command under the same keys waits.
//
// Thread-safety: Execute may be called from any number of threads.
#ifndef LENS_COMMANDS_COMMAND_BUS_H_
#define LENS_COMMANDS_COMMAND_BUS_H_

#include <array>
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/metrics.h"
#include "commands/decision_state.h"
#include "eventlog/event_log.h"
#include "events/id_generator.h"
#include "projector/projector_runner.h"

namespace lens {

struct CommandContext {
  std::string name;    // for metrics: "register", "login", ...
  std::string cmd_id;  // "k:<hash>" for idempotent commands, else the request id
  std::string actor;   // user id, or "" when anonymous
};

struct CommandResult {
  std::vector<Event> events;  // what the command appended (or had appended)
  ConsistencyToken token;     // positions of those events
  bool replayed = false;      // true: an earlier run with the same key answered
};

using DecideFn = std::function<absl::StatusOr<std::vector<Event>>()>;

// What a command locks while it decides and appends: keys that name state
// decisions read ("user:<id>", "post:<id>", "username:<name>", ...).
//   exclusive  the command changes what other commands decide on under the
//              key (deleting a post, blocking an account, turning private);
//   shared     it only reads what the key names, or changes nothing another
//              command decides on (a like of a post: the likes of one post
//              by many users decide side by side, as do the follows of one
//              account).
// The actor ("user:<actor>") is locked too, exclusively by default: a
// client's next command then decides on everything its previous one
// appended. A command that changes nothing the actor's later commands
// decide on, other than under its own exclusive keys (a like: only the
// like of that post by that user), sets `actor_shared`, so that one user's
// quick likes do not wait for each other.
struct CommandLocks {
  std::vector<std::string> exclusive;
  std::vector<std::string> shared;
  bool actor_shared = false;
};

// When Execute returns.
enum class Ack {
  kWhenApplied,   // the decision state has applied the events: the handler
                  // may read its answer back from it
  kWhenAppended,  // the log holds the events (durably): for handlers whose
                  // answer needs nothing the events changed
};

class CommandBus {
 public:
  // All pointers must outlive the bus.
  CommandBus(EventLog* log, IdGenerator* ids, DecisionState* state, ProjectorRunner* state_runner,
             MetricsRegistry* metrics);
  CommandBus(const CommandBus&) = delete;
  CommandBus& operator=(const CommandBus&) = delete;

  // Records where the log ends now: until the decision state has applied
  // that far, Execute refuses with Unavailable ("catching up"), so that a
  // fresh or restarted node never decides on state that misses events
  // already in the log (a username taken before the restart, say).
  absl::Status RequireCatchUpToLogEnd();
  bool caught_up();

  // Waits until the decision state holds everything `ctx.actor`'s commands
  // appended, for a handler that looks something up before Execute (the
  // post of a comment to delete, say). Unavailable as Execute's below.
  absl::Status AwaitActorWrites(const CommandContext& ctx);

  // Unavailable ("decision_state_behind") when the decision state has not
  // applied, within 10 s, what earlier commands under the same keys
  // appended; nothing is appended then.
  absl::StatusOr<CommandResult> Execute(const CommandContext& ctx, CommandLocks locks,
                                        const DecideFn& decide, Ack ack = Ack::kWhenApplied);

  // The command id for a request: "k:" + a hash of (actor, method, path,
  // Idempotency-Key) when the key is present, else `request_id`. 400 for a
  // key that is empty, longer than 255 bytes or not printable ASCII.
  static absl::StatusOr<std::string> CommandIdFor(std::string_view actor, std::string_view method,
                                                  std::string_view path,
                                                  std::optional<std::string_view> idempotency_key,
                                                  std::string_view request_id);

  // How long idempotency records answer retries.
  static constexpr absl::Duration kIdempotencyWindow = absl::Milliseconds(kIdempotencyWindowMs);

 private:
  static constexpr size_t kStripes = 4096;
  struct Stripe {
    absl::Mutex mu;  // held (exclusively or shared) while a command decides
    absl::Mutex tokens_mu;
    // Where the appends of the commands that held this stripe end: those
    // that held it exclusively, and all of them. A command that takes it
    // shared waits for the first, one that takes it exclusively for both.
    ConsistencyToken after_exclusive ABSL_GUARDED_BY(tokens_mu);
    ConsistencyToken after_any ABSL_GUARDED_BY(tokens_mu);
  };
  absl::Status AwaitApplied(const ConsistencyToken& token, const CommandContext& ctx);
  void Count(const std::string& command, const std::string& outcome, const std::string& reason);

  EventLog* log_;
  IdGenerator* ids_;
  DecisionState* state_;
  ProjectorRunner* state_runner_;
  MetricsRegistry* metrics_;
  std::array<Stripe, kStripes> stripes_;
  ConsistencyToken catch_up_;
  std::atomic<bool> caught_up_{true};
};

}  // namespace lens

#endif  // LENS_COMMANDS_COMMAND_BUS_H_
