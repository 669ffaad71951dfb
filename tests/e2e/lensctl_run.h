// Running the real lensctl binary from a test (LENSCTL_PATH is set by the
// test's CMake target).
#ifndef LENS_TESTS_E2E_LENSCTL_RUN_H_
#define LENS_TESTS_E2E_LENSCTL_RUN_H_

#include <sys/wait.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "base/json.h"

namespace lens::testing {

struct CtlRun {
  int exit_code = -1;
  std::string out;
};

// Runs lensctl with `args` (a shell-safe string), capturing stdout, and
// stderr too with `with_stderr`.
inline CtlRun Lensctl(const std::string& args, bool with_stderr = false) {
  CtlRun r;
  std::string cmd = std::string(LENSCTL_PATH) + " " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) r.out.append(buf, n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline std::vector<Json> JsonLines(const std::string& text) {
  std::vector<Json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(Json::parse(line, nullptr, false));
  return out;
}

}  // namespace lens::testing

#endif  // LENS_TESTS_E2E_LENSCTL_RUN_H_
