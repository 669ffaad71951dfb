// The rules an account's fields must follow. Each check returns OK or an
// InvalidArgument ApiError naming the field (rendered as 422).
#ifndef LENS_COMMANDS_ACCOUNT_RULES_H_
#define LENS_COMMANDS_ACCOUNT_RULES_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "http/request_fields.h"

namespace lens {

inline constexpr size_t kUsernameMin = 3;
inline constexpr size_t kUsernameMax = 30;
inline constexpr size_t kEmailMax = 254;
inline constexpr size_t kPasswordMin = 8;
inline constexpr size_t kPasswordMax = 128;
inline constexpr StringRule kDisplayNameRule{.max_chars = 64};
inline constexpr StringRule kBioRule{.max_chars = 150, .allow_newlines = true};

// Usernames are case-insensitive: 3-30 of [a-z0-9._], not starting or
// ending with '.', no "..", not all digits (it would read as an id), not
// reserved. Returns the canonical (lower-case) form.
absl::StatusOr<std::string> CanonicalUsername(std::string_view raw);
// A plausible address (local@domain.tld), at most 254 characters; the
// canonical form is lower-case.
absl::StatusOr<std::string> CanonicalEmail(std::string_view raw);
// 8-128 characters, valid UTF-8, not the username or the email.
absl::Status CheckPassword(std::string_view password, std::string_view username,
                           std::string_view email);

}  // namespace lens

#endif  // LENS_COMMANDS_ACCOUNT_RULES_H_
