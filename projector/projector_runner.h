// ProjectorRunner: runs one Projection over the event log on its own thread.
//
// It reads every partition from the checkpoint stored in the projection's
// own Store, applies events in batches, and writes each batch's model
// changes and the new checkpoint ("applied/<partition>" in the default
// column family) in one atomic WriteBatch: a crash at any point neither
// loses nor double-applies an event.
//
// Fed by commits (ProjectorOptions::fed_by_commits): the runner is also the
// log's CommitObserver. Its thread reads the log only until the projection
// has caught up with the log's end; from then on the log's writer applies
// each group of records through OnDurable before the appends are
// acknowledged, so an acknowledged append is already applied. That is what
// the command side wants of its decision state: no reader thread to wake
// and wait for between a command's append and the next decision.
//
// Thread-safety: Start/Stop from the owning thread; the query methods
// (WaitFor, applied, lag) from any thread; OnDurable from the log's writer.
#ifndef LENS_PROJECTOR_PROJECTOR_RUNNER_H_
#define LENS_PROJECTOR_PROJECTOR_RUNNER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/metrics.h"
#include "base/rate_meter.h"
#include "eventlog/event_log.h"
#include "projector/projection.h"
#include "store/store.h"

namespace lens {

struct ProjectorOptions {
  size_t max_batch_events = 1024;  // events per WriteBatch
  absl::Duration poll_timeout = absl::Milliseconds(200);
  bool sync_writes = false;  // the log is the durable copy; a lost tail is re-applied
  // 0: as fast as it can. Otherwise an average cap, e.g. for a rebuild that
  // must leave the machine to the serving projections.
  uint64_t max_events_per_second = 0;
  // The log calls OnDurable with every commit (register the runner with
  // EventLog::SetCommitObserver before Start, and unregister it before it
  // is destroyed); the runner's thread only catches up.
  bool fed_by_commits = false;
  // Once caught up, how long the runner waits after the first new records
  // for more, to apply them in one batch: fewer, larger writes for up to
  // this much staleness. Zero: apply each poll's records at once.
  absl::Duration batch_window = absl::ZeroDuration();
};

class ProjectorRunner : public CommitObserver {
 public:
  // `log`, `store`, `projection` and `metrics` (may be null) must outlive
  // the runner. The store must have the projection's column families.
  ProjectorRunner(EventLog* log, Store* store, Projection* projection, MetricsRegistry* metrics,
                  ProjectorOptions options = {});
  ProjectorRunner(const ProjectorRunner&) = delete;
  ProjectorRunner& operator=(const ProjectorRunner&) = delete;
  ~ProjectorRunner() override;  // Stop()

  // Loads the checkpoint and starts applying on a background thread.
  absl::Status Start();
  // Finishes the batch in progress and joins the thread. Idempotent.
  void Stop();

  // Waits until every offset in `token` is applied, or `deadline`. Returns
  // true when applied. False at the deadline, if the runner failed, or as
  // soon as it is stopped (a caller may then ask whichever runner replaced
  // it).
  bool WaitFor(const ConsistencyToken& token, absl::Time deadline);
  bool IsApplied(const ConsistencyToken& token);

  // Next offset to apply, per partition.
  std::vector<uint64_t> applied() const;
  // Records in the log not yet applied, summed over partitions.
  uint64_t Lag();
  // OK while running; the error that stopped it otherwise.
  absl::Status health() const;
  std::string_view name() const { return projection_->name(); }
  uint64_t events_applied() const { return events_applied_.load(); }
  // Changes the cap of ProjectorOptions::max_events_per_second (0: none)
  // while running.
  void SetMaxEventsPerSecond(uint64_t rate) { max_rate_.store(rate); }
  // Records applied per second over the last few seconds.
  double events_per_second() const { return rate_.PerSecond(); }

  // CommitObserver: applies the records that follow what is applied (the
  // rest were applied already, or the catch-up thread will read them).
  void OnDurable(const std::vector<StoredRecord>& records) override;
  // True once the catch-up thread has handed over to OnDurable.
  bool fed() const { return fed_.load(); }

  // Reads the checkpoint stored in `store` (for tools).
  static absl::StatusOr<std::vector<uint64_t>> ReadCheckpoint(Store* store, uint32_t partitions);

 private:
  void Run();
  // Applies the records that come next (offset == applied) and skips the
  // others (applied already, or after a gap the thread has yet to read).
  absl::Status ApplyNext(const std::vector<StoredRecord>& records)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  // Records the error that stops the runner.
  void Fail(const absl::Status& s);
  // Fed by commits: true, and the thread may end, once every partition is
  // applied up to the log's end.
  bool HandOverIfCaughtUp();
  absl::Status ApplyBatch(const std::vector<StoredRecord>& records);

  EventLog* const log_;
  Store* const store_;
  Projection* const projection_;
  const ProjectorOptions options_;

  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> events_applied_{0};
  std::atomic<uint64_t> max_rate_{0};
  std::atomic<bool> fed_{false};
  // Serialises applying between the catch-up thread and OnDurable.
  absl::Mutex apply_mu_;

  mutable absl::Mutex mu_;
  std::vector<uint64_t> applied_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  RateMeter rate_;

  Counter* events_counter_ = nullptr;
  Counter* skipped_counter_ = nullptr;
  Histogram* batch_latency_ = nullptr;
};

}  // namespace lens

#endif  // LENS_PROJECTOR_PROJECTOR_RUNNER_H_
