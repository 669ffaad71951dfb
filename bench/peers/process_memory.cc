#include "bench/peers/process_memory.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace lens::bench::peers {
namespace {

// The number after `field` in /proc/<pid>/<file>, 0 if there is none.
uint64_t ProcField(pid_t pid, const char* file, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::strtoull(line.c_str() + field.size(), nullptr, 10);
  return 0;
}

}  // namespace

pid_t ParentPid(pid_t pid) { return static_cast<pid_t>(ProcField(pid, "status", "PPid:")); }

std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::vector<pid_t> children;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t child = static_cast<pid_t>(std::atoi(name.c_str()));
    if (ParentPid(child) == pid) children.push_back(child);
  }
  return children;
}

uint64_t PssKb(pid_t pid) { return ProcField(pid, "smaps_rollup", "Pss:"); }

uint64_t ProcessTreePssKb(pid_t pid) {
  uint64_t kb = PssKb(pid);
  for (pid_t child : ChildrenOf(pid)) kb += PssKb(child);
  return kb;
}

}  // namespace lens::bench::peers
