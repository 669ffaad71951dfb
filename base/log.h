// Structured logs: one JSON object per line on stderr, so that a log
// shipper can index every field. A request id doubles as the command id in
// the appended events, which correlates a request with its events.
#ifndef LENS_BASE_LOG_H_
#define LENS_BASE_LOG_H_

#include <string_view>

#include "base/json.h"

namespace lens {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLogLevel(LogLevel level);
// Writes {"ts":..,"level":..,"msg":..,<fields>} as one line. Thread-safe.
void Log(LogLevel level, std::string_view msg, const Json& fields = Json::object());
inline void LogInfo(std::string_view msg, const Json& f = Json::object()) {
  Log(LogLevel::kInfo, msg, f);
}
inline void LogWarn(std::string_view msg, const Json& f = Json::object()) {
  Log(LogLevel::kWarn, msg, f);
}
inline void LogError(std::string_view msg, const Json& f = Json::object()) {
  Log(LogLevel::kError, msg, f);
}

}  // namespace lens

#endif  // LENS_BASE_LOG_H_
