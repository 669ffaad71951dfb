// LensProcess: the real `lens` binary, started for a test on a free port
// with its data in a given directory; stderr goes to <data-dir>.stderr.
//
//   auto lens = LensProcess::Start({.data_dir = dir.Sub("node")});
//   ASSERT_TRUE(lens.ok()) << lens.status();
//   HttpClient http((*lens)->port());
//
// Test runs use a cheap argon2 setting (--argon2-memory-kib 256) so that
// hashing does not dominate; everything else is the production default.
#ifndef LENS_TESTS_SUPPORT_LENS_PROCESS_H_
#define LENS_TESTS_SUPPORT_LENS_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lens::testing {

class LensProcess {
 public:
  struct Options {
    std::string role = "serve";
    std::string data_dir;
    std::vector<std::string> args;  // extra flags, e.g. {"--log", "kafka://..."}
    int startup_timeout_seconds = 60;  // until it listens (replays can take long)
  };

  static absl::StatusOr<std::unique_ptr<LensProcess>> Start(const Options& options);
  ~LensProcess();  // SIGKILL if still running
  LensProcess(const LensProcess&) = delete;
  LensProcess& operator=(const LensProcess&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& stderr_path() const { return stderr_path_; }

  // Sends `sig` and waits for the exit; returns the wait status.
  int Signal(int sig);
  // SIGTERM; the exit code (or -1 if killed by a signal).
  int Stop();
  // SIGKILL: a crash.
  void Kill();

 private:
  LensProcess() = default;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string stderr_path_;
};

}  // namespace lens::testing

#endif  // LENS_TESTS_SUPPORT_LENS_PROCESS_H_
