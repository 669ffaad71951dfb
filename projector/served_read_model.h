// ServedReadModel: one read model as a node serves it — the store queries
// read (through a StoreSlot) and the runner that keeps it current — and the
// rebuild that replaces it while it keeps serving.
//
// A rebuild applies the whole log from offset 0 into a fresh store (the
// next generation, see ReadModelDirs) on its own runner. Once it is within
// about 0.1 s of work of the log end, it swaps:
//   1. stop the serving runner at position P;
//   2. let the rebuild runner reach P, without its rate cap (milliseconds:
//      it was close);
//   3. make the new generation active on disk, then in the slot, and keep
//      applying to it with a serving runner.
// Queries read the old store until step 3 and the new one after it; both
// are complete models at or past P, so no query sees a half-built model or
// goes back in time, and consistency waits carry over to the new runner.
// The old generation is deleted once its last read has finished.
//
// A rebuild can be paused (kept on disk, resumed from its own checkpoint)
// or discarded; a process killed mid-rebuild serves the old generation at
// its next start and reports the rebuild as paused.
//
// Thread-safety: all methods from any thread. The rebuild runs on a
// controller thread of its own.
#ifndef LENS_PROJECTOR_SERVED_READ_MODEL_H_
#define LENS_PROJECTOR_SERVED_READ_MODEL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/json.h"
#include "base/metrics.h"
#include "eventlog/event_log.h"
#include "projector/projection.h"
#include "projector/projector_runner.h"
#include "store/read_model_dirs.h"
#include "store/store_slot.h"

namespace lens {

struct ServedReadModelOptions {
  std::string name;  // the projection's name
  std::function<std::unique_ptr<Projection>()> make_projection;
  const ReadModelDirs* dirs = nullptr;
  EventLog* log = nullptr;
  MetricsRegistry* metrics = nullptr;  // may be null
  ProjectorOptions projector;
  // How long step 2 of a swap may take (the serving model does not advance
  // meanwhile) before the swap is called off and retried later.
  absl::Duration swap_catch_up_timeout = absl::Seconds(2);
};

struct RebuildOptions {
  bool restart = false;  // discard a paused rebuild first
  uint64_t max_events_per_second = 0;  // 0: no cap
};

enum class RebuildState { kNone, kRunning, kSwapping, kPaused, kFailed, kDone };
std::string_view RebuildStateName(RebuildState state);

struct RebuildProgress {
  RebuildState state = RebuildState::kNone;
  uint32_t generation = 0;  // the generation being built (or built, when done)
  uint64_t applied = 0;     // log records applied to it
  uint64_t target = 0;      // records in the log at the last look
  double events_per_second = 0;
  double eta_seconds = -1;  // unknown
  int64_t started_at_ms = 0;
  int64_t finished_at_ms = 0;
  std::string error;  // why it failed

  Json ToJson() const;
};

class ServedReadModel {
 public:
  // Opens the serving generation (creating generation 0 on a new node),
  // deletes generations left over from an earlier swap and finds a paused
  // rebuild. Does not start applying: see Start().
  static absl::StatusOr<std::unique_ptr<ServedReadModel>> Open(ServedReadModelOptions options);

  ServedReadModel(const ServedReadModel&) = delete;
  ServedReadModel& operator=(const ServedReadModel&) = delete;
  ~ServedReadModel();  // Stop()

  absl::Status Start();
  // Pauses a rebuild in progress (it stays on disk) and stops applying.
  void Stop();

  const std::string& name() const { return options_.name; }
  const StoreSlot* slot() const { return &slot_; }
  uint32_t generation() const;
  // The runner applying to the serving store.
  std::shared_ptr<ProjectorRunner> runner() const;
  // As ProjectorRunner::WaitFor, across a swap.
  bool WaitFor(const ConsistencyToken& token, absl::Time deadline);

  // Starts (or resumes, from its checkpoint) a rebuild. FailedPrecondition
  // while one is running.
  absl::Status StartRebuild(const RebuildOptions& options);
  // Stops the rebuild and keeps it on disk. OK when none is running.
  absl::Status PauseRebuild();
  // Stops the rebuild and deletes it. NotFound when there is none.
  absl::Status DiscardRebuild();
  RebuildProgress rebuild() const;

 private:
  struct Generation {
    uint32_t number = 0;
    std::shared_ptr<Store> store;
    std::unique_ptr<Projection> projection;
    std::shared_ptr<ProjectorRunner> runner;
  };

  explicit ServedReadModel(ServedReadModelOptions options);
  // The store and projection of a generation, with a runner: the serving
  // kind (with metrics) or a rebuild's (no metrics, `rebuild` options).
  absl::StatusOr<Generation> OpenGeneration(uint32_t number, bool with_metrics) const;
  std::shared_ptr<ProjectorRunner> RebuildRunner(const Generation& g,
                                                 const RebuildOptions& options) const;
  void RunRebuild();
  // Steps 1-3 of the header comment. OK when swapped; on an error the old
  // generation keeps serving and the rebuild goes on.
  absl::Status Swap();
  void ReleaseGeneration(Generation old);
  void StopRebuildThread();

  const ServedReadModelOptions options_;
  StoreSlot slot_;

  // Serialises Start/Pause/Discard/Stop; never held by the rebuild thread.
  absl::Mutex control_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::thread rebuild_thread_;
  std::atomic<bool> pause_requested_{false};

  mutable absl::Mutex mu_;
  Generation serving_ ABSL_GUARDED_BY(mu_);
  Generation rebuilding_ ABSL_GUARDED_BY(mu_);  // store empty when there is none
  RebuildProgress progress_ ABSL_GUARDED_BY(mu_);
  uint64_t rebuild_rate_ ABSL_GUARDED_BY(mu_) = 0;  // its events/s cap, 0: none
};

}  // namespace lens

#endif  // LENS_PROJECTOR_SERVED_READ_MODEL_H_
