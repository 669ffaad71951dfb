// ProjectorRunner: runs one Projection over the event log on its own thread.
//
// It reads every partition from the checkpoint stored in the projection's
// own Store, applies events in batches, and writes each batch's model
// changes and the new checkpoint ("applied/<partition>" in the default
// column family) in one atomic WriteBatch: a crash at any point neither
// loses nor double-applies an event.
//
// Thread-safety: Start/Stop from the owning thread; the query methods
// (WaitFor, applied, lag) from any thread.
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
};

class ProjectorRunner {
 public:
  // `log`, `store`, `projection` and `metrics` (may be null) must outlive
  // the runner. The store must have the projection's column families.
  ProjectorRunner(EventLog* log, Store* store, Projection* projection, MetricsRegistry* metrics,
                  ProjectorOptions options = {});
  ProjectorRunner(const ProjectorRunner&) = delete;
  ProjectorRunner& operator=(const ProjectorRunner&) = delete;
  ~ProjectorRunner();  // Stop()

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

  // Reads the checkpoint stored in `store` (for tools).
  static absl::StatusOr<std::vector<uint64_t>> ReadCheckpoint(Store* store, uint32_t partitions);

 private:
  void Run();
  absl::Status ApplyBatch(const std::vector<StoredRecord>& records);

  EventLog* const log_;
  Store* const store_;
  Projection* const projection_;
  const ProjectorOptions options_;

  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> events_applied_{0};
  std::atomic<uint64_t> max_rate_{0};

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
