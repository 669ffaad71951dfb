#include "store/read_model_dirs.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace lens {
namespace {

namespace fs = std::filesystem;

// "NAME" → (NAME, 0); "NAME.g12" → (NAME, 12); anything else → nullopt.
std::optional<std::pair<std::string, uint32_t>> ParseDirName(const std::string& dir) {
  size_t dot = dir.rfind(".g");
  if (dot == std::string::npos) {
    if (dir.empty() || dir.find('.') != std::string::npos) return std::nullopt;
    return std::make_pair(dir, 0u);
  }
  std::string digits = dir.substr(dot + 2);
  if (digits.empty() || digits.size() > 9 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  uint32_t gen = static_cast<uint32_t>(std::stoul(digits));
  if (gen == 0 || dot == 0) return std::nullopt;
  return std::make_pair(dir.substr(0, dot), gen);
}

absl::Status Errno(const std::string& what) {
  return absl::UnavailableError(what + ": " + std::strerror(errno));
}

absl::Status FsyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open " + path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("fsync " + path);
  return absl::OkStatus();
}

}  // namespace

std::string ReadModelDirs::PathOf(std::string_view name, uint32_t generation) const {
  std::string path = root_ + "/" + std::string(name);
  if (generation > 0) path += ".g" + std::to_string(generation);
  return path;
}

absl::StatusOr<uint32_t> ReadModelDirs::Active(std::string_view name) const {
  const std::string file = root_ + "/" + std::string(name) + ".active";
  std::ifstream in(file);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(file, ec)) return 0u;
    return absl::UnavailableError("cannot read " + file);
  }
  std::string text;
  std::getline(in, text);
  if (text == "0") return 0u;
  auto parsed = ParseDirName(std::string(name) + ".g" + text);
  if (!parsed) return absl::DataLossError(file + " does not name a generation: '" + text + "'");
  return parsed->second;
}

absl::StatusOr<std::string> ReadModelDirs::ActivePath(std::string_view name) const {
  auto gen = Active(name);
  if (!gen.ok()) return gen.status();
  return PathOf(name, *gen);
}

absl::Status ReadModelDirs::SetActive(std::string_view name, uint32_t generation) const {
  const std::string file = root_ + "/" + std::string(name) + ".active";
  const std::string tmp = file + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot write " + tmp);
  const std::string text = std::to_string(generation) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Errno("cannot write " + tmp);
  if (::rename(tmp.c_str(), file.c_str()) != 0) return Errno("cannot rename " + tmp);
  return FsyncPath(root_, O_RDONLY | O_DIRECTORY);
}

std::vector<uint32_t> ReadModelDirs::Generations(std::string_view name) const {
  std::vector<uint32_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_, ec)) {
    auto parsed = ParseDirName(e.path().filename().string());
    if (parsed && parsed->first == name && fs::exists(e.path() / "CURRENT", ec))
      out.push_back(parsed->second);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> ReadModelDirs::Names() const {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_, ec)) {
    auto parsed = ParseDirName(e.path().filename().string());
    if (parsed && fs::exists(e.path() / "CURRENT", ec)) names.insert(parsed->first);
  }
  return {names.begin(), names.end()};
}

absl::Status ReadModelDirs::Remove(std::string_view name, uint32_t generation) const {
  auto active = Active(name);
  if (!active.ok()) return active.status();
  if (*active == generation)
    return absl::FailedPreconditionError("generation " + std::to_string(generation) + " of " +
                                         std::string(name) + " serves; not removing it");
  std::error_code ec;
  fs::remove_all(PathOf(name, generation), ec);
  if (ec) return absl::UnavailableError("cannot remove " + PathOf(name, generation) + ": " + ec.message());
  return absl::OkStatus();
}

}  // namespace lens
