// Reading the fields of an untrusted JSON request body with exact errors:
// unknown fields, wrong types, invalid UTF-8, control characters and
// over-long strings are each reported with the offending field's name.
#ifndef LENS_HTTP_REQUEST_FIELDS_H_
#define LENS_HTTP_REQUEST_FIELDS_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/json.h"

namespace lens {

// Parses `body` as a JSON object (400 "malformed_json" otherwise) and
// rejects fields outside `allowed` (422 "unknown_field").
absl::StatusOr<Json> ParseRequestObject(std::string_view body,
                                        std::initializer_list<std::string_view> allowed);

struct StringRule {
  size_t max_chars = 0;  // in code points; required
  size_t min_chars = 0;
  bool allow_newlines = false;  // \n, \r, \t
};

// The string at `name`: nullopt when absent (or null); 422 when it is not a
// string, not valid UTF-8, holds control characters, or breaks the length
// rule. The result is NFC-normalised.
absl::StatusOr<std::optional<std::string>> OptionalString(const Json& obj, std::string_view name,
                                                          const StringRule& rule);
// Same, but absent is 422 "missing_field".
absl::StatusOr<std::string> RequiredString(const Json& obj, std::string_view name,
                                           const StringRule& rule);
absl::StatusOr<std::optional<bool>> OptionalBool(const Json& obj, std::string_view name);

}  // namespace lens

#endif  // LENS_HTTP_REQUEST_FIELDS_H_
