#include "tests/support/lens_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

extern char** environ;

namespace lens::testing {

absl::StatusOr<std::unique_ptr<LensProcess>> LensProcess::Start(const Options& options) {
  std::vector<std::string> args = {LENS_BINARY_PATH,
                                   options.role,
                                   "--data-dir",
                                   options.data_dir,
                                   "--port",
                                   "0",
                                   "--argon2-memory-kib",
                                   "256",
                                   "--argon2-time-cost",
                                   "1"};
  args.insert(args.end(), options.args.begin(), options.args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  auto proc = std::unique_ptr<LensProcess>(new LensProcess());
  proc->stderr_path_ = options.data_dir + ".stderr";

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, proc->stderr_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    return absl::InternalError(std::string("posix_spawn: ") + std::strerror(rc));
  }
  proc->pid_ = pid;

  // The first stdout line names the port: "... listening on http://ADDR:PORT ...".
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options.startup_timeout_seconds);
  while (line.find('\n') == std::string::npos) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    pollfd p{out[0], POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, left) <= 0) break;
    char buf[512];
    ssize_t n = ::read(out[0], buf, sizeof(buf));
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  size_t at = line.find("listening on http://");
  size_t colon = at == std::string::npos ? std::string::npos : line.find(':', at + 20);
  if (colon == std::string::npos)
    return absl::UnavailableError("lens did not start (see " + proc->stderr_path_ + "): " + line);
  proc->port_ = static_cast<uint16_t>(std::stoi(line.substr(colon + 1)));
  return proc;
}

int LensProcess::Signal(int sig) {
  if (pid_ <= 0) return 0;
  ::kill(pid_, sig);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

int LensProcess::Stop() {
  int status = Signal(SIGTERM);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void LensProcess::Kill() { Signal(SIGKILL); }

LensProcess::~LensProcess() { Kill(); }

}  // namespace lens::testing
