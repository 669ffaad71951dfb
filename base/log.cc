#include "base/log.h"

#include <atomic>
#include <cstdio>

#include "base/time.h"

namespace lens {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
const char* LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}
}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

void Log(LogLevel level, std::string_view msg, const Json& fields) {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
  Json line = Json::object();
  line["ts"] = FormatIsoMillis(NowMillis());
  line["level"] = LevelName(level);
  line["msg"] = std::string(msg);
  if (fields.is_object())
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  std::string s = DumpJson(line);
  s.push_back('\n');
  std::fwrite(s.data(), 1, s.size(), stderr);  // one write: lines never interleave
}

}  // namespace lens
