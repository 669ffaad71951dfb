// Wall-clock helpers: milliseconds since the Unix epoch and the ISO-8601
// UTC form used in the event envelope ("2026-11-20T10:15:30.123Z").
#ifndef LENS_BASE_TIME_H_
#define LENS_BASE_TIME_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lens {

int64_t NowMillis();
std::string FormatIsoMillis(int64_t unix_millis);
// Parses the exact form FormatIsoMillis writes; nullopt otherwise.
std::optional<int64_t> ParseIsoMillis(std::string_view s);

}  // namespace lens

#endif  // LENS_BASE_TIME_H_
