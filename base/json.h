// Exception-free JSON parsing of untrusted input, and helpers for reading
// typed fields out of a request object with precise errors.
#ifndef LENS_BASE_JSON_H_
#define LENS_BASE_JSON_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace lens {

using Json = nlohmann::json;

// Parses `text`; InvalidArgument on malformed JSON (never throws).
absl::StatusOr<Json> ParseJson(std::string_view text);
// Same, and the top level must be an object.
absl::StatusOr<Json> ParseJsonObject(std::string_view text);

// Serialises without throwing: invalid UTF-8 is replaced, not rejected
// (inputs are validated before they reach an event or a response).
std::string DumpJson(const Json& j);

}  // namespace lens

#endif  // LENS_BASE_JSON_H_
