// A projector killed with SIGKILL at random points while it applies N events
// and restarted each time must end with exactly the read model of an
// uninterrupted run: the checkpoint and the model change share one
// WriteBatch, so nothing is lost and nothing is applied twice.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "eventlog/embedded_event_log.h"
#include "events/event_codec.h"
#include "gtest/gtest.h"
#include "projector/projector_runner.h"
#include "store/store.h"
#include "tests/projector/tally_projection.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace lens::testing {
namespace {

constexpr uint32_t kPartitions = 4;
constexpr uint64_t kEvents = 20000;

// Spawns the child; with `ready_fd`, the read end of its stdout, on which it
// writes "applying" once its projector runs.
pid_t SpawnChild(const std::string& dir, int* ready_fd = nullptr) {
  std::vector<std::string> args = {PROJECTOR_CRASH_CHILD, dir, std::to_string(kPartitions),
                                   std::to_string(kEvents)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2] = {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (ready_fd != nullptr) {
    EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  }
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  if (ready_fd != nullptr) {
    ::close(out[1]);
    *ready_fd = out[0];
  }
  return pid;
}

// Waits (bounded) until the child says it is applying, or exits.
void WaitUntilApplying(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 30000) > 0) {
    char buf[64];
    (void)::read(fd, buf, sizeof(buf));
  }
  ::close(fd);
}

void WriteLog(const std::string& dir) {
  auto log = OpenEmbeddedEventLog({.dir = dir + "/log", .partitions = kPartitions});
  ASSERT_TRUE(log.ok()) << log.status();
  std::vector<LogRecord> batch;
  for (uint64_t i = 1; i <= kEvents; ++i) {
    Event e;
    e.id = EventId(1000 + i);
    e.type = "TestTallied";
    e.key = "key:" + std::to_string(i % 37);
    e.ts_ms = 1700000000000 + static_cast<int64_t>(i);
    e.data = Json{{"i", i}};
    batch.push_back({e.key, EncodeEvent(e)});
    if (batch.size() == 500) {
      ASSERT_TRUE((*log)->Append(std::move(batch)).ok());
      batch.clear();
    }
  }
  if (!batch.empty()) {
    ASSERT_TRUE((*log)->Append(std::move(batch)).ok());
  }
}

// Every key and value of every column family of the model.
std::map<std::string, std::string> Dump(const std::string& path) {
  TallyProjection tally;
  auto store = Store::Open({.path = path, .column_families = tally.column_families()});
  EXPECT_TRUE(store.ok()) << store.status();
  std::map<std::string, std::string> out;
  std::vector<std::string> cfs = tally.column_families();
  cfs.push_back("default");
  for (const auto& cf : cfs) {
    std::unique_ptr<rocksdb::Iterator> it(
        (*store)->db()->NewIterator(rocksdb::ReadOptions(), (*store)->cf(cf)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string v = it->value().ToString();
      if (cf == "merged") v = std::to_string(DecodeCounter(v));
      out[cf + "|" + it->key().ToString()] = v;
    }
    EXPECT_TRUE(it->status().ok());
  }
  return out;
}

// Events applied so far, from the checkpoint in the model store.
uint64_t AppliedSoFar(const std::string& model) {
  TallyProjection tally;
  auto store = Store::Open({.path = model, .column_families = tally.column_families()});
  if (!store.ok()) return 0;
  auto next = ProjectorRunner::ReadCheckpoint(store->get(), kPartitions);
  uint64_t sum = 0;
  if (next.ok())
    for (uint64_t n : *next) sum += n;
  return sum;
}

int RunToCompletion(const std::string& dir) {
  pid_t pid = SpawnChild(dir);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(ProjectorCrash, KilledAtRandomPointsEqualsUninterruptedRun) {
  TempDir tmp;
  const std::string reference = tmp.Sub("reference"), crashed = tmp.Sub("crashed");
  WriteLog(reference);
  std::filesystem::copy(reference, crashed, std::filesystem::copy_options::recursive);

  ASSERT_EQ(RunToCompletion(reference), 0);
  auto expected = Dump(reference + "/model");
  ASSERT_EQ(expected.count("counts|key:0"), 1u);

  std::mt19937 rng(12345);
  int kills = 0, kills_mid_apply = 0;
  uint64_t applied = 0;
  for (;;) {
    int ready = -1;
    pid_t pid = SpawnChild(crashed, &ready);
    WaitUntilApplying(ready);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 40000));
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {  // finished before the kill
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child failed: " << status;
      break;
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    if (WIFEXITED(status)) {
      ASSERT_EQ(WEXITSTATUS(status), 0);
      break;
    }
    ++kills;
    uint64_t now_applied = AppliedSoFar(crashed + "/model");
    ASSERT_GE(now_applied, applied) << "a checkpoint went backwards";
    if (now_applied > applied && now_applied < kEvents) ++kills_mid_apply;
    applied = now_applied;
    if (kills >= 60) {  // enough crashes; let it finish
      ASSERT_EQ(RunToCompletion(crashed), 0);
      break;
    }
  }
  EXPECT_GE(kills_mid_apply, 5) << "the test should really interrupt the projector mid-apply";
  auto actual = Dump(crashed + "/model");
  EXPECT_EQ(actual.size(), expected.size());
  for (const auto& [k, v] : expected) {
    auto it = actual.find(k);
    ASSERT_NE(it, actual.end()) << "missing " << k;
    ASSERT_EQ(it->second, v) << "differs at " << k;
  }
  EXPECT_EQ(actual, expected);
  std::printf(
      "projector killed %d times (%d in the middle of applying); read model identical "
      "(%zu entries)\n",
      kills, kills_mid_apply, actual.size());
}

}  // namespace
}  // namespace lens::testing
