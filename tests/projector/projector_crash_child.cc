// The process the crash test kills: applies the log in <dir>/log to the
// tally read model in <dir>/model until it has applied `total` events, then
// exits 0. Small, varying batches give the killer many commit points.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "eventlog/embedded_event_log.h"
#include "projector/projector_runner.h"
#include "tests/projector/tally_projection.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: projector_crash_child DIR PARTITIONS TOTAL\n");
    return 2;
  }
  std::string dir = argv[1];
  uint32_t partitions = static_cast<uint32_t>(std::atoi(argv[2]));
  uint64_t total = std::strtoull(argv[3], nullptr, 10);
  auto log = lens::OpenEmbeddedEventLog({.dir = dir + "/log", .partitions = partitions});
  if (!log.ok()) return 3;
  lens::testing::TallyProjection tally;
  lens::StoreOptions so{.path = dir + "/model", .column_families = tally.column_families()};
  auto store = lens::Store::Open(so);
  if (!store.ok()) return 4;
  lens::ProjectorOptions po;
  po.max_batch_events = 5;
  po.poll_timeout = absl::Milliseconds(20);
  lens::ProjectorRunner runner(log->get(), store->get(), &tally, nullptr, po);
  if (!runner.Start().ok()) return 5;
  // Tell the parent that applying has begun: its kill timer starts here,
  // not at spawn, so a slow start on a busy machine cannot eat the window.
  std::printf("applying\n");
  std::fflush(stdout);
  for (;;) {
    auto applied = runner.applied();
    uint64_t sum = 0;
    for (uint64_t a : applied) sum += a;
    if (sum >= total) break;
    if (!runner.health().ok()) return 6;
    absl::SleepFor(absl::Milliseconds(1));
  }
  runner.Stop();
  return 0;
}
