// lens: the server binary. `lens serve` runs the whole system in one
// process; `lens commands` and `lens reads` run one side each (scale-out).
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "base/log.h"
#include "server/node.h"
#include "server/node_options.h"

int main(int argc, char** argv) {
  // Debian's Abseil is built with deadlock detection on: every lock of a
  // mutex then updates a global lock-order graph (a few percent of the
  // command path's time). Release builds of Abseil leave it off; so does
  // the server. The unit tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(lens::NodeUsage().c_str(), args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  std::string role = args[0];
  auto options = lens::ParseNodeOptions({args.begin() + 1, args.end()});
  if (!options.ok()) {
    if (options.status().code() == absl::StatusCode::kNotFound) {
      std::fputs(lens::NodeUsage().c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "lens: %s\n", std::string(options.status().message()).c_str());
    return 2;
  }
  if (role == "serve") {
  } else if (role == "commands") {
    options->run_reads = false;
  } else if (role == "reads") {
    options->run_commands = false;
  } else {
    std::fprintf(stderr, "lens: unknown role '%s' (serve, commands, reads)\n", role.c_str());
    return 2;
  }

  // Signals are taken by sigwait below, not by whichever thread they hit.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  lens::Node node(*options);
  if (absl::Status s = node.Start(); !s.ok()) {
    std::fprintf(stderr, "lens: cannot start: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("lens %s listening on http://%s:%u (%s, data in %s)\n", role.c_str(),
              options->address.c_str(), node.port(), node.log_description().c_str(),
              options->data_dir.c_str());
  std::fflush(stdout);
  lens::LogInfo("started", {{"role", role}, {"port", node.port()}});

  int sig = 0;
  sigwait(&signals, &sig);
  lens::LogInfo("stopping", {{"signal", sig}});
  node.Stop();
  lens::LogInfo("stopped");
  return 0;
}
