#include "base/json.h"

namespace lens {

absl::StatusOr<Json> ParseJson(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("malformed JSON");
  return j;
}

absl::StatusOr<Json> ParseJsonObject(std::string_view text) {
  auto j = ParseJson(text);
  if (!j.ok()) return j.status();
  if (!j->is_object()) return absl::InvalidArgumentError("the body must be a JSON object");
  return j;
}

std::string DumpJson(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace lens
