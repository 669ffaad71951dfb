// CommandBus: runs a command's decide step and appends what it decided.
//
//   1. the command's keys are locked (lock striping), so commands on the
//      same aggregate — and registrations of the same username or email —
//      decide one at a time;
//   2. an idempotent command (Idempotency-Key) already executed is not run
//      again: its recorded events are returned (`replayed`);
//   3. decide() runs against the decision state;
//   4. the events get their envelope (id, ts, actor, cmd) and are appended;
//   5. the bus waits until the decision state has applied them, so the
//      next command on the same keys decides on up-to-date state.
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

  absl::StatusOr<CommandResult> Execute(const CommandContext& ctx,
                                        std::vector<std::string> lock_keys, const DecideFn& decide);

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
  void Count(const std::string& command, const std::string& outcome, const std::string& reason);

  EventLog* log_;
  IdGenerator* ids_;
  DecisionState* state_;
  ProjectorRunner* state_runner_;
  MetricsRegistry* metrics_;
  std::array<absl::Mutex, kStripes> stripes_;
  ConsistencyToken catch_up_;
  std::atomic<bool> caught_up_{true};
};

}  // namespace lens

#endif  // LENS_COMMANDS_COMMAND_BUS_H_
