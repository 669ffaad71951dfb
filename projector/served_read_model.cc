#include "projector/served_read_model.h"

#include <algorithm>
#include <numeric>

#include "base/log.h"
#include "base/rate_meter.h"
#include "base/thread_name.h"
#include "base/time.h"

namespace lens {
namespace {

uint64_t Sum(const std::vector<uint64_t>& v) { return std::accumulate(v.begin(), v.end(), uint64_t{0}); }

bool AtOrPast(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] < b[i]) return false;
  return true;
}

}  // namespace

std::string_view RebuildStateName(RebuildState state) {
  switch (state) {
    case RebuildState::kNone: return "none";
    case RebuildState::kRunning: return "running";
    case RebuildState::kSwapping: return "swapping";
    case RebuildState::kPaused: return "paused";
    case RebuildState::kFailed: return "failed";
    case RebuildState::kDone: return "done";
  }
  return "unknown";
}

Json RebuildProgress::ToJson() const {
  Json j{{"state", RebuildStateName(state)}};
  if (state == RebuildState::kNone) return j;
  j["generation"] = generation;
  j["applied"] = applied;
  j["target"] = target;
  j["events_per_second"] = events_per_second;
  if (eta_seconds >= 0) j["eta_seconds"] = eta_seconds;
  if (started_at_ms) j["started_at"] = FormatIsoMillis(started_at_ms);
  if (finished_at_ms) j["finished_at"] = FormatIsoMillis(finished_at_ms);
  if (!error.empty()) j["error"] = error;
  return j;
}

ServedReadModel::ServedReadModel(ServedReadModelOptions options) : options_(std::move(options)) {}

ServedReadModel::~ServedReadModel() { Stop(); }

absl::StatusOr<ServedReadModel::Generation> ServedReadModel::OpenGeneration(
    uint32_t number, bool with_metrics) const {
  Generation g;
  g.number = number;
  g.projection = options_.make_projection();
  StoreOptions so;
  so.path = options_.dirs->PathOf(options_.name, number);
  so.column_families = g.projection->column_families();
  so.hot_counter_families = g.projection->hot_counter_families();
  so.cached_families = g.projection->cached_families();
  so.expiring_families_ms = g.projection->expiring_families_ms();
  auto store = Store::Open(so);
  if (!store.ok()) return store.status();
  g.store = std::move(*store);
  // A rebuild's runner reports no metrics: they describe what serves.
  g.runner = std::make_shared<ProjectorRunner>(options_.log, g.store.get(), g.projection.get(),
                                               with_metrics ? options_.metrics : nullptr,
                                               options_.projector);
  return g;
}

std::shared_ptr<ProjectorRunner> ServedReadModel::RebuildRunner(const Generation& g,
                                                                const RebuildOptions& options) const {
  ProjectorOptions po = options_.projector;
  po.max_events_per_second = options.max_events_per_second;
  return std::make_shared<ProjectorRunner>(options_.log, g.store.get(), g.projection.get(), nullptr,
                                           po);
}

absl::StatusOr<std::unique_ptr<ServedReadModel>> ServedReadModel::Open(
    ServedReadModelOptions options) {
  std::unique_ptr<ServedReadModel> m(new ServedReadModel(std::move(options)));
  const ReadModelDirs& dirs = *m->options_.dirs;
  const std::string& name = m->options_.name;
  auto active = dirs.Active(name);
  if (!active.ok()) return active.status();
  std::vector<uint32_t> generations = dirs.Generations(name);
  uint32_t pending = 0;
  for (uint32_t g : generations) {
    if (g < *active) {
      // Left over from a swap whose cleanup did not finish.
      if (absl::Status s = dirs.Remove(name, g); !s.ok()) return s;
    } else if (g > *active) {
      if (pending != 0)
        if (absl::Status s = dirs.Remove(name, pending); !s.ok()) return s;
      pending = g;
    }
  }
  auto serving = m->OpenGeneration(*active, /*with_metrics=*/true);
  if (!serving.ok()) return serving.status();
  absl::MutexLock lock(&m->mu_);
  m->slot_.Swap(serving->store);
  m->serving_ = std::move(*serving);
  if (pending != 0) {
    auto rebuild = m->OpenGeneration(pending, /*with_metrics=*/false);
    if (!rebuild.ok()) return rebuild.status();
    auto applied = ProjectorRunner::ReadCheckpoint(rebuild->store.get(),
                                                   m->options_.log->partition_count());
    if (!applied.ok()) return applied.status();
    m->progress_.state = RebuildState::kPaused;
    m->progress_.generation = pending;
    m->progress_.applied = Sum(*applied);
    m->rebuilding_ = std::move(*rebuild);
  }
  return m;
}

absl::Status ServedReadModel::Start() { return runner()->Start(); }

void ServedReadModel::Stop() {
  {
    absl::MutexLock control(&control_mu_);
    StopRebuildThread();
  }
  if (auto r = runner()) r->Stop();
}

uint32_t ServedReadModel::generation() const {
  absl::MutexLock lock(&mu_);
  return serving_.number;
}

std::shared_ptr<ProjectorRunner> ServedReadModel::runner() const {
  absl::MutexLock lock(&mu_);
  return serving_.runner;
}

bool ServedReadModel::WaitFor(const ConsistencyToken& token, absl::Time deadline) {
  for (;;) {
    std::shared_ptr<ProjectorRunner> r = runner();
    if (r->WaitFor(token, deadline)) return true;
    if (absl::Now() >= deadline || !r->health().ok()) return false;
    // The runner was stopped: a swap is under way. Wait on its successor.
    if (runner() == r) absl::SleepFor(absl::Milliseconds(2));
  }
}

absl::Status ServedReadModel::StartRebuild(const RebuildOptions& options) {
  const bool restart = options.restart;
  absl::MutexLock control(&control_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (progress_.state == RebuildState::kRunning || progress_.state == RebuildState::kSwapping)
      return absl::FailedPreconditionError("a rebuild of " + options_.name + " is already running");
  }
  if (rebuild_thread_.joinable()) rebuild_thread_.join();  // a finished one

  Generation resume;
  {
    absl::MutexLock lock(&mu_);
    resume = std::move(rebuilding_);
    rebuilding_ = Generation();
  }
  if (resume.store != nullptr && restart) {
    const uint32_t number = resume.number;
    resume = Generation();  // closes the store
    if (absl::Status s = options_.dirs->Remove(options_.name, number); !s.ok()) return s;
  }
  if (resume.store == nullptr) {
    uint32_t next = generation() + 1;
    for (uint32_t g : options_.dirs->Generations(options_.name)) next = std::max(next, g + 1);
    auto fresh = OpenGeneration(next, /*with_metrics=*/false);
    if (!fresh.ok()) return fresh.status();
    resume = std::move(*fresh);
  }
  resume.runner = RebuildRunner(resume, options);
  if (absl::Status s = resume.runner->Start(); !s.ok()) return s;
  LogInfo("rebuild started", {{"projection", options_.name},
                              {"generation", std::to_string(resume.number)},
                              {"resumed_at", std::to_string(Sum(resume.runner->applied()))}});
  {
    absl::MutexLock lock(&mu_);
    const bool resumed = progress_.state == RebuildState::kPaused && !restart &&
                         progress_.generation == resume.number;
    const int64_t started = resumed ? progress_.started_at_ms : 0;
    progress_ = RebuildProgress();
    progress_.state = RebuildState::kRunning;
    progress_.generation = resume.number;
    progress_.applied = Sum(resume.runner->applied());
    progress_.started_at_ms = started ? started : NowMillis();
    rebuilding_ = std::move(resume);
    rebuild_rate_ = options.max_events_per_second;
  }
  pause_requested_.store(false);
  rebuild_thread_ = std::thread([this] {
    SetCurrentThreadName("rebuild-" + options_.name);
    RunRebuild();
  });
  return absl::OkStatus();
}

void ServedReadModel::StopRebuildThread() {
  pause_requested_.store(true);
  if (rebuild_thread_.joinable()) rebuild_thread_.join();
  pause_requested_.store(false);
}

absl::Status ServedReadModel::PauseRebuild() {
  absl::MutexLock control(&control_mu_);
  StopRebuildThread();
  return absl::OkStatus();
}

absl::Status ServedReadModel::DiscardRebuild() {
  absl::MutexLock control(&control_mu_);
  StopRebuildThread();
  Generation discard;
  {
    absl::MutexLock lock(&mu_);
    discard = std::move(rebuilding_);
    rebuilding_ = Generation();
    if (discard.store == nullptr) return absl::NotFoundError("no rebuild of " + options_.name);
    progress_ = RebuildProgress();
  }
  const uint32_t number = discard.number;
  discard = Generation();
  LogInfo("rebuild discarded", {{"projection", options_.name}, {"generation", std::to_string(number)}});
  return options_.dirs->Remove(options_.name, number);
}

RebuildProgress ServedReadModel::rebuild() const {
  absl::MutexLock lock(&mu_);
  return progress_;
}

void ServedReadModel::RunRebuild() {
  std::shared_ptr<ProjectorRunner> runner;
  {
    absl::MutexLock lock(&mu_);
    runner = rebuilding_.runner;
  }
  const uint32_t partitions = options_.log->partition_count();
  // Close enough to swap: what the rebuild applies in about 0.1 s (a few
  // milliseconds at full speed), so step 2 of the swap is short.
  uint64_t close_enough;
  {
    absl::MutexLock lock(&mu_);
    close_enough = rebuild_rate_ > 0 ? std::max<uint64_t>(1, rebuild_rate_ / 10) : 256;
  }
  // How fast the log grows: the rebuild gains on it only by the difference.
  RateMeter log_growth;
  uint64_t last_target = 0;
  while (!pause_requested_.load()) {
    absl::SleepFor(absl::Milliseconds(50));
    if (absl::Status h = runner->health(); !h.ok()) {
      runner->Stop();
      absl::MutexLock lock(&mu_);
      progress_.state = RebuildState::kFailed;
      progress_.error = std::string(h.message());
      LogError("rebuild failed", {{"projection", options_.name}, {"error", progress_.error}});
      return;
    }
    const std::vector<uint64_t> applied = runner->applied();
    uint64_t target = 0;
    bool ends_known = true;
    for (uint32_t p = 0; p < partitions; ++p) {
      auto end = options_.log->EndOffset(p);
      if (!end.ok()) {
        ends_known = false;
        break;
      }
      target += std::max(*end, p < applied.size() ? applied[p] : 0);
    }
    const double rate = runner->events_per_second();
    if (ends_known) {
      if (last_target != 0 && target > last_target) log_growth.Add(target - last_target);
      last_target = target;
    }
    const double gain = rate - log_growth.PerSecond();
    {
      absl::MutexLock lock(&mu_);
      progress_.applied = Sum(applied);
      if (ends_known) progress_.target = target;
      progress_.events_per_second = rate;
      // Unknown (-1) while the log grows as fast as the rebuild applies.
      progress_.eta_seconds =
          gain > 0 ? static_cast<double>(progress_.target - progress_.applied) / gain : -1;
    }
    if (ends_known && target - Sum(applied) <= close_enough) {
      absl::Status s = Swap();
      if (s.ok()) return;
      LogWarn("rebuild swap deferred", {{"projection", options_.name}, {"error", s.ToString()}});
      absl::MutexLock lock(&mu_);
      progress_.state = RebuildState::kRunning;
      progress_.error = std::string(s.message());
    }
  }
  runner->Stop();
  absl::MutexLock lock(&mu_);
  progress_.state = RebuildState::kPaused;
  progress_.applied = Sum(runner->applied());
  progress_.events_per_second = 0;
  progress_.eta_seconds = -1;
  LogInfo("rebuild paused", {{"projection", options_.name},
                             {"applied", std::to_string(progress_.applied)}});
}

absl::Status ServedReadModel::Swap() {
  std::shared_ptr<ProjectorRunner> old_runner, new_runner;
  uint32_t number;
  {
    absl::MutexLock lock(&mu_);
    progress_.state = RebuildState::kSwapping;
    old_runner = serving_.runner;
    new_runner = rebuilding_.runner;
    number = rebuilding_.number;
  }
  // 1. Freeze the serving model at P.
  old_runner->Stop();
  const std::vector<uint64_t> p = old_runner->applied();
  new_runner->SetMaxEventsPerSecond(0);
  // 2. The rebuild reaches P.
  const absl::Time deadline = absl::Now() + options_.swap_catch_up_timeout;
  while (!AtOrPast(new_runner->applied(), p)) {
    if (!new_runner->health().ok() || absl::Now() > deadline) {
      absl::Status restart = old_runner->Start();
      absl::MutexLock lock(&mu_);
      new_runner->SetMaxEventsPerSecond(rebuild_rate_);
      return absl::UnavailableError("the rebuild did not reach the serving position in time" +
                                    (restart.ok() ? "" : "; " + restart.ToString()));
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  new_runner->Stop();
  // 3. A serving runner (with metrics) on the new store, made active on
  // disk first, so a crash from here on serves the new generation.
  Generation next;
  {
    absl::MutexLock lock(&mu_);
    next = std::move(rebuilding_);
    rebuilding_ = Generation();
  }
  next.runner = std::make_shared<ProjectorRunner>(options_.log, next.store.get(),
                                                  next.projection.get(), options_.metrics,
                                                  options_.projector);
  absl::Status s = next.runner->Start();
  if (s.ok()) s = options_.dirs->SetActive(options_.name, number);
  if (!s.ok()) {
    next.runner->Stop();
    next.runner = new_runner;
    {
      absl::MutexLock lock(&mu_);
      new_runner->SetMaxEventsPerSecond(rebuild_rate_);
    }
    absl::Status a = new_runner->Start();
    absl::Status b = old_runner->Start();
    absl::MutexLock lock(&mu_);
    rebuilding_ = std::move(next);
    return absl::UnavailableError("swap failed: " + s.ToString() +
                                  (a.ok() && b.ok() ? "" : "; restarting runners failed"));
  }
  Generation old;
  {
    absl::MutexLock lock(&mu_);
    old = std::move(serving_);
    serving_.number = next.number;
    serving_.projection = std::move(next.projection);
    serving_.runner = next.runner;
    serving_.store = next.store;
    slot_.Swap(std::move(next.store));
    progress_.state = RebuildState::kDone;
    progress_.applied = Sum(next.runner->applied());
    progress_.events_per_second = 0;
    progress_.eta_seconds = 0;
    progress_.error.clear();
    progress_.finished_at_ms = NowMillis();
  }
  LogInfo("rebuild swapped in", {{"projection", options_.name},
                                 {"generation", std::to_string(number)},
                                 {"replaced", std::to_string(old.number)}});
  ReleaseGeneration(std::move(old));
  return absl::OkStatus();
}

void ServedReadModel::ReleaseGeneration(Generation old) {
  // Reads that took the old store before the swap finish on it; it closes
  // when the last of them lets go, and only then can its files go.
  std::weak_ptr<Store> store = old.store;
  const uint32_t number = old.number;
  old = Generation();
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (!store.expired()) {
    if (absl::Now() > deadline) {
      LogWarn("old read model still in use; it is deleted at the next start",
              {{"projection", options_.name}, {"generation", std::to_string(number)}});
      return;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  if (absl::Status s = options_.dirs->Remove(options_.name, number); !s.ok())
    LogWarn("cannot delete an old read model", {{"projection", options_.name}, {"error", s.ToString()}});
}

}  // namespace lens
