// Hashtags and @mentions in a caption or comment.
//   #word     letters and digits of any script, and '_' (lower-cased)
//   @name     the username alphabet [a-z0-9._] (lower-cased, no trailing '.')
// Each is listed once, in order of first appearance.
#ifndef LENS_COMMANDS_CAPTION_H_
#define LENS_COMMANDS_CAPTION_H_

#include <string>
#include <string_view>
#include <vector>

namespace lens {

inline constexpr size_t kMaxHashtags = 30;  // Instagram's limits
inline constexpr size_t kMaxMentions = 20;

std::vector<std::string> ParseHashtags(std::string_view text);
std::vector<std::string> ParseMentions(std::string_view text);

}  // namespace lens

#endif  // LENS_COMMANDS_CAPTION_H_
