#include "projector/projector_runner.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "base/big_endian.h"
#include "base/log.h"
#include "base/thread_name.h"
#include "events/event_codec.h"
#include "projector/apply_context.h"
#include "store/rocksdb_status.h"

namespace lens {
namespace {

std::string CheckpointKey(uint32_t partition) {
  std::string k = "applied/";
  AppendBigEndian32(&k, partition);
  return k;
}

std::string SkippedKey(const LogPosition& pos) {
  std::string k = "skipped/";
  AppendBigEndian32(&k, pos.partition);
  AppendBigEndian64(&k, pos.offset);
  return k;
}

}  // namespace

ProjectorRunner::ProjectorRunner(EventLog* log, Store* store, Projection* projection,
                                 MetricsRegistry* metrics, ProjectorOptions options)
    : log_(log), store_(store), projection_(projection), options_(options),
      max_rate_(options.max_events_per_second) {
  if (metrics != nullptr) {
    MetricLabels labels{{"projection", std::string(projection->name())}};
    events_counter_ = metrics->GetCounter("lens_projector_events_applied_total",
                                          "Events applied by a projection", labels);
    skipped_counter_ = metrics->GetCounter(
        "lens_projector_events_skipped_total",
        "Undecodable log records a projection skipped (kept under skipped/ in its store)", labels);
    batch_latency_ = metrics->GetHistogram("lens_projector_apply_batch_seconds",
                                           "Time to apply and commit one batch", labels);
  }
}

ProjectorRunner::~ProjectorRunner() { Stop(); }

absl::StatusOr<std::vector<uint64_t>> ProjectorRunner::ReadCheckpoint(Store* store,
                                                                      uint32_t partitions) {
  std::vector<uint64_t> next(partitions, 0);
  for (uint32_t p = 0; p < partitions; ++p) {
    std::string v;
    rocksdb::Status s =
        store->db()->Get(rocksdb::ReadOptions(), store->cf("default"), CheckpointKey(p), &v);
    if (s.IsNotFound()) continue;
    if (!s.ok()) return FromRocks(s);
    if (v.size() != 8) return absl::DataLossError("corrupt checkpoint in " + store->path());
    next[p] = ReadBigEndian64(v);
  }
  return next;
}

absl::Status ProjectorRunner::Start() {
  auto checkpoint = ReadCheckpoint(store_, log_->partition_count());
  if (!checkpoint.ok()) return checkpoint.status();
  {
    absl::MutexLock lock(&mu_);
    applied_ = *checkpoint;
    status_ = absl::OkStatus();
    stopped_ = false;
  }
  stop_.store(false);
  fed_.store(false);
  thread_ = std::thread([this] {
    SetCurrentThreadName("proj-" + std::string(name()));
    Run();
  });
  return absl::OkStatus();
}

void ProjectorRunner::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  { absl::MutexLock apply(&apply_mu_); }  // waits out an OnDurable in progress
  absl::MutexLock lock(&mu_);
  stopped_ = true;  // wakes WaitFor callers
}

void ProjectorRunner::Run() {
  std::unique_ptr<LogReader> reader;
  absl::Duration backoff = absl::Milliseconds(50);
  // Rate cap: small batches (a tenth of a second's worth), and a sleep
  // whenever the events applied since `paced_from` run ahead of the cap.
  absl::Time paced_from = absl::Now();
  uint64_t paced_events = 0;
  while (!stop_.load()) {
    if (options_.fed_by_commits && HandOverIfCaughtUp()) return;
    const uint64_t rate = max_rate_.load();
    const size_t batch_limit = rate > 0 ? std::clamp<size_t>(rate / 10, 1, options_.max_batch_events)
                                        : options_.max_batch_events;
    if (reader == nullptr) {
      std::vector<std::pair<uint32_t, uint64_t>> starts;
      {
        absl::MutexLock lock(&mu_);
        for (uint32_t p = 0; p < applied_.size(); ++p) starts.emplace_back(p, applied_[p]);
      }
      auto r = log_->OpenReader(starts);
      if (!r.ok()) {
        LogWarn("projector cannot open a log reader",
                {{"projection", std::string(name())}, {"error", r.status().ToString()}});
        absl::SleepFor(backoff);
        backoff = std::min(backoff * 2, absl::Seconds(2));
        continue;
      }
      reader = std::move(*r);
    }
    if (rate > 0) {
      const absl::Time due = paced_from + absl::Seconds(static_cast<double>(paced_events) / rate);
      if (due > absl::Now()) {
        absl::SleepFor(std::min(due - absl::Now(), absl::Milliseconds(100)));
        continue;  // re-check stop_
      }
      if (absl::Now() - due > absl::Seconds(1)) {  // idle for a while: no credit
        paced_from = absl::Now();
        paced_events = 0;
      }
    }
    auto records = reader->Poll(batch_limit, options_.poll_timeout);
    bool reopen = false;
    if (records.ok() && !records->empty() && records->size() < batch_limit && rate == 0 &&
        options_.batch_window > absl::ZeroDuration()) {
      // Caught up, the log hands over each group commit on its own: wait a
      // moment and take what came meanwhile too, so that one write (and
      // one checkpoint) covers several commits.
      absl::SleepFor(options_.batch_window);
      auto more = reader->Poll(batch_limit - records->size(), absl::ZeroDuration());
      if (more.ok()) {
        for (StoredRecord& r : *more) records->push_back(std::move(r));
      } else {
        reopen = true;  // the reader may be past what it returned: apply, then reopen
      }
    }
    if (!records.ok()) {
      // A broken connection or a closed log: reopen from the checkpoint.
      if (stop_.load()) break;
      LogWarn("projector read failed; reopening",
              {{"projection", std::string(name())}, {"error", records.status().ToString()}});
      reader.reset();
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, absl::Seconds(2));
      continue;
    }
    backoff = absl::Milliseconds(50);
    paced_events += records->size();
    if (!records->empty()) {
      absl::MutexLock apply(&apply_mu_);
      // Fed by commits, OnDurable may have applied some of these already.
      absl::Status s = options_.fed_by_commits ? ApplyNext(*records) : ApplyBatch(*records);
      if (!s.ok()) return Fail(s);
    }
    if (reopen) reader.reset();
  }
}

void ProjectorRunner::Fail(const absl::Status& s) {
  LogError("projector stopped", {{"projection", std::string(name())}, {"error", s.ToString()}});
  absl::MutexLock lock(&mu_);
  status_ = s;
}

absl::Status ProjectorRunner::ApplyNext(const std::vector<StoredRecord>& records) {
  std::vector<uint64_t> next = applied();
  if (next.empty()) return absl::OkStatus();  // not started
  // Usually every record comes next; only around the hand-over do the
  // thread and OnDurable see the same records.
  bool all_next = true;
  for (const StoredRecord& r : records) {
    if (r.pos.partition >= next.size() || r.pos.offset != next[r.pos.partition]) {
      all_next = false;
      break;
    }
    ++next[r.pos.partition];
  }
  if (all_next) return ApplyBatch(records);
  std::vector<StoredRecord> subset;
  next = applied();
  for (const StoredRecord& r : records)
    if (r.pos.partition < next.size() && r.pos.offset == next[r.pos.partition]) {
      subset.push_back(r);
      ++next[r.pos.partition];
    }
  return subset.empty() ? absl::OkStatus() : ApplyBatch(subset);
}

bool ProjectorRunner::HandOverIfCaughtUp() {
  absl::MutexLock apply(&apply_mu_);
  // The log publishes its durable end before it calls OnDurable, so every
  // commit not yet covered by this check reaches OnDurable after it.
  std::vector<uint64_t> next = applied();
  for (uint32_t p = 0; p < next.size(); ++p) {
    auto end = log_->EndOffset(p);
    if (!end.ok() || *end != next[p]) return false;
  }
  fed_.store(true);
  return true;
}

void ProjectorRunner::OnDurable(const std::vector<StoredRecord>& records) {
  absl::MutexLock apply(&apply_mu_);
  if (stop_.load() || !health().ok()) return;
  if (absl::Status s = ApplyNext(records); !s.ok()) return Fail(s);
  if (!fed_.load()) return;  // the catch-up thread reads what was skipped
  // Once handed over, this is the only way records get applied: one still
  // not applied now was lost between the log and here.
  std::vector<uint64_t> next = applied();
  for (const StoredRecord& r : records)
    if (r.pos.partition >= next.size() || r.pos.offset >= next[r.pos.partition])
      return Fail(absl::InternalError(
          "projector " + std::string(name()) + ": a commit at " + std::to_string(r.pos.partition) +
          ":" + std::to_string(r.pos.offset) + " does not follow what was applied"));
}

absl::Status ProjectorRunner::ApplyBatch(const std::vector<StoredRecord>& records) {
  auto started = std::chrono::steady_clock::now();
  ApplyContext ctx(store_);
  std::vector<uint64_t> next;
  {
    absl::MutexLock lock(&mu_);
    next = applied_;
  }
  const std::vector<uint64_t> first = next;
  uint64_t skipped = 0;
  for (const StoredRecord& r : records) {
    if (r.pos.offset != next[r.pos.partition])
      return absl::InternalError("projector " + std::string(name()) + ": expected offset " +
                                 std::to_string(next[r.pos.partition]) + " in partition " +
                                 std::to_string(r.pos.partition) + ", got " +
                                 std::to_string(r.pos.offset));
    if (std::optional<std::string_view> type = PeekEventType(r.value);
        type && !projection_->Handles(*type)) {
      next[r.pos.partition] = r.pos.offset + 1;
      continue;
    }
    auto event = DecodeEvent(r.value);
    if (!event.ok()) {
      if (event.status().code() == absl::StatusCode::kFailedPrecondition)
        return absl::FailedPreconditionError(std::string(event.status().message()) +
                                             ": upgrade this node");
      // A record that is not an event at all (written by a foreign
      // producer, or corrupt): keep it aside with the reason and go on.
      ctx.Put("default", SkippedKey(r.pos), event.status().ToString());
      ++skipped;
    } else {
      absl::Status s = projection_->Apply(*event, r.pos, ctx);
      if (!s.ok())
        return absl::Status(
            s.code(), "applying " + event->type + " at " + std::to_string(r.pos.partition) + ":" +
                          std::to_string(r.pos.offset) + ": " + std::string(s.message()));
    }
    next[r.pos.partition] = r.pos.offset + 1;
  }
  // Only the partitions this batch advanced: with small batches (a caught-up
  // projector applies each group commit) the others would double its writes.
  for (uint32_t p = 0; p < next.size(); ++p)
    if (next[p] != first[p]) ctx.Put("default", CheckpointKey(p), BigEndian64(next[p]));
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  absl::Status s = store_->Write(wo, ctx.Finish());
  if (!s.ok()) return s;
  {
    absl::MutexLock lock(&mu_);
    applied_ = next;
  }
  events_applied_.fetch_add(records.size());
  rate_.Add(records.size());
  if (events_counter_ != nullptr) events_counter_->Inc(records.size() - skipped);
  if (skipped_counter_ != nullptr && skipped > 0) skipped_counter_->Inc(skipped);
  if (batch_latency_ != nullptr)
    batch_latency_->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  projection_->OnCommitted();
  return absl::OkStatus();
}

bool ProjectorRunner::IsApplied(const ConsistencyToken& token) {
  absl::MutexLock lock(&mu_);
  for (const auto& [p, o] : token.last_offsets())
    if (p >= applied_.size() || applied_[p] <= o) return false;
  return true;
}

bool ProjectorRunner::WaitFor(const ConsistencyToken& token, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!status_.ok() || stopped_) return true;
    for (const auto& [p, o] : token.last_offsets())
      if (p >= applied_.size() || applied_[p] <= o) return false;
    return true;
  };
  mu_.AwaitWithDeadline(absl::Condition(&done), deadline);
  if (!status_.ok()) return false;
  for (const auto& [p, o] : token.last_offsets())
    if (p >= applied_.size() || applied_[p] <= o) return false;
  return true;
}

std::vector<uint64_t> ProjectorRunner::applied() const {
  absl::MutexLock lock(&mu_);
  return applied_;
}

uint64_t ProjectorRunner::Lag() {
  std::vector<uint64_t> a = applied();
  uint64_t lag = 0;
  for (uint32_t p = 0; p < a.size(); ++p) {
    auto end = log_->EndOffset(p);
    if (end.ok() && *end > a[p]) lag += *end - a[p];
  }
  return lag;
}

absl::Status ProjectorRunner::health() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

}  // namespace lens
