#include "tests/support/mock_kafka.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

#ifndef LENS_MOCK_KAFKA_PATH
#error "LENS_MOCK_KAFKA_PATH must name the lens-mock-kafka binary"
#endif

extern char** environ;

namespace lens::testing {
namespace {

constexpr int kStartTimeoutMs = 10000;
constexpr int kCommandTimeoutMs = 10000;
// How long the broker gets to exit on EOF and SIGTERM before SIGKILL.
constexpr absl::Duration kExitGrace = absl::Seconds(5);

absl::Status ErrnoStatus(absl::string_view what, int err) {
  return absl::InternalError(absl::StrCat("mock kafka: ", what, ": ", std::strerror(err)));
}

// Closes the fds of a pipe that were not handed over.
struct PipeFds {
  int fd[2] = {-1, -1};
  ~PipeFds() {
    for (int f : fd)
      if (f >= 0) close(f);
  }
  int Take(int i) { return std::exchange(fd[i], -1); }
  void Close(int i) { close(Take(i)); }
};

}  // namespace

absl::StatusOr<std::unique_ptr<MockKafka>> MockKafka::Start(const std::vector<Topic>& topics,
                                                            int brokers) {
  // Writing a command to a broker that died must fail with EPIPE rather
  // than kill the test process.
  signal(SIGPIPE, SIG_IGN);

  std::vector<std::string> args = {LENS_MOCK_KAFKA_PATH, "--brokers", std::to_string(brokers)};
  for (const Topic& t : topics) {
    args.push_back("--topic");
    args.push_back(absl::StrCat(t.name, ":", t.partitions));
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  // O_CLOEXEC: only this child gets these pipes (as its stdin and stdout),
  // not other processes the test spawns, which would keep them open.
  PipeFds in, out;
  if (pipe2(in.fd, O_CLOEXEC) != 0 || pipe2(out.fd, O_CLOEXEC) != 0)
    return ErrnoStatus("pipe2", errno);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.fd[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], STDOUT_FILENO);
  // The child starts with default signal handling, whatever the test set.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int spawn_err = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (spawn_err != 0) return ErrnoStatus(absl::StrCat("spawning ", argv[0]), spawn_err);
  // The child's ends: with them closed here, a broker that dies reads as
  // EOF at once instead of a timeout.
  in.Close(0);
  out.Close(1);

  std::unique_ptr<MockKafka> kafka(new MockKafka(pid, in.Take(1), out.Take(0)));
  absl::StatusOr<std::string> line = kafka->ReadLine(kStartTimeoutMs);
  if (!line.ok()) return line.status();
  constexpr absl::string_view kPrefix = "bootstrap=";
  if (!absl::StartsWith(*line, kPrefix) || line->size() == kPrefix.size())
    return absl::InternalError(absl::StrCat("mock kafka: unexpected first line: ", *line));
  kafka->bootstrap_ = line->substr(kPrefix.size());
  return kafka;
}

MockKafka::~MockKafka() {
  // EOF on stdin or SIGTERM each make the broker exit; SIGKILL is for a
  // broker that does not within the grace period.
  close(stdin_fd_);
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + kExitGrace;
  int status = 0;
  pid_t reaped = 0;
  while ((reaped = waitpid(pid_, &status, WNOHANG)) == 0 && absl::Now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (reaped == 0) {
    kill(pid_, SIGKILL);
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  close(stdout_fd_);
}

bool MockKafka::Command(const std::string& line) {
  const std::string request = line + "\n";
  size_t written = 0;
  while (written < request.size()) {
    const ssize_t n = write(stdin_fd_, request.data() + written, request.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      last_reply_ = ErrnoStatus("writing a command", errno).ToString();
      return false;
    }
    written += static_cast<size_t>(n);
  }
  absl::StatusOr<std::string> reply = ReadLine(kCommandTimeoutMs);
  last_reply_ = reply.ok() ? *reply : reply.status().ToString();
  return reply.ok() && *reply == "ok";
}

absl::StatusOr<std::string> MockKafka::ReadLine(int timeout_ms) {
  const absl::Time deadline = absl::Now() + absl::Milliseconds(timeout_ms);
  for (;;) {
    if (const size_t newline = buffered_.find('\n'); newline != std::string::npos) {
      std::string line = buffered_.substr(0, newline);
      buffered_.erase(0, newline + 1);
      return line;
    }
    const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left_ms <= 0)
      return absl::DeadlineExceededError("mock kafka: no answer from the broker in time");
    pollfd pfd = {stdout_fd_, POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(left_ms));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return ErrnoStatus("poll", errno);
    if (ready == 0) continue;  // the deadline check above ends the wait
    char chunk[1024];
    const ssize_t n = read(stdout_fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("reading from the broker", errno);
    if (n == 0) return absl::UnavailableError("mock kafka: the broker exited");
    buffered_.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace lens::testing
